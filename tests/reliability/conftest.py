"""Shared pieces of the reliability tests: subprocess builds and published-state fingerprints."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb

from pipelines.lib.publish import content_hash
from tests.conftest import PROJECT_ROOT, build_command


def start_build(sources_dir: Path, warehouse_dir: Path, *extra: str, log: Path) -> subprocess.Popen:
    handle = open(log, "wb")
    return subprocess.Popen(
        build_command(sources_dir, warehouse_dir, *extra),
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def run_build(sources_dir: Path, warehouse_dir: Path, *extra: str, log: Path) -> None:
    process = start_build(sources_dir, warehouse_dir, *extra, log=log)
    assert process.wait(timeout=900) == 0, log.read_text()[-3000:]


def verify_published(warehouse_dir: Path) -> dict:
    """Open the published warehouse read-only, read every public table in full (DuckDB checks block
    checksums as it reads) and recompute each content hash: it must match manifest.json exactly."""
    manifest = json.loads((warehouse_dir / "manifest.json").read_text())
    with duckdb.connect(str(warehouse_dir / "flopcast.duckdb"), read_only=True) as con:
        for name, table in manifest["tables"].items():
            schema, table_name = name.split(".")
            rows, columns, digest = content_hash(con, schema, table_name)
            assert (rows, columns, digest) == (table["rows"], table["columns"], table["content_hash"]), name
    return manifest
