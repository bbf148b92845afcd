"""The demands list (民意诉求清单): what residents ask for, and how each ask ends.

Views in `views.py`, rules in `flow.py` (transitions) and `raising.py` (recording and
grouping), reads in `lists.py`; SQL in `queries/`; schema in sql/210_demands.sql.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("demands", __name__)

from . import pages, views  # noqa: E402,F401  (register the routes on bp)
