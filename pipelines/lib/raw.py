"""raw.*: read a snapshot file losslessly, every cell as text, tagged with where it came from.

Two readers give the same table. ``load_text_table`` (the build's) streams the file through
pyarrow's CSV reader into the Parquet file behind the view raw.<source>; ``read_text_table`` uses Python's csv module, which gives exact
record numbers and locates every defect, and is the fallback whenever the fast path cannot vouch
for the result (see the comment above ``load_text_table``). polars' reader is not used: it turns
blank lines into all-null rows and reports malformed records without a row number.

Every way a file can fail to be a table raises ``RawFormatError`` with a message that names the
file, the record (``row``, counted like ``_row_number``) and/or the physical line, and the column
when one can be pinned down. No cell may be longer than the csv module's field size limit
(131,072 characters by default, kept deliberately: the longest real cell is under 8,000
characters, and a longer one is nearly always an unbalanced quote swallowing the lines after it).
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from pipelines.lib.duck import RAW_FILES_DIR, literal, registered, transaction
from pipelines.lib.sources import SourceError
from pipelines.lib.warehouse import quote

LINEAGE_COLUMNS = ("_source", "_source_version", "_row_number")
_BOM = b"\xef\xbb\xbf"
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, after surrogateescape
_UNQUOTED_END = re.compile(r"[,\r\n]")


class RawFormatError(SourceError):
    """The file cannot be read as a table; the message names the file, row/line and column."""


def _column_label(names: list[str] | None, index: int) -> str:
    if names is not None and index < len(names):
        return f"column {index + 1} {names[index]!r}"
    return f"column {index + 1}"


def _undecodable_cell(text: str) -> str:
    """Where the first undecodable byte sits, as ' (row N, column ...)', or '' if that cannot be told."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None) or []
        for index, cell in enumerate(header):
            if _UNDECODABLE.search(cell):
                return f" (in the header, column {index + 1})"
        names = [name.strip() for name in header]
        row = 0
        for record in reader:
            if not record:
                continue
            row += 1
            for index, cell in enumerate(record):
                if _UNDECODABLE.search(cell):
                    return f" (row {row}, {_column_label(names, index)})"
    except csv.Error:
        pass
    return ""


def _decode(path: Path, data: bytes) -> str:
    while data.startswith(_BOM):  # a file saved twice by a BOM-writing tool has two
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        where = _undecodable_cell(data.decode("utf-8", "surrogateescape"))
        raise RawFormatError(
            f"{path}: line {line}{where}: byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid UTF-8; "
            "sources must be UTF-8 encoded"
        ) from None


def _check_header(path: Path, header: list[str]) -> list[str]:
    names = [name.strip() for name in header]
    for position, name in enumerate(names, start=1):
        if not name:
            raise RawFormatError(f"{path}: line 1: header column {position} is empty")
        if "\x00" in name:  # polars cannot name a column with a NUL byte (it panics)
            raise RawFormatError(f"{path}: line 1: header column {position} {name!r} contains a NUL byte")
        if name in LINEAGE_COLUMNS:
            raise RawFormatError(f"{path}: line 1: header column {position} {name!r} is a name reserved for lineage")
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise RawFormatError(f"{path}: line 1: header column {position} {name!r} duplicates column {seen[name]}")
        seen[name] = position
    return names


def _failing_field(record_text: str, limit: int) -> int | None:
    """0-based index of the field where the csv reader must have stopped reading this record.

    Walks one record of the default dialect (the reader's error says what went wrong, not where):
    the first field longer than ``limit``, a closing quote followed by anything but a delimiter or
    line end, or a quoted field still open at the end of the text. None if the record looks fine.
    """
    pos = len(record_text) - len(record_text.lstrip("\r\n"))
    field = 0
    while True:
        if record_text.startswith('"', pos):
            start, length = pos + 1, 0
            while True:
                close = record_text.find('"', start)
                if close < 0:
                    return field  # still inside quotes at the end of the file
                length += close - start
                if record_text.startswith('"', close + 1):  # a doubled quote is one character
                    length, start = length + 1, close + 2
                    continue
                break
            if length > limit:
                return field
            pos = close + 1
            if pos < len(record_text) and record_text[pos] not in ",\r\n":
                return field  # text after the closing quote
        else:
            match = _UNQUOTED_END.search(record_text, pos)
            stop = match.start() if match else len(record_text)
            if stop - pos > limit:
                return field
            pos = stop
        if pos >= len(record_text) or record_text[pos] != ",":
            return None
        field, pos = field + 1, pos + 1


def _malformed(
    path: Path, text: str, exc: csv.Error, names: list[str] | None, row: int, start_line: int, line: int
) -> RawFormatError:
    """A csv.Error as a message naming the record, its lines and, when it can be found, the column."""
    lines = io.StringIO(text, newline="").readlines()
    record_text = "".join(lines[start_line - 1 :])
    field = _failing_field(record_text, csv.field_size_limit())
    where = (
        "the header (line 1)"
        if names is None
        else (f"row {row} (line {start_line})" if line <= start_line else f"row {row} (lines {start_line}-{line})")
    )
    if field is not None:
        where += f", {_column_label(names, field)}"
    detail = str(exc)
    if "field larger than field limit" in detail:
        detail = (
            f"a cell is longer than the {csv.field_size_limit():,}-character limit; usually an unbalanced "
            "quote that runs on over the lines after it, otherwise a corrupted download"
        )
    elif "unexpected end of data" in detail:
        detail = "the file ends inside a quoted field; an unbalanced quote, or the download was cut off"
    else:
        detail = f"malformed CSV ({detail})"
    return RawFormatError(f"{path}: {where}: {detail}")


def read_text_table(path: Path, *, source: str, version: str) -> pl.DataFrame:
    """Every record of a CSV file as strings (empty cells as null) plus lineage columns.

    ``_row_number`` is the 1-based record number after the header (a quoted field spanning several
    lines is one record; blank lines are not records), the number every later message refers to.
    Empty fields after the last column (a trailing comma) are dropped (as DuckDB's reader did); a
    record with too few fields, or a value beyond the last column, is refused.
    """
    text = _decode(path, path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    names: list[str] | None = None
    records: list[list[str]] = []
    start_line = 1
    try:
        header = next(reader, None)
        if header is None:
            raise RawFormatError(f"{path}: the file is empty (no header row)")
        if not header:
            raise RawFormatError(f"{path}: line 1 is blank; the header row must be the first line")
        names = _check_header(path, header)
        start_line = reader.line_num + 1
        for record in reader:
            if not record:
                start_line = reader.line_num + 1
                continue  # a blank line is not a record
            if len(record) > len(names) and not any(record[len(names) :]):
                record = record[: len(names)]  # empty fields after the last column (a trailing comma): nothing lost
            if len(record) != len(names):
                if len(record) < len(names):
                    which = f"the first missing column is {names[len(record)]!r}"
                else:
                    which = f"the extra fields come after the last column {names[-1]!r}"
                raise RawFormatError(
                    f"{path}: row {len(records) + 1} (line {reader.line_num}) has {len(record)} fields "
                    f"but the header has {len(names)}; {which}"
                )
            records.append(record)
            start_line = reader.line_num + 1
    except csv.Error as exc:
        raise _malformed(path, text, exc, names, len(records) + 1, start_line, reader.line_num) from None

    columns = {
        name: pl.Series(name, [record[i] or None for record in records], dtype=pl.String)
        for i, name in enumerate(names)
    }
    frame = pl.DataFrame(columns) if records else pl.DataFrame(schema={n: pl.String for n in names})
    return frame.with_columns(
        pl.lit(source, dtype=pl.String).alias("_source"),
        pl.lit(version, dtype=pl.String).alias("_source_version"),
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("_row_number"),
    )


# --- the fast path: pyarrow's CSV reader, streamed into the raw file -------------------------------
#
# read_text_table holds the whole file as Python lists (about 10x the file's size in memory, and a
# minute per GB). load_text_table lets pyarrow's CSV reader parse the file and stream it into the
# raw file instead, and only falls back to read_text_table, which then either reads the file or
# raises its exact, located RawFormatError, when the fast path cannot vouch for giving the same
# table: the header is not one plain line, a quote is anywhere but at a quoted field's start, end
# or doubled inside it (QuoteScan: pyarrow alone would accept text after a closing quote and a
# quote left open at the end of the file), or pyarrow refuses a record (ragged rows, bytes that
# are not UTF-8), or a cell is longer than the csv module's field limit. The build runs the quote
# scan on the checksum's read of the file, beside pyarrow's parse, and drops pyarrow's table if
# the scan says no (before session 8 the scan was a read of its own, before the parse).
# tests/property/test_raw_fast_path.py checks that both paths agree on hostile files.
# Until session 7 this was DuckDB's CSV reader (strict_mode) in a COPY to Parquet: the same table,
# at 1.1-1.6x pyarrow's CPU time for 1M rows, the quote scan included (BENCHMARKS.md).
#
# Where raw.<source> lives: one Parquet file per source beside the database
# (<database folder>/raw/<source>.parquet, zstd), and raw.<source> is a view over it that names the
# columns and adds the lineage (source, version, and the row number from the file's own row order).
# Copying every cell of 47 text columns into a DuckDB table cost 7-9 CPU-s for 1M rows, a fifth of
# it the kernel copying 1 GB of uncompressed pages; the Parquet file is 5.9 CPU-s and 39 MB
# (BENCHMARKS.md), and no `row_number() OVER ()` is needed. The Parquet columns are named by
# position (c0, c1, ...): any header a CSV can carry, even one called file_row_number, is only ever
# a name in the view.

_HEADER_PROBE_BYTES = 1 << 20
# How both paths write the raw file (pyarrow for the fast path, DuckDB's COPY for the exact one).
RAW_ROW_GROUP_ROWS = 122_880
RAW_ZSTD_LEVEL = 3
RAW_PARQUET_OPTIONS = (
    f"FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL {RAW_ZSTD_LEVEL}, ROW_GROUP_SIZE {RAW_ROW_GROUP_ROWS}"
)


def _plain_header(path: Path) -> list[str] | None:
    """The header names if the header is one plain UTF-8 line ending in \\n or \\r\\n, else None."""
    with open(path, "rb") as handle:
        head = handle.read(_HEADER_PROBE_BYTES)
    while head.startswith(_BOM):
        head = head[len(_BOM) :]
    end = head.find(b"\n")
    if end < 0:
        return None
    line = head[:end]
    if b"\r" in line[:-1] or b'"' in line:  # bare CR line ends, or quoting to interpret: the exact path
        return None
    try:
        text = line.rstrip(b"\r").decode("utf-8")
        names = _check_header(path, next(csv.reader([text], strict=True)))
    except (UnicodeDecodeError, csv.Error, StopIteration, RawFormatError):
        return None
    return names


def raw_files_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """Where the raw Parquet files of the connection's database live: <database folder>/raw/."""
    (path,) = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    if not path or path == ":memory:":
        raise ValueError(
            "raw.* is kept in Parquet files beside the database file: pass raw_dir for an in-memory database"
        )
    return Path(path).resolve().parent / RAW_FILES_DIR


def raw_file(raw_dir: Path, table: str) -> Path:
    """The Parquet file behind raw.<table>."""
    return raw_dir / f"{table}.parquet"


# The bytes a double quote may have beside it: one that opens a quoted field comes just after a
# field starts (or after another quote, for a doubled one), one that closes it just before the
# field ends (or before another quote).
_QUOTE_NEIGHBOURS = np.zeros(256, dtype=bool)
_QUOTE_NEIGHBOURS[[ord(","), ord("\n"), ord("\r"), ord('"')]] = True
_QUOTE = ord('"')
_QUOTE_SCAN_BYTES = 1 << 22  # _quotes_well_formed reads 4 MB at a time: memory stays flat at any size


class QuoteScan:
    """Whether every double quote of a file opens a quoted field at a field's start, closes it at a
    field's end, or is doubled inside it, and none is left open at the end of the file: fed the
    file's bytes in order, a chunk at a time (any split), then asked ``well_formed()``.

    pyarrow's CSV reader accepts two things the csv module refuses (and reads them differently):
    text after a closing quote ('"abc"def' as 'abcdef') and a quote still open at the end of the
    file. Counting quotes tells which quotes open and which close (the header has none); a file
    with a quote anywhere else, even a literal one inside an unquoted field, which the csv module
    would accept, goes to the exact path instead.

    Fed by the checksum's read of the file (materialize_raw), the scan costs no read of its own and
    looks at bytes the hash has just brought into the cache."""

    def __init__(self) -> None:
        self._quotes = 0  # quotes seen so far: an even count before a quote means it opens a field
        self._started = False  # a byte has been seen: a quote at a chunk's start is not the file's first byte
        self._last = 0  # the byte before the next chunk
        self._closed_at_end = False  # the last chunk ended with a closing quote: its next byte is to come
        self._ok = True
        self._equal = np.empty(0, dtype=bool)  # reused: a fresh array per chunk costs page faults

    def feed(self, chunk) -> None:
        """The next bytes of the file (bytes, bytearray or memoryview)."""
        buf = np.frombuffer(chunk, dtype=np.uint8)
        if not self._ok or not buf.size:
            return
        if self._closed_at_end and not _QUOTE_NEIGHBOURS[buf[0]]:
            self._ok = False
            return
        if self._equal.size < buf.size:
            self._equal = np.empty(buf.size, dtype=bool)
        equal = self._equal[: buf.size]
        np.equal(buf, _QUOTE, out=equal)
        quotes = np.flatnonzero(equal)
        closes = (np.arange(self._quotes, self._quotes + quotes.size) & 1) == 1
        opening, closing = quotes[~closes], quotes[closes]
        if opening.size and opening[0] == 0:  # its byte before is the previous chunk's last
            if not self._started or not _QUOTE_NEIGHBOURS[self._last]:
                self._ok = False
                return
            opening = opening[1:]
        self._closed_at_end = bool(closing.size) and closing[-1] == buf.size - 1
        if self._closed_at_end:
            closing = closing[:-1]
        if not (_QUOTE_NEIGHBOURS[buf[opening - 1]].all() and _QUOTE_NEIGHBOURS[buf[closing + 1]].all()):
            self._ok = False
            return
        self._quotes += quotes.size
        self._started = True
        self._last = int(buf[-1])

    def well_formed(self) -> bool:
        """After the last chunk: True if the fast path may read the file (a quote that ends the file closes it)."""
        return self._ok and self._quotes % 2 == 0


def _quotes_well_formed(path: Path) -> bool:
    """QuoteScan over the whole file, read here (for a caller that has no read of the file to feed it)."""
    scan = QuoteScan()
    block = bytearray(_QUOTE_SCAN_BYTES)
    with open(path, "rb") as handle:
        while got := handle.readinto(block):
            scan.feed(memoryview(block)[:got])
    return scan.well_formed()


class _Refused(Exception):
    """The fast path cannot vouch for this file: the exact path reads it."""


def _arrow_load(path: Path, names: list[str], target: Path) -> int | None:
    """raw rows into the Parquet file `target` through pyarrow's CSV reader, streamed (one thread,
    in file order); None, and no file, if pyarrow refuses the file or a cell is over the field
    limit. The caller must also see the file's quotes well formed (QuoteScan) before it trusts
    the table: pyarrow alone misreads some quoting."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    columns = [f"c{i}" for i in range(len(names))]
    schema = pa.schema([(c, pa.string()) for c in columns])
    limit = csv.field_size_limit()  # in characters; a cell of at most `limit` bytes is within it
    rows = 0
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 22, skip_rows=1, column_names=columns),
            parse_options=pacsv.ParseOptions(
                delimiter=",", quote_char='"', double_quote=True, escape_char=False, newlines_in_values=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                check_utf8=True,
            ),
        )
        with pq.ParquetWriter(target, schema, compression="zstd", compression_level=RAW_ZSTD_LEVEL) as writer:
            pending: list = []
            pending_rows = 0
            for batch in reader:
                if any((pc.max(pc.binary_length(cells)).as_py() or 0) > limit for cells in batch.columns):
                    raise _Refused
                pending.append(batch)
                pending_rows += batch.num_rows
                rows += batch.num_rows
                if pending_rows >= RAW_ROW_GROUP_ROWS:  # whole row groups, as DuckDB's COPY wrote them
                    table = pa.Table.from_batches(pending, schema)
                    whole = pending_rows - pending_rows % RAW_ROW_GROUP_ROWS
                    writer.write_table(table.slice(0, whole), row_group_size=RAW_ROW_GROUP_ROWS)
                    pending, pending_rows = table.slice(whole).to_batches(), pending_rows - whole
            if pending_rows or rows == 0:
                writer.write_table(pa.Table.from_batches(pending, schema), row_group_size=RAW_ROW_GROUP_ROWS)
    except (pa.ArrowException, _Refused):
        target.unlink(missing_ok=True)
        return None
    return rows


def _frame_to_file(con, frame: pl.DataFrame, names: list[str], target: Path) -> None:
    """The exact path's rows (read_text_table's frame) into the Parquet file `target`, columns by position."""
    data = frame.select(pl.col(name).alias(f"c{i}") for i, name in enumerate(names))
    with registered(con, "_raw_frame", data.to_arrow()):
        con.execute(f"COPY (SELECT * FROM _raw_frame) TO {literal(str(target))} ({RAW_PARQUET_OPTIONS})")


def raw_view_sql(schema: str, table: str, names: list[str], source: str, version: str, parquet: Path) -> str:
    """The view raw.<table>: the file's columns by their header names, then the lineage columns."""
    cells = ", ".join(f"c{i} AS {quote(name)}" for i, name in enumerate(names))
    return (
        f"CREATE VIEW {quote(schema)}.{quote(table)} AS SELECT {cells}, {literal(source)} AS _source, "
        f"{literal(version)} AS _source_version, file_row_number + 1 AS _row_number "
        f"FROM read_parquet({literal(str(parquet))}, file_row_number = true)"
    )


def _drop_relation(con, schema: str, table: str) -> None:
    """Drop schema.table, a view (this layout) or a table (databases written before it)."""
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    if kind is not None:
        con.execute(f"DROP {'VIEW' if kind[0] == 'VIEW' else 'TABLE'} {quote(schema)}.{quote(table)}")


def load_text_table(
    con,
    path: Path,
    *,
    schema: str,
    table: str,
    source: str,
    version: str,
    raw_dir: Path | None = None,
    before_commit=None,
    quotes_well_formed=None,
) -> tuple[int, int, str]:
    """raw.<table>: what read_text_table returns, as a view over the Parquet file
    raw_dir/<table>.parquet (raw_dir: raw_files_dir(con) unless given); (rows, data columns,
    reader), reader being "pyarrow" (the fast path) or "csv" (the exact path).

    The rows go to a loading file first, which replaces the table's file, and the view is
    (re)created, only after ``before_commit`` (optional; e.g. waiting for the checksum computed
    alongside) has returned: if anything raises before, the old file and view are left as they were.

    ``quotes_well_formed`` (optional): a function returning the QuoteScan verdict of a scan the
    caller runs alongside (materialize_raw feeds it from the checksum's read); pyarrow then parses
    at once, and its table is kept only if the verdict is True. Without it the file is scanned
    here first.
    """
    raw_dir = raw_files_dir(con) if raw_dir is None else raw_dir
    raw_dir.mkdir(parents=True, exist_ok=True)
    loading, final = raw_dir / f"_loading_{table}.parquet", raw_file(raw_dir, table)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
    try:
        names = _plain_header(path)
        rows = None
        if names is not None and (quotes_well_formed is not None or _quotes_well_formed(path)):
            rows = _arrow_load(path, names, loading)
            if rows is not None and quotes_well_formed is not None and not quotes_well_formed():
                rows = None  # pyarrow may have misread the quoting: its table is not kept
        reader = "pyarrow"
        if rows is None:  # the exact path: reads the file, or raises the located RawFormatError
            frame = read_text_table(path, source=source, version=version)
            names = [c for c in frame.columns if c not in LINEAGE_COLUMNS]
            _frame_to_file(con, frame, names, loading)
            rows, reader = frame.height, "csv"
        if before_commit is not None:
            before_commit()
        os.replace(loading, final)
    finally:
        loading.unlink(missing_ok=True)
    with transaction(con):
        _drop_relation(con, schema, table)
        con.execute(raw_view_sql(schema, table, names, source, version, final))
    return rows, len(names), reader


_VIEW_FILE = re.compile(r"read_parquet\('((?:[^']|'')*)'")


def _view_sqls(con, schema: str) -> dict[str, str]:
    """{view name: its CREATE VIEW statement} for the views of `schema`."""
    return dict(
        con.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE database_name = current_database() "
            "AND schema_name = ? ORDER BY view_name",
            [schema],
        ).fetchall()
    )


def raw_view_files(con, schema: str) -> dict[str, Path]:
    """{view name: the Parquet file it reads} for the views of `schema` made by raw_view_sql."""
    files = {}
    for name, sql in _view_sqls(con, schema).items():
        match = _VIEW_FILE.search(sql)
        if match:
            files[name] = Path(match.group(1).replace("''", "'"))
    return files


def repoint_raw_views(con, schema: str, files: dict[str, Path]) -> None:
    """Make each view `name` of `schema` read files[name] instead of the file it reads now (publish:
    the released database's raw.* read the release's own copies), in one transaction."""
    sqls = _view_sqls(con, schema)
    with transaction(con):
        for name, new in sorted(files.items()):
            match = _VIEW_FILE.search(sqls[name])
            con.execute(f"DROP VIEW {quote(schema)}.{quote(name)}")
            con.execute(sqls[name][: match.start(1) - 1] + literal(str(new)) + sqls[name][match.end(1) + 1 :])
