"""raw.*: read a snapshot file losslessly, every cell as text, tagged with where it came from.

Python's csv module is used instead of polars' reader because we need exact record numbers for
error messages and quarantine rows: polars turns blank lines into all-null rows and reports
malformed records without a row number.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from pipelines.lib.sources import SourceError

LINEAGE_COLUMNS = ("_source", "_source_version", "_row_number")
_BOM = b"\xef\xbb\xbf"


class RawFormatError(SourceError):
    """The file cannot be read as a table; the message names the file, row/line and column."""


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RawFormatError(
            f"{path}: line {line}: byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid UTF-8; "
            "sources must be UTF-8 encoded"
        ) from None


def _check_header(path: Path, header: list[str]) -> list[str]:
    names = [name.strip() for name in header]
    for position, name in enumerate(names, start=1):
        if not name:
            raise RawFormatError(f"{path}: header column {position} is empty")
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise RawFormatError(f"{path}: header column {position} {name!r} duplicates column {seen[name]}")
        seen[name] = position
    return names


def read_text_table(path: Path, *, source: str, version: str) -> pl.DataFrame:
    """Every record of a CSV file as strings (empty cells as null) plus lineage columns.

    ``_row_number`` is the 1-based record number after the header (a quoted field spanning several
    lines is one record; blank lines are not records), the number every later message refers to.
    """
    text = _decode(path, path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise RawFormatError(f"{path}: the file is empty (no header row)")
        names = _check_header(path, header)
        records: list[list[str]] = []
        for record in reader:
            if not record:
                continue  # a blank line is not a record
            if len(record) != len(names):
                raise RawFormatError(
                    f"{path}: row {len(records) + 1} (line {reader.line_num}) has {len(record)} fields "
                    f"but the header has {len(names)}"
                )
            records.append(record)
    except csv.Error as exc:
        raise RawFormatError(f"{path}: line {reader.line_num}: malformed CSV ({exc})") from None

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
