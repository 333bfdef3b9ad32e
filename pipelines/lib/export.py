"""`flopcast export`: copies of the published tables for analysts, to a folder or any fsspec URI.

Parquet files are copied byte for byte from the published warehouse; CSV is written from the
published DuckDB file (read-only). Destinations are `<dest>/<schema>/<table>.<ext>` plus the
manifest; table names come from the manifest only, so nothing can be written outside `dest`.
With `views_db`, a small local DuckDB file of views over the exported Parquet files is written too
(see parquet_views.py).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
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
        raise ExportError(
            f"cannot write to {dest}: {exc} (fsspec's driver for it is not installed; "
            "flopcast's lock file includes none for object storage, see docs/SCALING.md)"
        ) from None
    except ValueError as exc:  # "Protocol not known: ..."
        raise ExportError(f"cannot write to {dest}: {exc}") from None
    return fs, root.rstrip("/")


def _as_given(dest: str, root: str, target: str) -> str:
    """A target spelled like the destination the user gave, scheme included (memory://x/marts/t.parquet,
    not fsspec's /x/marts/t.parquet)."""
    return dest.rstrip("/") + target[len(root) :] if "://" in dest and target.startswith(root) else target


def _local_path(dest: str) -> Path | None:
    """The local folder an export destination names, or None for another fsspec protocol."""
    scheme, sep, rest = dest.partition("://")
    if not sep:
        return Path(dest).expanduser()
    return Path(rest) if scheme.lower() in ("file", "local") else None


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def _check_destination(locations: Locations, dest: str) -> None:
    """Refuse a destination that is a file, or that lies in the warehouse (an export there would write
    through the published symlinks into the live release)."""
    local = _local_path(dest)
    if local is None:
        return
    if _inside(local, locations.warehouse_dir):
        raise ExportError(
            f"--to {dest} is inside the warehouse {locations.warehouse_dir}; exports go elsewhere "
            "(writing there would change the published release)"
        )
    if local.exists() and not local.is_dir():
        raise ExportError(f"--to {dest} is a file, not a folder; give a folder (it is created if missing)")


def export_tables(
    locations: Locations,
    dest: str,
    *,
    tables: list[str] | None = None,
    formats: tuple[str, ...] = ("parquet",),
    force: bool = False,
    views_db: str | Path | None = None,
    raw_csv: bool = False,
) -> list[Exported]:
    """views_db: also write this local DuckDB file with a view per exported table over its Parquet file in dest.
    raw_csv: keep CSV cells that start like a formula (= + - @) as they are instead of neutralising them."""
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
    _check_destination(locations, dest)
    views_path = _check_views(locations, dest, views_db, formats, force) if views_db is not None else None

    fs, root = _filesystem(dest)
    plan = [(t, f, f"{root}/{t.replace('.', '/')}.{f}") for t in wanted for f in formats]
    existing = [target for _, _, target in plan if fs.exists(target)]
    if existing and not force:
        raise ExportError(f"{len(existing)} file(s) already exist (e.g. {existing[0]}); use --force to overwrite")

    done = []
    con = None
    try:
        if "csv" in formats:
            temp_directory = tempfile.mkdtemp(prefix="flopcast-export-")  # never spill inside the release
            con = duckdb.connect(
                str(locations.published_db),
                read_only=True,
                config={"enable_external_access": False, "temp_directory": temp_directory},
            )
        for table, fmt, target in plan:
            fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
            with fs.open(target, "wb") as handle:
                if fmt == "parquet":
                    size = handle.write((locations.warehouse_dir / manifest["tables"][table]["parquet"]).read_bytes())
                else:
                    size = _write_csv(con, table, handle, raw=raw_csv)
            done.append(Exported(table, _as_given(dest, root, target), size))
        with fs.open(f"{root}/manifest.json", "wb") as handle:
            handle.write(locations.manifest.read_bytes())
    except OSError as exc:  # a read-only folder, a file where a folder should be, a full disk
        where = getattr(exc, "filename", None) or dest
        raise ExportError(f"cannot write to {where}: {exc.strerror or exc}") from None
    finally:
        if con is not None:
            con.close()
            shutil.rmtree(temp_directory, ignore_errors=True)
    if views_path is not None:
        from pipelines.lib.parquet_views import ViewsError, write_views_db

        try:
            write_views_db(views_path, dest, wanted, force=force)
        except ViewsError as exc:
            raise ExportError(f"the files were exported, but the views were not written: {exc}") from None
    return done


def _check_views(locations: Locations, dest: str, views_db: str | Path, formats: tuple[str, ...], force: bool) -> Path:
    """Refuse a views file that cannot work, or that would replace a file of the warehouse (the
    published database above all, --force or not), before anything is exported."""
    from pipelines.lib.parquet_views import ViewsError, duckdb_location, views_db_path

    if "parquet" not in formats:
        raise ExportError("--views-db needs the Parquet files: add parquet to --format")
    try:
        duckdb_location(dest)
        path = views_db_path(views_db)
    except ViewsError as exc:
        raise ExportError(str(exc)) from None
    if _inside(path, locations.warehouse_dir):
        raise ExportError(
            f"--views-db {views_db} is in the warehouse {locations.warehouse_dir} (it would replace a "
            "published file); write the views file elsewhere"
        )
    if path.is_symlink():
        raise ExportError(f"--views-db {views_db} is a symbolic link; give the path of a real file")
    if path.exists() and not force:
        raise ExportError(f"{path} already exists; use --force to overwrite")
    return path


def _write_csv(con: duckdb.DuckDBPyConnection, table: str, handle, *, raw: bool = False) -> int:
    """The table as CSV into handle, rows sorted like the Parquet copy (lists and structs as DuckDB
    text), streamed a batch at a time; cells that start like a formula are neutralised unless raw
    (see query.csv_cell). Returns the bytes written."""
    from pipelines.lib.query import BATCH_ROWS, csv_lines

    schema, name = table.split(".")
    relation = con.sql(f"SELECT * FROM {quote(schema)}.{quote(name)} ORDER BY ALL")

    def batches():
        while rows := relation.fetchmany(BATCH_ROWS):
            yield rows

    size = 0
    for chunk in csv_lines(list(relation.columns), batches(), raw=raw):
        size += handle.write(chunk.encode("utf-8"))
    return size
