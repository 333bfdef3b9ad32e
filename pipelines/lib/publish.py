"""Publish: checkpoint the private build database and atomically switch the published warehouse.

Every build publishes a complete *release* folder, ``warehouse/releases/<id>/`` (database copy,
the Parquet files behind its raw.* views, Parquet files, report, manifest, data card), staged under
a temporary name and fsynced. The symlink ``warehouse/current`` is then swapped to it in one rename, the single commit point; the
published names (``warehouse/flopcast.duckdb``, ``parquet/``, ``manifest.json``, ``report/``...) are
fixed symlinks through ``current``. A reader holding the database open keeps the file it opened
(its raw.* views read files of that release, which the build after next prunes); a new connection
sees the new release; nobody ever sees parts of two builds, and a build killed at
any moment leaves the previous release current.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.lib.column_docs import apply_comments
from pipelines.lib.duck import PUBLIC_SCHEMAS, RAW_FILES_DIR, table_columns
from pipelines.lib.raw import raw_file, raw_view_files, repoint_raw_views
from pipelines.lib.sources import SOURCES, load_snapshot
from pipelines.lib.warehouse import Locations, connect, quote, release

MANIFEST_FORMAT = 1
# Fixed writer settings: the same rows give the same Parquet file from the same library versions.
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 3, ROW_GROUP_SIZE 122880"
ROW_GROUP_ROWS = 122_880  # the published files' row groups (written by _write_parquet with pyarrow)


@dataclass(frozen=True)
class TableStats:
    schema: str
    table: str
    rows: int
    columns: list[list[str]]  # [name, DuckDB type]
    content_hash: str

    @property
    def qualified_name(self) -> str:
        """schema.table."""
        return f"{self.schema}.{self.table}"


def public_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of every base table in the public schemas, sorted: what a release publishes."""
    placeholders = ", ".join("?" for _ in PUBLIC_SCHEMAS)
    return con.execute(
        f"SELECT table_schema, table_name FROM information_schema.tables "
        f"WHERE table_schema IN ({placeholders}) AND table_type = 'BASE TABLE' ORDER BY 1, 2",
        list(PUBLIC_SCHEMAS),
    ).fetchall()


class UnexpectedTables(RuntimeError):
    """The private database's public tables are not exactly the tables of the graph being published."""


def check_graph_tables(found: list[tuple[str, str]], expected: set[str] | None, build_db: Path) -> None:
    """Refuse to publish unless the public tables found are exactly the graph's (``schema.table``
    names): a table a model no longer makes (a deleted or renamed SQL file, left in the private
    database by an earlier run of a few assets) must not leak into a release, and a table of the
    graph that is missing must not be dropped from one silently. None skips the check."""
    if expected is None:
        return
    names = {f"{schema}.{table}" for schema, table in found}
    extra, missing = sorted(names - expected), sorted(expected - names)
    if not extra and not missing:
        return
    problems = []
    if extra:
        problems.append(
            f"tables that no asset of this graph makes: {', '.join(extra)} (left by an earlier build; "
            "a deleted or renamed model?)"
        )
    if missing:
        problems.append(f"tables of this graph that are missing: {', '.join(missing)}")
    raise UnexpectedTables(
        f"not published: the private database {build_db} does not hold exactly this graph's public tables: "
        + "; ".join(problems)
        + ". Rebuild the whole graph (`flopcast build`, or the build_warehouse job), which "
        "starts from a fresh private database; the published warehouse is unchanged."
    )


# Where a row sat in its source file is lineage, not content: a reshuffled snapshot must publish
# the same content hash (the columns stay in the tables and in Parquet).
POSITION_COLUMNS = ("source_row_number", "row_number")


def content_hash(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple[int, list[list[str]], str]:
    """A hash of the table's content, not of its bytes: column names and types, then every row
    rendered as text (position columns left out), sorted, so storage layout, row order and file
    format never change it."""
    target = f"{quote(schema)}.{quote(table)}"
    columns = [list(c) for c in table_columns(con, schema, table)]
    hashed = [name for name, _ in columns if name not in POSITION_COLUMNS]
    row = "struct_pack(" + ", ".join(f"{quote(n)} := {quote(n)}" for n in hashed) + ")"
    rows, digest = con.execute(
        f"SELECT count(*), sha256(? || coalesce(string_agg(CAST({row} AS VARCHAR), chr(10) ORDER BY CAST({row} AS VARCHAR)), '')) "
        f"FROM {target}",
        [json.dumps(columns) + "\n"],
    ).fetchone()
    return rows, columns, digest


def table_stats(con: duckdb.DuckDBPyConnection) -> list[TableStats]:
    """Rows, columns and content hash of every public table, for the manifest."""
    stats = []
    for schema, table in public_tables(con):
        rows, columns, digest = content_hash(con, schema, table)
        stats.append(TableStats(schema, table, rows, columns, digest))
    return stats


def source_versions(con: duckdb.DuckDBPyConnection, sources_dir: Path) -> dict[str, dict]:
    """The snapshot each raw table was loaded from, with its checksum and row count."""
    used = {}
    for spec in SOURCES:
        try:
            versions = [
                v
                for (v,) in con.execute(
                    f"SELECT DISTINCT _source_version FROM raw.{quote(spec.name)} ORDER BY 1"
                ).fetchall()
            ]
        except duckdb.CatalogException:
            continue
        for version in versions:
            snapshot = load_snapshot(sources_dir, spec.name, version)
            origin = snapshot.manifest["origin"]
            used[spec.name] = {
                "title": origin.get("title"),
                "producer": origin.get("producer"),
                "url": origin.get("url"),
                "license_url": origin.get("license_url"),
                "version": version,
                "file": snapshot.manifest["file"]["name"],
                "sha256": snapshot.sha256,
                "rows": snapshot.manifest["file"]["rows"],
                "license": snapshot.manifest["origin"]["license"],
                "citation": snapshot.manifest["origin"]["citation"],
            }
    return used


def build_manifest(stats: list[TableStats], sources: dict[str, dict]) -> dict:
    """manifest.json's content: sources and table stats, with no timestamp (identical inputs, identical bytes)."""
    # No timestamps: two builds from the same inputs must give byte-identical manifests.
    return {
        "format": MANIFEST_FORMAT,
        "sources": sources,
        "tables": {
            s.qualified_name: {
                "rows": s.rows,
                "columns": s.columns,
                "content_hash": s.content_hash,
                "parquet": f"parquet/{s.schema}/{s.table}.parquet",
            }
            for s in stats
        },
    }


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _write_parquet(con: duckdb.DuckDBPyConnection, stats: list[TableStats], folder: Path) -> None:
    """Each table sorted, streamed through Arrow into Parquet with fixed settings (PARQUET_OPTIONS's
    zstd level 3 and row groups), its schema carrying the table's and every column's description and
    unit (column_docs.parquet_metadata), so `pyarrow.parquet.read_schema` shows them. DuckDB's COPY
    cannot write per-column metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.lib.column_docs import parquet_metadata

    for s in stats:
        target = folder / s.schema / f"{s.table}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        reader = con.execute(f"SELECT * FROM {quote(s.schema)}.{quote(s.table)} ORDER BY ALL").to_arrow_reader(
            ROW_GROUP_ROWS
        )
        table_metadata, field_metadata = parquet_metadata(s.qualified_name, reader.schema.names)
        schema = pa.schema(
            [field.with_metadata(field_metadata.get(field.name)) for field in reader.schema], metadata=table_metadata
        )
        with pq.ParquetWriter(target, schema, compression="zstd", compression_level=3) as writer:
            for batch in reader:
                writer.write_batch(batch, row_group_size=ROW_GROUP_ROWS)


# The published names in warehouse/, each a symlink through `current` into the live release.
PUBLISHED_ENTRIES = ("flopcast.duckdb", "parquet", "manifest.json", "report", "DATA_CARD.md", "datapackage.json")
RELEASES, CURRENT = "releases", "current"


def _stage_raw_files(raw_files: dict[str, Path], folder: Path) -> None:
    """The Parquet files behind raw.* into the release: hard links where the file system allows
    (the build replaces its files by renaming new ones over them, so a link keeps the old
    content), copies otherwise."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in sorted(raw_files.items()):
        target = raw_file(folder, name)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)


def _repoint_raw_views(release_dir: Path, raw_files: dict[str, Path]) -> None:
    """The released database's raw.* views, pointed at the release's own raw/ files, written and fsynced."""
    if not raw_files:
        return
    db = release_dir / "flopcast.duckdb"
    con = duckdb.connect(str(db))
    try:
        repoint_raw_views(con, "raw", {name: raw_file(release_dir / RAW_FILES_DIR, name) for name in raw_files})
        con.execute("CHECKPOINT")
    finally:
        con.close()
    with open(db, "rb") as handle:
        os.fsync(handle.fileno())


def release_name(manifest: dict) -> str:
    """The manifest's hash says what the release holds; the random suffix keeps every publish in a
    folder of its own (a rebuild with new report code but the same data must not reuse the old one)."""
    digest = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode("utf-8")).hexdigest()[:12]
    return f"{digest}-{uuid.uuid4().hex[:8]}"


def _atomic_symlink(target: str, link: Path) -> None:
    """Point `link` at `target` in one rename (readers see the old or the new target, never none)."""
    temporary = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(target, temporary)
    if link.is_dir() and not link.is_symlink():
        # A warehouse from before releases existed: move the real folder out of the way first.
        shutil.rmtree(link)
    os.replace(temporary, link)


def remove_stale_staging(warehouse_dir: Path) -> None:
    """Half-written releases of a build that was killed; callers hold the build lock."""
    releases = warehouse_dir / RELEASES
    for stale in sorted(releases.glob(".staging-*")) if releases.is_dir() else []:
        shutil.rmtree(stale, ignore_errors=True)


def _prune_releases(warehouse_dir: Path, keep: set[str]) -> None:
    releases = warehouse_dir / RELEASES
    for folder in sorted(releases.iterdir()):
        if folder.name not in keep and not folder.name.startswith("."):
            # Readers that still hold files of an old release keep reading them (unlinked inodes).
            shutil.rmtree(folder, ignore_errors=True)


def publish(
    locations: Locations,
    extras: Callable[[duckdb.DuckDBPyConnection, dict, Path], None] | None = None,
    expected_tables: set[str] | None = None,
) -> dict:
    """Stage a complete release (database copy, Parquet, report, manifest, extras), then make it
    current with one atomic rename of the `current` symlink: that rename is the commit point.

    `extras(con, manifest, release_dir)` may write more files into the release (the data card).
    `expected_tables`: the graph's public tables (``schema.table``); anything else in the private
    database stops the publish before any file is written (``check_graph_tables``).
    """
    warehouse = locations.warehouse_dir
    releases = warehouse / RELEASES
    releases.mkdir(parents=True, exist_ok=True)
    staging = releases / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        with connect(locations.build_db) as con:
            check_graph_tables(public_tables(con), expected_tables, locations.build_db)
            apply_comments(con)  # COMMENT ON every public table and column (pipelines/lib/column_docs.py)
            con.execute("CHECKPOINT")
            stats = table_stats(con)
            manifest = build_manifest(stats, source_versions(con, locations.sources_dir))
            _write_parquet(con, stats, staging / "parquet")
            if extras is not None:
                extras(con, manifest, staging)
            raw_files = raw_view_files(con, "raw")
        release(locations.build_db)  # if the build held it open (warehouse.held_open): closed, so the copy is whole
        shutil.copyfile(locations.build_db, staging / "flopcast.duckdb")
        _stage_raw_files(raw_files, staging / RAW_FILES_DIR)
        if locations.build_report_dir.is_dir():
            shutil.copytree(locations.build_report_dir, staging / "report")
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _fsync_tree(staging)

        name = release_name(manifest)
        os.rename(staging, releases / name)
        # Only now that the release has its final path can its raw.* views read its own files
        # (DuckDB reads a file when a view over it is created); it is not current yet.
        _repoint_raw_views(releases / name, raw_files)
        previous = os.readlink(warehouse / CURRENT) if (warehouse / CURRENT).is_symlink() else None
        _atomic_symlink(f"{RELEASES}/{name}", warehouse / CURRENT)  # the commit point
        for entry in PUBLISHED_ENTRIES:
            link = warehouse / entry
            wanted = f"{CURRENT}/{entry}"
            if (releases / name / entry).exists() and not (link.is_symlink() and os.readlink(link) == wanted):
                _atomic_symlink(wanted, link)
        keep = {name} | ({Path(previous).name} if previous else set())
        _prune_releases(warehouse, keep)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest
