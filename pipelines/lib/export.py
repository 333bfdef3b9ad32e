"""`flopcast export`: copies of the published tables for analysts, to a folder or any fsspec URI.

Parquet files are copied byte for byte from the published warehouse; CSV is written from the
published DuckDB file (read-only). Destinations are `<dest>/<schema>/<table>.<ext>` plus the
manifest; table names come from the manifest only, so nothing can be written outside `dest`.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import duckdb

from pipelines.lib.warehouse import Locations, quote

FORMATS = ("parquet", "csv")


class ExportError(ValueError):
    pass


@dataclass(frozen=True)
class Exported:
    table: str
    target: str
    bytes: int


def _filesystem(dest: str):
    import fsspec

    fs, root = fsspec.core.url_to_fs(dest)
    return fs, root.rstrip("/")


def export_tables(locations: Locations, dest: str, *, tables: list[str] | None = None,
                  formats: tuple[str, ...] = ("parquet",), force: bool = False) -> list[Exported]:
    if not locations.manifest.is_file():
        raise ExportError(f"no published warehouse in {locations.warehouse_dir}: run `flopcast build` first")
    manifest = json.loads(locations.manifest.read_text(encoding="utf-8"))
    published = sorted(manifest["tables"])
    wanted = tables or published
    unknown = [t for t in wanted if t not in manifest["tables"]]
    if unknown:
        raise ExportError(f"unknown table(s) {', '.join(unknown)}; published: {', '.join(published)}")
    bad_formats = [f for f in formats if f not in FORMATS]
    if bad_formats:
        raise ExportError(f"unknown format(s) {', '.join(bad_formats)}; choose from {', '.join(FORMATS)}")

    fs, root = _filesystem(dest)
    plan = [(t, f, f"{root}/{t.replace('.', '/')}.{f}") for t in wanted for f in formats]
    existing = [target for _, _, target in plan if fs.exists(target)]
    if existing and not force:
        raise ExportError(f"{len(existing)} file(s) already exist (e.g. {existing[0]}); use --force to overwrite")

    done = []
    con = duckdb.connect(str(locations.published_db), read_only=True) if "csv" in formats else None
    try:
        for table, fmt, target in plan:
            fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
            if fmt == "parquet":
                data = (locations.warehouse_dir / manifest["tables"][table]["parquet"]).read_bytes()
            else:
                data = _csv_bytes(con, table)
            with fs.open(target, "wb") as handle:
                handle.write(data)
            done.append(Exported(table, target, len(data)))
        with fs.open(f"{root}/manifest.json", "wb") as handle:
            handle.write(locations.manifest.read_bytes())
    finally:
        if con is not None:
            con.close()
    return done


def _csv_bytes(con: duckdb.DuckDBPyConnection, table: str) -> bytes:
    """The table as CSV, rows sorted like the Parquet copy (lists and structs as DuckDB text)."""
    schema, name = table.split(".")
    relation = con.sql(f"SELECT * FROM {quote(schema)}.{quote(name)} ORDER BY ALL")
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(relation.columns)
    for row in relation.fetchall():
        writer.writerow(["" if v is None else (repr(v) if isinstance(v, float) else str(v)) for v in row])
    return buffer.getvalue().encode("utf-8")

