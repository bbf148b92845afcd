"""Statements prepared once per database connection (PREPARE ... AS, then EXECUTE).

psycopg2 sends every statement as text, so the server parses and plans it on each call.
For a statement that a hot path runs all day (a case report) that was a quarter of the
statement's time. A `Prepared` statement is prepared the first time it runs on a pooled
connection (the pool's per-connection `info` remembers it, and forgets it when the
connection is replaced, say after a failover), then run by name. Prepared statements
are not transactional: one prepared in a transaction that rolls back stays prepared.
"""
from __future__ import annotations

import re

from psycopg2 import sql as pgsql
from sqlalchemy import TextClause
from sqlalchemy.engine import Connection, CursorResult

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Names are written in code; plain lower-case ones need no quotes, so the statement reads
# "EXECUTE case_report(...)" in pg_stat_activity, as the function it calls is named.
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class Prepared:
    """A statement in psycopg2 placeholders (`%(name)s`), run under the name `name`."""

    def __init__(self, name: str, statement: TextClause | str):
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a plain lower-case name: {name!r}")
        body = statement.text if isinstance(statement, TextClause) else statement
        self.params = list(dict.fromkeys(_PLACEHOLDER.findall(body)))
        self.name = name
        self._body = _PLACEHOLDER.sub(lambda m: f"${self.params.index(m.group(1)) + 1}", body)
        self._prepare: str | None = None
        self._execute: str | None = None

    def execute(self, conn: Connection, params: dict) -> CursorResult:
        """Run it on `conn` (preparing it there first if this connection has not)."""
        info = conn.connection.info
        key = ("prepared", self.name)
        if key not in info:
            conn.exec_driver_sql(self._prepare_sql(conn))
            info[key] = True
        return conn.exec_driver_sql(self._execute_sql(conn), params)

    def _prepare_sql(self, conn: Connection) -> str:
        if self._prepare is None:
            # The body holds no % but in placeholders, now $n: run without parameters.
            self._prepare = pgsql.SQL("PREPARE {} AS {}").format(
                pgsql.SQL(self.name), pgsql.SQL(self._body)
            ).as_string(conn.connection.driver_connection)
        return self._prepare

    def _execute_sql(self, conn: Connection) -> str:
        if self._execute is None:
            args = pgsql.SQL(", ").join(pgsql.Placeholder(p) for p in self.params)
            self._execute = pgsql.SQL("EXECUTE {}({})").format(
                pgsql.SQL(self.name), args
            ).as_string(conn.connection.driver_connection)
        return self._execute
