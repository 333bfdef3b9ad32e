"""Publish: checkpoint the private build database and atomically replace the published warehouse.

Readers hold ``warehouse/flopcast.duckdb`` open read-only; the build never opens that file. It
copies its checkpointed private database next to it and ``os.replace``s it in: a reader keeps the
file it opened (the old inode), a new connection sees the new build, and nobody ever sees half of
one. Parquet copies, the report and ``manifest.json`` are staged the same way.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.lib.sources import SOURCES, load_snapshot
from pipelines.lib.warehouse import Locations, connect, quote

PUBLIC_SCHEMAS = ("clean", "marts", "quarantine")
MANIFEST_FORMAT = 1
# Fixed writer settings: the same rows give the same Parquet file from the same library versions.
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 3, ROW_GROUP_SIZE 122880"


@dataclass(frozen=True)
class TableStats:
    schema: str
    table: str
    rows: int
    columns: list[list[str]]  # [name, DuckDB type]
    content_hash: str

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.table}"


def public_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    placeholders = ", ".join("?" for _ in PUBLIC_SCHEMAS)
    return con.execute(
        f"SELECT table_schema, table_name FROM information_schema.tables "
        f"WHERE table_schema IN ({placeholders}) AND table_type = 'BASE TABLE' ORDER BY 1, 2",
        list(PUBLIC_SCHEMAS),
    ).fetchall()


def content_hash(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple[int, list[list[str]], str]:
    """A hash of the table's content, not of its bytes: column names and types, then every row
    rendered as text, sorted, so storage layout, row order and file format never change it."""
    target = f"{quote(schema)}.{quote(table)}"
    columns = [list(c) for c in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()]
    rows, digest = con.execute(
        f"SELECT count(*), sha256(? || coalesce(string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY CAST(t AS VARCHAR)), '')) "
        f"FROM {target} AS t",
        [json.dumps(columns) + "\n"],
    ).fetchone()
    return rows, columns, digest


def table_stats(con: duckdb.DuckDBPyConnection) -> list[TableStats]:
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
            versions = [v for (v,) in con.execute(f"SELECT DISTINCT _source_version FROM raw.{quote(spec.name)} ORDER BY 1").fetchall()]
        except duckdb.CatalogException:
            continue
        for version in versions:
            snapshot = load_snapshot(sources_dir, spec.name, version)
            used[spec.name] = {
                "version": version,
                "file": snapshot.manifest["file"]["name"],
                "sha256": snapshot.sha256,
                "rows": snapshot.manifest["file"]["rows"],
                "license": snapshot.manifest["origin"]["license"],
                "citation": snapshot.manifest["origin"]["citation"],
            }
    return used


def build_manifest(stats: list[TableStats], sources: dict[str, dict]) -> dict:
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


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _write_parquet(con: duckdb.DuckDBPyConnection, stats: list[TableStats], folder: Path) -> None:
    for s in stats:
        target = folder / s.schema / f"{s.table}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY (SELECT * FROM {quote(s.schema)}.{quote(s.table)} ORDER BY ALL) TO '{target}' ({PARQUET_OPTIONS})"
        )


def publish(locations: Locations) -> dict:
    """Checkpoint the build database, stage a copy, Parquet files and manifest, then swap them in."""
    build_db = locations.build_db
    staging = locations.warehouse_dir / f".publish-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        with connect(build_db) as con:
            con.execute("CHECKPOINT")
            stats = table_stats(con)
            manifest = build_manifest(stats, source_versions(con, locations.sources_dir))
            _write_parquet(con, stats, staging / "parquet")
        staged_db = staging / "flopcast.duckdb"
        shutil.copyfile(build_db, staged_db)
        _fsync_file(staged_db)
        if locations.build_report_dir.is_dir():
            shutil.copytree(locations.build_report_dir, staging / "report")
        staged_manifest = staging / "manifest.json"
        staged_manifest.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")

        # The database file is the commit point: replaced in one rename, then its companions.
        os.replace(staged_db, locations.published_db)
        old_parquet = staging / "parquet-previous"
        if locations.parquet_dir.exists():
            os.replace(locations.parquet_dir, old_parquet)
        os.replace(staging / "parquet", locations.parquet_dir)
        if (staging / "report").is_dir():
            if locations.report_dir.exists():
                os.replace(locations.report_dir, staging / "report-previous")
            os.replace(staging / "report", locations.report_dir)
        os.replace(staged_manifest, locations.manifest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest
