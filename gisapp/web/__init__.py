"""Shared request plumbing: JSON bodies, CSV/Excel downloads, CORS, front-end assets, health."""
