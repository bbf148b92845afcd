"""SQL shipped as package files, loaded once by name (see STYLE.md: no SQL strings scattered in Python)."""
from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources

from sqlalchemy import TextClause, text


def loader(package: str) -> Callable[[str], TextClause]:
    """`sql(name)` for the statements in `<package>/queries/<name>.sql`, each read once.

    A domain package writes `sql = loader(__package__)` and keeps its statements beside it.
    """
    @cache
    def sql(name: str) -> TextClause:
        return text(resources.files(package).joinpath("queries", f"{name}.sql").read_text())
    return sql

