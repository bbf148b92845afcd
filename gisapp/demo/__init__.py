"""Tools, not request code: the synthetic demo city and the project-local PostgreSQL cluster."""
