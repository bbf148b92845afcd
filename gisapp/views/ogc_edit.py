"""OGC API – Features Part 4: create, replace and delete boundaries."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ogc_edit", __name__, url_prefix="/ogc")
