"""`flopcast export`: copies of the published tables for analysts, to a folder or any fsspec URI.

Parquet files are copied byte for byte from the published warehouse; CSV is written from the
published DuckDB file (read-only). Destinations are `<dest>/<schema>/<table>.<ext>` plus the
manifest; table names come from the manifest only, so nothing can be written outside `dest`.
With `views_db`, a small local DuckDB file of views over the exported Parquet files is written too
(see parquet_views.py).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

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

    try:
        fs, root = fsspec.core.url_to_fs(dest)
    except ImportError as exc:  # e.g. "Install s3fs to access S3": the driver is not installed
        raise ExportError(f"cannot write to {dest}: {exc} (fsspec's driver for it is not installed; "
                          "flopcast's lock file includes none for object storage, see docs/SCALING.md)") from None
    except ValueError as exc:  # "Protocol not known: ..."
        raise ExportError(f"cannot write to {dest}: {exc}") from None
    return fs, root.rstrip("/")


def export_tables(locations: Locations, dest: str, *, tables: list[str] | None = None,
                  formats: tuple[str, ...] = ("parquet",), force: bool = False,
                  views_db: str | Path | None = None) -> list[Exported]:
    """views_db: also write this local DuckDB file with a view per exported table over its Parquet file in dest."""
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
    views_path = _check_views(dest, views_db, formats, force) if views_db is not None else None

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
    if views_path is not None:
        from pipelines.lib.parquet_views import ViewsError, write_views_db

        try:
            write_views_db(views_path, dest, wanted, force=force)
        except ViewsError as exc:
            raise ExportError(f"the files were exported, but the views were not written: {exc}") from None
    return done


def _check_views(dest: str, views_db: str | Path, formats: tuple[str, ...], force: bool) -> Path:
    """Refuse a views file that cannot work before anything is exported."""
    from pipelines.lib.parquet_views import ViewsError, duckdb_location, views_db_path

    if "parquet" not in formats:
        raise ExportError("--views-db needs the Parquet files: add parquet to --format")
    try:
        duckdb_location(dest)
        path = views_db_path(views_db)
    except ViewsError as exc:
        raise ExportError(str(exc)) from None
    if path.exists() and not force:
        raise ExportError(f"{path} already exists; use --force to overwrite")
    return path


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

