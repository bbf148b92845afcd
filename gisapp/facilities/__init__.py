"""Facilities: the registry, coverage of households, staffing against the plan."""
