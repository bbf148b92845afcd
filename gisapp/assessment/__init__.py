"""The assessment (考核): a configurable scheme, indicators computed from the data for any
period, residents' satisfaction, drill-down, publication and appeal (docs/assessment.md)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("assessment", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
