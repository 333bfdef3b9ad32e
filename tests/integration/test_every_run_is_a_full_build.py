"""Every run is a full build however it starts (issue 16, point 4): runs that Dagster launches get the
lock, the fresh private database, the cleanup of half-written releases and the check that the
published tables are exactly the graph's, like `flopcast build`. Real runs of the real job on an
ephemeral Dagster instance, on a copy of the session's build (private database included)."""

from __future__ import annotations

import json
import shutil

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import BUILD_JOB, build_definitions, default_sql_dir
from pipelines.defs.publish import graph_tables
from pipelines.lib.warehouse import Locations
from tests.conftest import copy_sources

pytestmark = pytest.mark.integration

LEAKED = "marts.deleted_model"


@pytest.fixture
def warehouse_with_leftovers(built, tmp_path) -> Locations:
    """The session's build with its private database, holding a table no model makes any more (as a
    build before a model's SQL file was deleted leaves it), and a half-written release."""
    warehouse = tmp_path / "warehouse"
    shutil.copytree(built.warehouse_dir, warehouse, symlinks=True)
    with duckdb.connect(str(warehouse / ".build" / "flopcast.duckdb")) as con:
        con.execute(f"CREATE TABLE {LEAKED} AS SELECT 1 AS model_id")
    (warehouse / "releases" / ".staging-99999" / "parquet").mkdir(parents=True)
    return Locations(sources_dir=copy_sources(tmp_path / "sources"), warehouse_dir=warehouse)


def _job(locations: Locations) -> dg.JobDefinition:
    return build_definitions(locations, default_sql_dir(), executor="in_process").resolve_job_def(BUILD_JOB)


def _asset_keys(locations: Locations) -> list[dg.AssetKey]:
    graph = build_definitions(locations, default_sql_dir(), executor="in_process").resolve_asset_graph()
    return sorted(graph.get_all_asset_keys(), key=lambda key: key.to_user_string())


def _tables(locations: Locations) -> dict:
    return json.loads(locations.manifest.read_text(encoding="utf-8"))["tables"]


def test_a_run_of_the_job_starts_fresh_so_a_deleted_models_table_never_leaks(warehouse_with_leftovers, built):
    locations = warehouse_with_leftovers
    result = _job(locations).execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert result.success
    published = _tables(locations)
    assert LEAKED not in published
    # Exactly the graph's tables, with the same content as the CLI build of the same sources.
    assert {name: t["content_hash"] for name, t in published.items()} == {
        name: t["content_hash"] for name, t in _tables(built).items()
    }
    assert set(published) == graph_tables(_asset_keys(locations))
    assert not list((locations.warehouse_dir / "releases").glob(".staging-*"))  # the half-written release is gone


def test_publish_refuses_a_table_that_no_asset_of_the_graph_makes(warehouse_with_leftovers):
    """A run of selected assets keeps the private database (to redo a step): its publish must not
    carry the leftover table into a release."""
    locations = warehouse_with_leftovers
    before = (
        locations.published_db.read_bytes(),
        locations.manifest.read_bytes(),
        sorted(p.name for p in (locations.warehouse_dir / "releases").iterdir()),
    )
    result = _job(locations).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False, asset_selection=[dg.AssetKey(["publish"])]
    )
    assert not result.success
    (failure,) = result.get_step_failure_events()
    message = failure.step_failure_data.error.to_string()
    assert "UnexpectedTables" in message and LEAKED in message and "no asset of this graph makes" in message
    after = (
        locations.published_db.read_bytes(),
        locations.manifest.read_bytes(),
        sorted(p.name for p in (locations.warehouse_dir / "releases").iterdir() if not p.name.startswith(".")),
    )
    assert after == (before[0], before[1], [n for n in before[2] if not n.startswith(".")])


def test_publish_refuses_when_a_table_of_the_graph_is_missing(warehouse_with_leftovers):
    locations = warehouse_with_leftovers
    with duckdb.connect(str(locations.build_db)) as con:
        con.execute(f"DROP TABLE {LEAKED}")
        con.execute("DROP TABLE marts.roadblocks")
    manifest = locations.manifest.read_bytes()
    result = _job(locations).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False, asset_selection=[dg.AssetKey(["publish"])]
    )
    assert not result.success
    message = result.get_step_failure_events()[0].step_failure_data.error.to_string()
    assert "missing: marts.roadblocks" in message
    assert locations.manifest.read_bytes() == manifest


def test_the_graphs_tables_are_the_published_ones(built):
    """graph_tables names every table a build publishes, and nothing else (else every publish fails)."""
    assert graph_tables(_asset_keys(built)) == set(_tables(built))
