"""Fixtures of the demands tests (the shared ones stay in tests/conftest.py)."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_demand_rate_limit(app):
    """Every test client shares 127.0.0.1; test_demands_api checks the limit itself."""
    app.config["PUBLIC_DEMANDS_PER_MINUTE"] = 10_000
