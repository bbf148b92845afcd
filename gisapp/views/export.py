"""GET /api/export/<layer>: layers the caller may see, as files."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("export", __name__)
