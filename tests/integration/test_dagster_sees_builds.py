"""`flopcast build` records its run, materializations and check results in the project's Dagster
instance (DAGSTER_HOME), so the UI, `dagster asset` commands and sensors see CLI builds."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.lib.dagster_home import DAGSTER_YAML, dagster_home, ensure_dagster_home
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration


def test_the_build_is_in_the_instance(built):
    home = Path(os.environ["DAGSTER_HOME"])  # private to this test process (tests/conftest.py)
    assert (home / "dagster.yaml").read_text() == DAGSTER_YAML
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert runs and all(run.job_name == "build_warehouse" for run in runs)
        assert any(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
        assert instance.get_latest_materialization_event(dg.AssetKey(["marts", "training_runs"])) is not None
        assert instance.get_latest_materialization_event(dg.AssetKey(["publish"])) is not None
        checks = instance.get_records_for_run(
            runs[0].run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        assert checks, "no check evaluation recorded"
    listed = subprocess.run(
        [sys.executable, "-m", "dagster", "asset", "list", "-m", "pipelines.definitions"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
    )
    assert "marts/training_runs" in listed.stdout, listed.stderr


def test_dagster_home_is_absolute_and_gets_make_devs_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", "relative/home")
    home = ensure_dagster_home()
    assert home == tmp_path / "relative/home" and home.is_absolute()
    assert (home / "dagster.yaml").read_text() == DAGSTER_YAML
    monkeypatch.delenv("DAGSTER_HOME")
    assert dagster_home() == tmp_path / ".dagster_home"
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    written = re.search(r"printf '([^']*)' > \$\$DAGSTER_HOME/dagster.yaml", makefile).group(1)
    assert written.replace("\\n", "\n") == DAGSTER_YAML  # make dev and flopcast build configure it alike
