"""Small DuckDB helpers that several stages need, written once: quoting, a table's columns, a frame
registered for the length of a statement, and the schemas a release publishes.

Imports only duckdb (``flopcast query`` uses it and must start fast).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb

# The schemas a release publishes (tables, Parquet files, column docs); raw, staging and
# intermediate stay in the private build database.
PUBLIC_SCHEMAS = ("clean", "marts", "quarantine")
# The folder beside a database file that holds the Parquet files behind its raw.* views
# (pipelines/lib/raw.py): .build/raw/ for the build, releases/<id>/raw/ once published.
RAW_FILES_DIR = "raw"


def quote(identifier: str) -> str:
    """A DuckDB identifier in double quotes, so any table or column name is safe in SQL text."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A DuckDB string literal, for statements that take no parameters (COMMENT ON, SET)."""
    return "'" + text.replace("'", "''") + "'"


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of each column of schema.table in the connection's database, in order."""
    return con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data) -> Iterator[str]:
    """`data` (an Arrow table or reader) visible to SQL on `con` as the view `name` inside the
    block, and unregistered after it, also when the statement fails."""
    con.register(name, data)
    try:
        yield name
    finally:
        con.unregister(name)
