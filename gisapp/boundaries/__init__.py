"""Boundaries: the editor API, saves, input checks, operations, proposals, the city plan, files."""
