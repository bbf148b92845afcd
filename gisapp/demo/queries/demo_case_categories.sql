SELECT key, kind, limit_hours, department FROM case_category ORDER BY key
