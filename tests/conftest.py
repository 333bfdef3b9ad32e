"""Shared fixtures: real builds of the real definitions into temporary folders."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from pipelines.lib.warehouse import Locations

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_SOURCES = PROJECT_ROOT / "sources"


def pytest_configure(config):
    """Builds record their runs in the Dagster instance at DAGSTER_HOME (default ./.dagster_home): tests
    use a private one per test process (each pytest-xdist worker too), never the developer's."""
    import os
    import tempfile

    config._flopcast_dagster_home = tempfile.mkdtemp(prefix="flopcast-test-dagster-home-")
    os.environ["DAGSTER_HOME"] = config._flopcast_dagster_home


def pytest_unconfigure(config):
    home = getattr(config, "_flopcast_dagster_home", None)
    if home:
        shutil.rmtree(home, ignore_errors=True)


def build_command(sources_dir: Path, warehouse_dir: Path, *extra: str) -> list[str]:
    """`flopcast build` as a child process runs it (the determinism and killed-build tests)."""
    return [
        sys.executable,
        "-m",
        "pipelines.cli",
        "build",
        "--sources-dir",
        str(sources_dir),
        "--warehouse-dir",
        str(warehouse_dir),
        *extra,
    ]


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: text} under root (a folder of SQL models, YAML files...)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def file_tree(root: Path) -> dict[str, str | None]:
    """Every path under root (hidden ones included) with the sha256 of each file: 'nothing changed' checks."""
    import hashlib

    return {
        p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


def copy_sources(destination: Path) -> Path:
    """A private copy of the bundled snapshots that a test may tamper with."""
    shutil.copytree(BUNDLED_SOURCES, destination, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return destination


def build(locations: Locations):
    from pipelines.cli.build import run_build

    return run_build(locations)


def published_state(locations: Locations) -> tuple[bytes, bytes]:
    """The published database and manifest bytes, to prove a failed build left them alone."""
    return locations.published_db.read_bytes(), locations.manifest.read_bytes()


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Locations:
    """One successful build of the bundled sources, shared read-only by many tests."""
    locations = Locations(sources_dir=BUNDLED_SOURCES, warehouse_dir=tmp_path_factory.mktemp("warehouse"))
    outcome = build(locations)
    assert outcome.success, outcome.summary(0)
    return locations


@pytest.fixture
def published_copy(built, tmp_path) -> Locations:
    """A writable copy of the built warehouse with its own copy of the sources."""
    sources = copy_sources(tmp_path / "sources")
    warehouse = tmp_path / "warehouse"
    shutil.copytree(built.warehouse_dir, warehouse, symlinks=True, ignore=shutil.ignore_patterns(".build"))
    return Locations(sources_dir=sources, warehouse_dir=warehouse)


def manifest(locations: Locations) -> dict:
    return json.loads(locations.manifest.read_text(encoding="utf-8"))
