"""`flopcast query`: read-only SQL against the published warehouse.

Two layers: the statement is parsed and only a single query (SELECT, WITH, set operations,
PIVOT/UNPIVOT, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN of one of them) is accepted, with a message saying why anything else is refused; and
the connection itself is read-only with external access disabled and its configuration locked,
so even a statement the parser misjudges cannot write or reach outside the warehouse.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from pipelines.lib.duck import RAW_FILES_DIR, literal


class QueryRefused(ValueError):
    """The statement would change something or reach outside the warehouse."""


_QUERY_TYPES = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Describe, exp.Pivot, exp.Values)
# EXPLAIN [ANALYZE] [(options)] runs (ANALYZE) or plans the statement after it: that one is checked.
_EXPLAIN = re.compile(r"^\s*EXPLAIN\s+(?:ANALY[SZ]E\s+)?(?:\([^)]*\)\s*)?", re.IGNORECASE)
# A bare SHOW TABLES would list the default schema 'main', which is empty: every schema's tables instead.
_SHOW_TABLES = re.compile(r"^\s*SHOW\s+TABLES\s*;?\s*$", re.IGNORECASE)
SHOW_TABLES_SQL = """SELECT schema_name AS "schema", table_name AS name, comment FROM duckdb_tables()
WHERE database_name = current_database() AND NOT internal
UNION ALL
SELECT schema_name, view_name, comment FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
ORDER BY 1, 2"""


def rewrite_inspection(sql: str) -> str:
    """The statement DuckDB runs for an accepted query: a bare SHOW TABLES lists every schema."""
    return SHOW_TABLES_SQL if _SHOW_TABLES.match(sql) else sql


# Table functions that read files or URLs: refused even though external access is off anyway.
_FILE_FUNCTIONS = (
    "read_",
    "parquet_",
    "glob",
    "sniff_csv",
    "iceberg_",
    "delta_scan",
    "sqlite_scan",
    "postgres_scan",
    "mysql_scan",
)


def check_read_only(sql: str) -> None:
    """QueryRefused unless the SQL is one read-only statement (SELECT, DESCRIBE, EXPLAIN...), checked before any file is opened."""
    stripped = sql.strip().rstrip(";").strip()
    if not stripped:
        raise QueryRefused("empty query")
    explain = _EXPLAIN.match(stripped)
    if explain:
        if not stripped[explain.end() :].strip():
            raise QueryRefused("EXPLAIN needs a query after it")
        return check_read_only(stripped[explain.end() :])
    first_word = stripped.split(None, 1)[0].upper()
    inspection = first_word in ("SHOW", "SUMMARIZE", "DESCRIBE")
    try:
        statements = [s for s in _parse_quietly(sql) if s is not None]
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
            raise QueryRefused(
                f"flopcast query is read-only: a {type(node).__name__.upper()} inside the query is refused"
            )
        if isinstance(node, exp.Func):
            name = (node.sql_name() if not isinstance(node, exp.Anonymous) else node.name).lower()
            if name.startswith(_FILE_FUNCTIONS):
                raise QueryRefused(
                    f"{name}() reads files or URLs outside the warehouse; only warehouse tables can be queried"
                )
        # sqlglot turns FROM '/etc/passwd' into a quoted identifier, so a literal alone is not enough.
        if isinstance(node, exp.Table) and (
            isinstance(node.this, exp.Literal)
            or (
                isinstance(node.this, exp.Identifier)
                and node.this.quoted
                and any(ch in node.this.name for ch in "/\\:.*?")
            )
        ):
            raise QueryRefused(f"reading the file {node.this.name!r} is refused; only warehouse tables can be queried")


def _parse_quietly(sql: str):
    """sqlglot.parse without its 'Falling back to parsing as a Command' log line on stderr (such a
    statement is refused below anyway, with its own reason)."""
    import logging

    sqlglot_logger = logging.getLogger("sqlglot")
    level = sqlglot_logger.level
    sqlglot_logger.setLevel(logging.ERROR)
    try:
        return sqlglot.parse(sql, read="duckdb")
    finally:
        sqlglot_logger.setLevel(level)


DEFAULT_TIMEOUT_SECONDS = 60.0
BATCH_ROWS = 2048  # rows fetched from DuckDB at a time: Python never holds more than it shows
DEFAULT_MEMORY_LIMIT = "1GB"  # FLOPCAST_QUERY_MEMORY_LIMIT; DuckDB spills to its private temp folder beyond it
DEFAULT_TEMP_LIMIT = "10GB"  # FLOPCAST_QUERY_TEMP_LIMIT: the most a query may spill


class QueryTimeout(RuntimeError):
    """The query ran longer than its timeout and was interrupted."""


def connect_read_only(
    db_path: Path, temp_directory: Path | None = None, *, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A read-only connection with external access off (but for the release's raw/ files) and its configuration locked.

    temp_directory: where DuckDB may spill (a private folder outside the release: by default DuckDB
    would spill next to the database file, i.e. inside the published release that a later build prunes).
    """
    if not db_path.is_file():
        raise FileNotFoundError(f"no published warehouse at {db_path}: run `make build` (or `flopcast build`) first")
    config = {} if temp_directory is None else {"temp_directory": str(temp_directory)}
    # The release the symlink points at now, resolved once: the database and the folder it may read
    # are then of the same release even if a build swaps `current` meanwhile.
    release_db = db_path.resolve()
    con = duckdb.connect(str(release_db), read_only=True, config=config)
    try:
        # External access off, except to the Parquet files behind the release's raw.* views
        # (pipelines/lib/raw.py); DuckDB only takes the allowed folder before access is turned off.
        con.execute(f"SET allowed_directories = [{literal(str(release_db.parent / RAW_FILES_DIR) + os.sep)}]")
        con.execute("SET enable_external_access = false")
        memory = memory_limit or os.environ.get("FLOPCAST_QUERY_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
        con.execute("SET memory_limit = " + literal(memory))
        temp_limit = os.environ.get("FLOPCAST_QUERY_TEMP_LIMIT") or DEFAULT_TEMP_LIMIT
        con.execute("SET max_temp_directory_size = " + literal(temp_limit))
        con.execute("SET lock_configuration = true")
    except duckdb.Error as exc:
        con.close()
        raise ValueError(f"invalid query memory settings: {str(exc).splitlines()[0]}") from None
    return con


@contextlib.contextmanager
def open_query(
    db_path: Path, sql: str, *, timeout: float | None = DEFAULT_TIMEOUT_SECONDS, memory_limit: str | None = None
) -> Iterator[tuple[list[str], Iterator[list[tuple]]]]:
    """(columns, batches of rows) of a checked query, streamed from DuckDB BATCH_ROWS at a time.

    The connection spills into a private temporary folder (removed on exit, whatever happens) and
    is interrupted after `timeout` seconds, counting fetching too (QueryTimeout). Stop iterating
    early to stop the query.
    """
    check_read_only(sql)
    temp_directory = Path(tempfile.mkdtemp(prefix="flopcast-query-"))
    con = None
    timer = None
    timed_out = threading.Event()
    try:
        con = connect_read_only(db_path, temp_directory, memory_limit=memory_limit)
        if timeout is not None:

            def interrupt() -> None:
                timed_out.set()
                con.interrupt()

            timer = threading.Timer(timeout, interrupt)
            timer.daemon = True
            timer.start()
        try:
            relation = con.sql(rewrite_inspection(sql))
            columns = list(relation.columns) if relation is not None else []

            def batches() -> Iterator[list[tuple]]:
                if relation is None:
                    return
                while True:
                    try:
                        rows = relation.fetchmany(BATCH_ROWS)
                    except duckdb.Error:
                        # Interrupted while fetching, or between two fetches (then DuckDB reports a
                        # closed pending result): either way the timeout stopped it.
                        if timed_out.is_set():
                            raise QueryTimeout(_timeout_message(timeout)) from None
                        raise
                    if not rows:
                        return
                    yield rows

            yield columns, batches()
        except duckdb.Error:
            if timed_out.is_set():
                raise QueryTimeout(_timeout_message(timeout)) from None
            raise
    finally:
        if timer is not None:
            timer.cancel()
        if con is not None:
            con.close()
        shutil.rmtree(temp_directory, ignore_errors=True)


def _timeout_message(timeout: float | None) -> str:
    return (
        f"the query did not finish within {timeout:g} s and was stopped; narrow it (WHERE, LIMIT) "
        "or pass a longer --timeout"
    )


class Limited:
    """Batches cut at `limit` rows (None: all); after iterating, `truncated` says whether rows were left."""

    def __init__(self, batches, limit: int | None):
        self._batches, self._limit = batches, limit
        self.truncated = False
        self.rows = 0

    def __iter__(self) -> Iterator[list[tuple]]:
        for batch in self._batches:
            if self._limit is not None and self.rows + len(batch) > self._limit:
                batch = batch[: self._limit - self.rows]
                self.truncated = True
            self.rows += len(batch)
            if batch:
                yield batch
            if self.truncated:
                return


# Control characters (C0, DEL, C1) would move the cursor, recolour or clear an analyst's terminal:
# shown escaped. Text is otherwise printed as it is.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """Control characters shown as escapes (\\x1b, \\n), so a cell cannot drive the terminal."""
    return _CONTROL.sub(
        lambda m: {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(m.group(), f"\\x{ord(m.group()):02x}"), text
    )


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: True is an int
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple, dict)):  # DuckDB lists, structs and maps: JSON, not Python's repr
        return json.dumps(_plain(value), ensure_ascii=False)
    return str(value)


# A cell a spreadsheet would run as a formula (=, +, -, @, or a tab or CR in front): OWASP's CSV
# injection rule. Neutralised with a leading single quote; --raw-csv keeps the value as it is.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """A leading ' on text a spreadsheet would run as a formula (=, +, -, @, tab, CR)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_cell(value, *, raw: bool = False) -> str:
    """A value as a CSV cell: numbers and dates as text; text with a formula start neutralised
    unless raw, and NUL bytes (which no CSV reader keeps intact) dropped."""
    text = _cell(value)
    if isinstance(value, str):
        text = text.replace("\x00", "")
        if not raw:
            text = neutralise_formula(text)
    return text


def format_table(columns: list[str], rows: list[tuple], *, truncated: bool = False) -> str:
    """Rows as an aligned text table for the terminal, with a note when rows were left out."""
    cells = [[escape_controls(_cell(v)) for v in row] for row in rows]
    columns = [escape_controls(c) for c in columns]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()

    out = [line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)]
    if truncated:
        out.append(
            f"(first {len(rows)} row{'s' if len(rows) != 1 else ''} shown; more rows exist: "
            "add a LIMIT or WHERE, or pass --limit N / --no-limit)"
        )
    else:
        out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def format_csv(columns: list[str], rows: list[tuple], *, raw: bool = False, escape: bool = False) -> str:
    """escape: control characters shown as \\xNN (for a terminal); raw: formula cells kept as they are."""
    return "".join(csv_lines(columns, [rows], raw=raw, escape=escape)).rstrip("\n")


def csv_lines(columns: list[str], batches, *, raw: bool = False, escape: bool = False) -> Iterator[str]:
    """CSV text, one chunk per batch of rows (streamed: nothing is held beyond a batch)."""

    def clean(text: str) -> str:
        return escape_controls(text) if escape else text

    yield _csv_row([clean(csv_cell(c, raw=raw)) for c in columns])
    for batch in batches:
        yield "".join(_csv_row([clean(csv_cell(v, raw=raw)) for v in row]) for row in batch)


def _csv_row(cells: list[str]) -> str:
    """One CSV record (RFC 4180 quoting, "\n" line ends). Not csv.writer: with "\n" as terminator it
    leaves a lone "\r" unquoted, which every reader then takes for a line break."""
    quoted = ['"' + c.replace('"', '""') + '"' if any(ch in c for ch in ',"\r\n') else c for c in cells]
    if quoted == [""]:
        quoted = ['""']  # a record of one empty field, not a blank line
    return ",".join(quoted) + "\n"


def _plain(value):
    """A value as JSON: lists stay arrays and structs objects (their items made plain too)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return str(value)


def format_json(columns: list[str], rows: list[tuple]) -> str:
    """Rows as a JSON array of objects (one per row), every control character escaped by json."""
    # json escapes every control character (\u001b), so nothing reaches a terminal raw.
    return json.dumps([{c: _plain(v) for c, v in zip(columns, row)} for row in rows], indent=2)


def json_lines(columns: list[str], batches) -> Iterator[str]:
    """The same JSON array as format_json, streamed one batch at a time."""
    first = True
    yield "["
    for batch in batches:
        for row in batch:
            item = json.dumps({c: _plain(v) for c, v in zip(columns, row)}, indent=2)
            yield ("\n" if first else ",\n") + "\n".join("  " + line for line in item.splitlines())
            first = False
    yield "]" if first else "\n]"


FORMATTERS = {"table": format_table, "csv": format_csv, "json": format_json}
