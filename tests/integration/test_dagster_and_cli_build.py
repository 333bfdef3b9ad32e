"""A run Dagster launches and a CLI build at the same time (issue 17, class 7): they share one lock,
so the second is refused cleanly and the first publishes; neither deletes the other's files."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PROJECT_ROOT, copy_sources

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BIN = Path(sys.executable).parent


def lock_is_held(warehouse: Path) -> bool:
    try:
        with open(warehouse / ".build.lock") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False
    except BlockingIOError:
        return True


def test_dagster_job_execute_and_a_cli_build_cannot_run_at_once(tmp_path):
    sources = copy_sources(tmp_path / "sources")
    warehouse = tmp_path / "warehouse"
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOPCAST_", "DAGSTER_"))} | {
        "FLOPCAST_SOURCES_DIR": str(sources),
        "FLOPCAST_WAREHOUSE_DIR": str(warehouse),
        "DAGSTER_HOME": str(dagster_home),
        "GX_ANALYTICS_ENABLED": "false",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    dagster = subprocess.Popen(
        [str(BIN / "dagster"), "job", "execute", "-m", "pipelines.definitions", "-j", "build_warehouse"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not lock_is_held(warehouse):
            assert dagster.poll() is None, dagster.stdout.read()[-3000:]
            assert time.monotonic() < deadline, "the Dagster run never took the build lock"
            time.sleep(0.1)
        cli = subprocess.run(
            [str(BIN / "flopcast"), "build"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert cli.returncode == 3, cli.stdout + cli.stderr
        assert "another flopcast build is running" in cli.stderr and "Traceback" not in cli.stderr
        output, _ = dagster.communicate(timeout=1200)
    finally:
        if dagster.poll() is None:
            dagster.kill()
    assert dagster.returncode == 0, output[-5000:]
    with duckdb.connect(str(warehouse / "flopcast.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.training_runs").fetchone()[0] > 500
    assert not lock_is_held(warehouse)
    # And the other way round: the CLI build runs after, under the same lock, from a fresh database.
    again = subprocess.run(
        [str(BIN / "flopcast"), "build"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=1200
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
