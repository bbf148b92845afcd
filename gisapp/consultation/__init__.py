"""Consultation (议事协商): topics at four levels settled in six logged steps.

See docs/consultation.md. The blueprint `bp` carries the API (views.py), the staff pages and
the public page with its QR code (pages.py).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("consultation", __name__)

from . import pages, views  # noqa: E402,F401  (routes register themselves on bp)
