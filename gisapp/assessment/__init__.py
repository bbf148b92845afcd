"""The assessment (考核): a configurable scheme, indicators computed from the data for any
period, residents' satisfaction, drill-down, publication and appeal (docs/assessment.md)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("assessment", __name__)


def blueprint() -> Blueprint:
    """The blueprint with its routes. The views are imported here, not when the package is:
    the visits record satisfaction through this package, and the views read the visits."""
    from . import views  # noqa: F401  (registers the routes on bp)

    return bp
