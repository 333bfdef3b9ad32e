"""An impossible assumption override stops `flopcast build`, and a Dagster-launched run, before any work."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg
import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def _build(*args: str) -> subprocess.CompletedProcess:
    """`flopcast build ARGS` in a child process, as a user runs it."""
    command = [sys.executable, "-m", "pipelines.cli", "build", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)


def test_cli_refuses_an_impossible_override_before_building(tmp_path):
    warehouse = tmp_path / "warehouse"
    result = _build("--set", "pue=-1", "--set", "pue=-1", "--warehouse-dir", str(warehouse))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "pue = -1 is not allowed: pue must be >= 1" in result.stderr
    assert "raw__" not in result.stdout and "Build" not in result.stdout  # no step ran, no summary
    assert not warehouse.exists()  # nothing built, nothing published, not even the lock file


def test_cli_names_every_out_of_range_value(tmp_path):
    result = _build(
        "--set", "hardware_utilization=1.5", "--set", "money_binding_usd=-1", "--warehouse-dir", str(tmp_path / "w")
    )
    assert result.returncode == 2
    assert (
        "hardware_utilization must be in (0, 1]" in result.stderr and "money_binding_usd must be > 0" in result.stderr
    )


def test_dagster_run_with_an_impossible_override_fails_at_resource_initialisation(tmp_path):
    """The same check when the override comes from a run's resource config (the Launchpad, a schedule)."""
    from pipelines.definitions import BUILD_JOB, build_definitions, default_sql_dir
    from pipelines.lib.warehouse import Locations

    locations = Locations(sources_dir=PROJECT_ROOT / "sources", warehouse_dir=tmp_path / "warehouse")
    job = build_definitions(locations, default_sql_dir()).resolve_job_def(BUILD_JOB)
    config = {
        "sources_dir": str(locations.sources_dir),
        "warehouse_dir": str(locations.warehouse_dir),
        "assumption_overrides": {"pue": -1},
    }
    result = job.execute_in_process(
        run_config={"resources": {"flopcast": {"config": config}}},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    assert result.get_step_success_events() == [] and result.get_asset_materialization_events() == []
    failures = [e for e in result.all_events if e.event_type_value == "RESOURCE_INIT_FAILURE"]
    assert failures and "pue must be >= 1" in failures[0].event_specific_data.error.message
    assert not locations.warehouse_dir.exists()
