"""Every setting in gisapp/config.py is named in docs/operations.md's settings table, so
the documentation cannot fall behind the code (a new setting fails this test until it
is documented)."""
from __future__ import annotations

import re
from pathlib import Path

from gisapp.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    table = text[text.index("## Settings"):]
    named = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert sorted(set(DEFAULTS) - named) == []
    assert sorted(named - set(DEFAULTS) - {"GISAPP_"}) == []
