"""`flopcast query`: read-only SQL against the published warehouse.

Two layers: the statement is parsed and only a single query (SELECT, WITH, set operations,
DESCRIBE, SHOW, SUMMARIZE) is accepted, with a message saying why anything else is refused; and
the connection itself is read-only with external access disabled and its configuration locked,
so even a statement the parser misjudges cannot write or reach outside the warehouse.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError


class QueryRefused(ValueError):
    """The statement would change something or reach outside the warehouse."""


_QUERY_TYPES = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Describe)
# Table functions that read files or URLs: refused even though external access is off anyway.
_FILE_FUNCTIONS = ("read_", "parquet_", "glob", "sniff_csv", "iceberg_", "delta_scan", "sqlite_scan", "postgres_scan", "mysql_scan")


def check_read_only(sql: str) -> None:
    stripped = sql.strip().rstrip(";").strip()
    if not stripped:
        raise QueryRefused("empty query")
    first_word = stripped.split(None, 1)[0].upper()
    inspection = first_word in ("SHOW", "SUMMARIZE", "DESCRIBE")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except SqlglotError as exc:
        if inspection and ";" not in stripped:
            return  # e.g. a bare DESCRIBE, which sqlglot cannot parse
        raise QueryRefused(f"could not parse the query: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise QueryRefused(f"one statement at a time, got {len(statements)}")
    statement = statements[0]
    if not inspection and not isinstance(statement, _QUERY_TYPES):
        kind = first_word if first_word.isalpha() else type(statement).__name__.upper()
        raise QueryRefused(
            f"flopcast query is read-only: {kind} statements are refused. Only SELECT/WITH queries run here; "
            "to change the warehouse, change the sources or SQL models and run `flopcast build`."
        )
    for node in statement.walk():
        if isinstance(node, (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Copy)):
            raise QueryRefused(f"flopcast query is read-only: a {type(node).__name__.upper()} inside the query is refused")
        if isinstance(node, exp.Func):
            name = (node.sql_name() if not isinstance(node, exp.Anonymous) else node.name).lower()
            if name.startswith(_FILE_FUNCTIONS):
                raise QueryRefused(f"{name}() reads files or URLs outside the warehouse; only warehouse tables can be queried")
        # sqlglot turns FROM '/etc/passwd' into a quoted identifier, so a literal alone is not enough.
        if isinstance(node, exp.Table) and (
            isinstance(node.this, exp.Literal)
            or (isinstance(node.this, exp.Identifier) and node.this.quoted and any(ch in node.this.name for ch in "/\\:.*?"))
        ):
            raise QueryRefused(f"reading the file {node.this.name!r} is refused; only warehouse tables can be queried")


def connect_read_only(db_path: Path) -> duckdb.DuckDBPyConnection:
    if not db_path.is_file():
        raise FileNotFoundError(f"no published warehouse at {db_path}: run `make build` (or `flopcast build`) first")
    con = duckdb.connect(str(db_path), read_only=True, config={"enable_external_access": False})
    con.execute("SET lock_configuration = true")
    return con


def run_query(db_path: Path, sql: str) -> tuple[list[str], list[tuple]]:
    check_read_only(sql)
    con = connect_read_only(db_path)
    try:
        relation = con.sql(sql)
        if relation is None:
            return [], []
        return list(relation.columns), relation.fetchall()
    finally:
        con.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return str(value)


def format_table(columns: list[str], rows: list[tuple]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()
    out = [line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def format_csv(columns: list[str], rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return buffer.getvalue().rstrip("\n")


def format_json(columns: list[str], rows: list[tuple]) -> str:
    def plain(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, (int, float, str, bool)) or value is None:
            return value
        return str(value)

    return json.dumps([{c: plain(v) for c, v in zip(columns, row)} for row in rows], indent=2)


FORMATTERS = {"table": format_table, "csv": format_csv, "json": format_json}
