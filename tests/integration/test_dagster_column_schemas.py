"""Dagster shows every column of the Python-made tables with its description (issue 16, point 2): the
materializations of a clean table and of an analysis mart carry a "dagster/column_schema" whose
columns are the table's and whose descriptions come from the YAML files. A real run of three assets
of the job on a copy of the session's build."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import BUILD_JOB, build_definitions, default_sql_dir
from pipelines.lib.warehouse import Locations
from tests.conftest import copy_sources

pytestmark = pytest.mark.integration

SELECTED = {
    ("raw", "fred_ppi_data_processing"): None,
    ("clean", "price_index"): "clean.price_index",
    ("marts", "assumptions"): "marts.assumptions",
}


def test_python_made_tables_show_described_columns_in_dagster(built, tmp_path):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(built.warehouse_dir, warehouse, symlinks=True)
    locations = Locations(sources_dir=copy_sources(tmp_path / "sources"), warehouse_dir=warehouse)
    job = build_definitions(locations, default_sql_dir(), executor="in_process").resolve_job_def(BUILD_JOB)
    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), asset_selection=[dg.AssetKey(list(key)) for key in SELECTED]
    )
    events = {tuple(e.asset_key.path): e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert set(events) == set(SELECTED)
    with duckdb.connect(str(locations.build_db), read_only=True) as con:
        for key, table in SELECTED.items():
            if table is None:
                continue
            schema = events[key]["dagster/column_schema"].value
            columns = [row[0] for row in con.sql(f"DESCRIBE {table}").fetchall()]
            assert [c.name for c in schema.columns] == columns, key
            undescribed = [c.name for c in schema.columns if not (c.description or "").strip()]
            assert undescribed == [], f"{table}: no description for {undescribed}"
