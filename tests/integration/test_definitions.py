"""The Dagster definitions load lazily, wire every stage, and reject a broken SQL project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import dagster as dg
import pytest

from pipelines.definitions import BUILD_JOB, build_definitions, default_sql_dir
from pipelines.lib.sources import SOURCES
from pipelines.lib.sql_graph import SqlGraphError
from pipelines.lib.warehouse import default_locations
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration


def test_importing_the_definitions_does_no_work(tmp_path):
    warehouse = tmp_path / "not-created"
    code = "import sys, pipelines.definitions; print('great_expectations' in sys.modules)"
    env = {**os.environ, "FLOPCAST_WAREHOUSE_DIR": str(warehouse)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT, env=env
    )
    assert out.stdout.strip() == "False"
    assert not warehouse.exists()


def test_graph_has_every_stage_and_blocking_checks():
    defs = build_definitions(default_locations(), default_sql_dir())
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {f"raw/{s.name}" for s in SOURCES} <= keys
    assert {
        "clean/notable_models",
        "marts/training_runs",
        "marts/frontier_runs",
        "marts/compute_records",
        "marts/yearly_summary",
        "publish",
    } <= keys
    # Lineage inferred from SQL: the mart reads the curated runs (a Python asset) and ranks them itself.
    parents = {p.to_user_string() for p in graph.get(dg.AssetKey(["marts", "training_runs"])).parent_keys}
    assert parents == {"intermediate/notable_models_curated"}
    checks = list(graph.asset_check_keys)
    assert len(checks) >= 2 * len(SOURCES) + 5
    for key in checks:
        assert graph.get_check_spec(key).blocking, key
    # publish sits downstream of every model, so a failed blocking check anywhere stops it.
    publish_parents = graph.get(dg.AssetKey(["publish"])).parent_keys
    assert dg.AssetKey(["marts", "yearly_summary"]) in publish_parents
    assert defs.resolve_job_def(BUILD_JOB) is not None


@pytest.fixture
def sql_copy(tmp_path):
    target = tmp_path / "sql"
    shutil.copytree(default_sql_dir(), target)
    return target


def test_unknown_table_fails_when_definitions_load(sql_copy):
    (sql_copy / "marts" / "broken.sql").write_text("select * from staging.notable_modles\n")
    with pytest.raises(SqlGraphError, match=r"marts/broken\.sql.*staging\.notable_modles"):
        build_definitions(default_locations(), sql_copy)


def test_cycle_fails_when_definitions_load(sql_copy):
    (sql_copy / "intermediate").mkdir(exist_ok=True)  # the bundled models may have no intermediate model
    (sql_copy / "intermediate" / "a.sql").write_text("select * from intermediate.b\n")
    (sql_copy / "intermediate" / "b.sql").write_text("select * from intermediate.a\n")
    with pytest.raises(SqlGraphError, match=r"cycle.*intermediate/a\.sql.*intermediate/b\.sql"):
        build_definitions(default_locations(), sql_copy)


def test_dagster_cli_loads_the_same_definitions():
    dagster = PROJECT_ROOT / ".venv" / "bin" / "dagster"
    executable = str(dagster) if dagster.exists() else "dagster"
    result = subprocess.run(
        [executable, "definitions", "validate", "-m", "pipelines.definitions"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
