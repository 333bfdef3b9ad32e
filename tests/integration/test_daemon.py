"""Once for real: `dagster dev` with the `new_source_version` sensor started builds and publishes the warehouse.

A private DAGSTER_HOME, sources copy and warehouse folder; the sensor is switched on with the
`dagster sensor start` CLI (it is STOPPED by default), then `dagster dev` runs until the daemon's
run has published. Slow (a minute or two on two cores): it starts the webserver, the daemon, a code
server and a run worker process.

Until `build_definitions` wires in `schedule_definitions`, the test loads a small wrapper module
that adds them (and the in-process executor); once the sensor is part of `pipelines.definitions`
it runs the user-facing command itself, `dagster dev -m pipelines.definitions`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import BUILD_JOB, build_definitions, default_sql_dir
from pipelines.defs.schedules import SENSOR_NAME, SOURCES_TAG
from pipelines.lib.source_state import newest_versions
from pipelines.lib.warehouse import Locations, connect
from tests.conftest import PROJECT_ROOT, copy_sources

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BIN = Path(sys.executable).parent
PUBLISH_TIMEOUT_SECONDS = float(os.environ.get("FLOPCAST_DAEMON_TEST_TIMEOUT", 300))

WRAPPER = '''\
"""pipelines.definitions plus the schedule, the sensor and the in-process executor (test scaffolding
for as long as build_definitions does not add them itself)."""
import dagster as dg

from pipelines.definitions import build_definitions, default_sql_dir
from pipelines.defs.schedules import schedule_definitions
from pipelines.lib.warehouse import default_locations


@dg.definitions
def defs():
    locations = default_locations()
    base = build_definitions(locations, default_sql_dir())
    schedules, sensors = schedule_definitions(locations)
    extra = dg.Definitions(schedules=schedules, sensors=sensors,
                           executor=dg.in_process_executor if base.executor is None else None)
    return dg.Definitions.merge(base, extra)
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sensor_is_wired(locations: Locations) -> bool:
    sensors = build_definitions(locations, default_sql_dir()).sensors or []
    return any(s.name == SENSOR_NAME for s in sensors)


def log_tail(path: Path, lines: int = 80) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def build_runs(dagster_home: Path) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        return list(instance.get_runs(filters=dg.RunsFilter(job_name=BUILD_JOB)))


def stop(process: subprocess.Popen) -> None:
    """Ctrl-C to the whole process group (what `dagster dev` expects), then SIGKILL whatever is left."""
    for sig, grace in ((signal.SIGINT, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGINT:  # the leader is gone; make sure its children (code servers, run worker) are too
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return


def test_dagster_dev_sensor_builds_and_publishes(tmp_path):
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(
        f"storage:\n  sqlite:\n    base_dir: {json.dumps(str(dagster_home))}\n"
        "run_coordinator:\n  module: dagster.core.run_coordinator\n  class: QueuedRunCoordinator\n"
        "code_servers:\n  local_startup_timeout: 300\n"
        "telemetry:\n  enabled: false\n",
        encoding="utf-8",
    )
    locations = Locations(sources_dir=copy_sources(tmp_path / "sources"), warehouse_dir=tmp_path / "warehouse")
    # What an earlier build left (issue 16, point 4: every run is a full build however it starts): a
    # private database with the table of a model deleted since, and a half-written release.
    locations.build_db.parent.mkdir(parents=True)
    with duckdb.connect(str(locations.build_db)) as con:
        con.execute("CREATE SCHEMA marts; CREATE TABLE marts.deleted_model AS SELECT 1 AS model_id")
    (locations.warehouse_dir / "releases" / ".staging-99999").mkdir(parents=True)
    log_path = tmp_path / "dagster.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOPCAST_", "DAGSTER_"))}
    env |= {
        "DAGSTER_HOME": str(dagster_home),
        "FLOPCAST_SOURCES_DIR": str(locations.sources_dir),
        "FLOPCAST_WAREHOUSE_DIR": str(locations.warehouse_dir),
        "FLOPCAST_SENSOR_INTERVAL_SECONDS": "5",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    if sensor_is_wired(locations):
        target = ["-m", "pipelines.definitions"]
    else:
        wrapper = tmp_path / "flopcast_with_automation.py"
        wrapper.write_text(WRAPPER, encoding="utf-8")
        target = ["-f", str(wrapper), "-d", str(PROJECT_ROOT)]
    print(f"definitions: {' '.join(target)}; DAGSTER_HOME={dagster_home}; log: {log_path}", flush=True)

    started = time.monotonic()
    # Opt in the way a user would: the sensor is STOPPED by default; this stores RUNNING in DAGSTER_HOME.
    subprocess.run(
        [str(BIN / "dagster"), "sensor", "start", SENSOR_NAME, *target],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    print(f"sensor started after {time.monotonic() - started:.0f}s", flush=True)

    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(BIN / "dagster"), "dev", *target, "-p", str(free_port()), "-h", "127.0.0.1"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + PUBLISH_TIMEOUT_SECONDS
        next_report = 0.0
        run = None
        while time.monotonic() < deadline:
            assert process.poll() is None, f"dagster dev exited with {process.returncode}"
            runs = build_runs(dagster_home)
            failed = [r for r in runs if r.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)]
            assert not failed, f"run {failed[0].run_id} of {BUILD_JOB} ended {failed[0].status.value}"
            done = [r for r in runs if r.status == dg.DagsterRunStatus.SUCCESS]
            if done and locations.manifest.exists() and locations.published_db.exists():
                run = done[0]
                break
            elapsed = time.monotonic() - started
            if elapsed >= next_report:
                state = ", ".join(r.status.value for r in runs) or "no run yet"
                print(
                    f"  {elapsed:4.0f}s: {BUILD_JOB} runs: {state}; published: {locations.manifest.exists()}",
                    flush=True,
                )
                next_report = elapsed + 15
            time.sleep(2)
        assert run is not None, f"nothing published within {PUBLISH_TIMEOUT_SECONDS:.0f}s"
        print(f"published and run {run.run_id} succeeded after {time.monotonic() - started:.0f}s", flush=True)

        assert run.tags.get("dagster/sensor_name") == SENSOR_NAME
        assert run.tags.get(SOURCES_TAG, "").count("=") == len(newest_versions(locations.sources_dir))
        assert len(build_runs(dagster_home)) == 1  # the sensor asked once, not on every tick
        manifest = json.loads(locations.manifest.read_text(encoding="utf-8"))
        assert {name: s["version"] for name, s in manifest["sources"].items()} == newest_versions(locations.sources_dir)
        assert "marts.deleted_model" not in manifest["tables"]  # the daemon's run started from a fresh private database
        assert not list((locations.warehouse_dir / "releases").glob(".staging-*"))
        with connect(locations.published_db, read_only=True) as con:
            assert con.execute("SELECT count(*) FROM marts.training_runs").fetchone()[0] > 0
    except BaseException:
        print(f"--- tail of {log_path} ---\n{log_tail(log_path)}", flush=True)
        raise
    finally:
        stop(process)
