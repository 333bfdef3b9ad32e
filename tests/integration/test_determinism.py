"""Same inputs, same outputs: content hashes do not depend on row order, hash seeds or thread counts."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import subprocess

import pytest

from pipelines.lib.sources import SOURCES, load_snapshot
from tests.conftest import PROJECT_ROOT, build_command, copy_sources

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def shuffle_sources(sources_dir, seed: int = 7) -> None:
    """Reorder every snapshot's records (header kept) and re-seal its manifest, same version name."""
    rng = random.Random(seed)
    for spec in SOURCES:
        snapshot = load_snapshot(sources_dir, spec.name)
        records = [
            r for r in csv.reader(io.StringIO(snapshot.data_path.read_text(encoding="utf-8-sig"), newline="")) if r
        ]
        header, body = records[0], records[1:]
        rng.shuffle(body)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *body])
        data = out.getvalue().encode("utf-8")
        snapshot.data_path.write_bytes(data)
        manifest = dict(snapshot.manifest)
        manifest["file"] = dict(manifest["file"], sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
        (snapshot.folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def cli_build(sources_dir, warehouse_dir, **env) -> dict:
    result = subprocess.run(
        build_command(sources_dir, warehouse_dir),
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=900,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads((warehouse_dir / "manifest.json").read_text())


def table_hashes(manifest: dict) -> dict[str, tuple[int, str]]:
    return {name: (t["rows"], t["content_hash"]) for name, t in manifest["tables"].items()}


def test_one_thread_and_another_hash_seed_give_the_same_content(built, tmp_path):
    manifest = cli_build(
        built.sources_dir, tmp_path / "w1", PYTHONHASHSEED="0", POLARS_MAX_THREADS="1", FLOPCAST_DUCKDB_THREADS="1"
    )
    assert manifest == json.loads(built.manifest.read_text())


def test_shuffled_sources_two_threads_and_another_hash_seed_give_the_same_content(built, tmp_path):
    sources = copy_sources(tmp_path / "sources")
    shuffle_sources(sources)
    manifest = cli_build(
        sources, tmp_path / "w2", PYTHONHASHSEED="12345", POLARS_MAX_THREADS="2", FLOPCAST_DUCKDB_THREADS="2"
    )
    expected = table_hashes(json.loads(built.manifest.read_text()))
    differing = {name for name, value in table_hashes(manifest).items() if expected.get(name) != value}
    assert differing == set(), f"content differs after shuffling: {sorted(differing)}"
