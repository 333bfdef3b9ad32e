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
    """(name, DuckDB type) of each column of schema.table (a table or a view) in the connection's
    database, in order; [] if there is no such relation.

    DESCRIBE binds only this relation; information_schema.columns binds every view of the
    database, and each raw.* view reads its Parquet file's footer to be bound (0.1-0.5 CPU-s a call
    at 1M rows). Both give the same names and type spellings (checked on every relation of a build)."""
    try:
        described = con.execute(f"DESCRIBE {quote(schema)}.{quote(table)}").fetchall()
    except duckdb.CatalogException:
        return []
    return [(row[0], row[1]) for row in described]


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The block's statements in one transaction: committed if the block completes, rolled back if it raises."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data) -> Iterator[str]:
    """`data` (an Arrow table or reader) visible to SQL on `con` as the view `name` inside the
    block, and unregistered after it, also when the statement fails."""
    con.register(name, data)
    try:
        yield name
    finally:
        con.unregister(name)
