"""SQL shipped as package files, loaded once by name (see STYLE.md: no SQL strings scattered in Python)."""
from __future__ import annotations

from functools import cache
from importlib import resources

from sqlalchemy import TextClause, text


@cache
def sql(name: str) -> TextClause:
    """The statement in gisapp/queries/<name>.sql as a bindable text clause."""
    return text(resources.files(__package__).joinpath(f"{name}.sql").read_text())
