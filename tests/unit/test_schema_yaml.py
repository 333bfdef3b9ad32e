"""Settings written once and SQL models described beside themselves (issue 16, points 1 and 2):
getvariable() settings, schema.yml descriptions and data tests, code versions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlglot

from pipelines.lib import column_docs
from pipelines.lib.settings import DEFAULTS, SQL_VARIABLES, set_sql_variables, sql_variables
from pipelines.lib.sql_graph import SqlGraphError, load_sql_project, read_model
from pipelines.lib.sql_runner import run_model, run_test
from tests.conftest import write_tree

EXTERNAL = ("clean.runs",)


def load(root: Path):
    column_docs._table_specs.cache_clear()  # each test writes its own project
    return load_sql_project(root, external_tables=EXTERNAL)


SCHEMA = """
version: 2
models:
- name: runs
  description: One row per run, {{ frontier_top_n }} largest flagged.
  tests:
  - unique_combination_of_columns: {combination_of_columns: [org, year]}
  columns:
  - name: run_id
    description: The run.
    tests: [unique, not_null]
  - name: org
    description: Who ran it.
    tests:
    - accepted_values: {values: [a, b]}
  - name: year
    description: When.
    unit: year
  - name: flop
    description: How much.
    unit: FLOP
    tests:
    - accepted_range: {min_value: 0, max_value: "getvariable('large_scale_min_flop')"}
  - name: is_big
    description: Large-scale.
"""
MODEL = "select run_id, org, year, flop, flop >= getvariable('large_scale_min_flop') as is_big\nfrom clean.runs"


def project(tmp_path: Path, schema: str = SCHEMA, model: str = MODEL) -> Path:
    return write_tree(tmp_path / "sql", {"marts/runs.sql": model, "marts/schema.yml": schema})


def database(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema clean; create table clean.runs (run_id varchar, org varchar, year int, flop double)")
    if rows:
        con.executemany("insert into clean.runs values (?, ?, ?, ?)", rows)
    return con


def failing(con, models, tests) -> dict[str, int]:
    for model in models:
        run_model(con, model)
    return {t.name: run_test(con, t).failing_rows for t in tests}


def test_settings_reach_the_sql_as_typed_variables():
    con = duckdb.connect()
    set_sql_variables(con)
    assert con.execute(
        "select getvariable('frontier_top_n'), typeof(getvariable('frontier_top_n')), "
        "getvariable('large_scale_min_flop'), typeof(getvariable('large_scale_min_flop'))"
    ).fetchone() == (DEFAULTS.frontier_top_n, "BIGINT", DEFAULTS.large_scale_min_flop, "DOUBLE")
    assert set(sql_variables()) == set(SQL_VARIABLES)


def test_cli_resource_and_analysis_defaults_are_the_settings():
    from pipelines.cli import parser
    from pipelines.defs.resources import FlopcastResource
    from pipelines.lib.analysis import AnalysisConfig

    args = parser().parse_args(["build"])
    assert (args.horizon, args.resamples, args.seed, args.cluster_start_year) == (
        DEFAULTS.horizon_year,
        DEFAULTS.bootstrap_resamples,
        DEFAULTS.seed,
        DEFAULTS.cluster_start_year,
    )
    resource = FlopcastResource(sources_dir="s", warehouse_dir="w")
    assert resource.settings == DEFAULTS
    config = AnalysisConfig()
    assert (config.horizon_year, config.bootstrap_resamples, config.seed) == (
        DEFAULTS.horizon_year,
        DEFAULTS.bootstrap_resamples,
        DEFAULTS.seed,
    )
    assert FlopcastResource(sources_dir="s", warehouse_dir="w", seed=7).settings.seed == 7


def test_the_real_sql_reads_its_rules_from_settings():
    model = read_model(column_docs.default_sql_dir(), "marts.training_runs")
    assert model.variables == ("frontier_top_n", "large_scale_min_flop")
    assert "<= 10" not in model.sql and "1e23" not in model.sql.split("-- ")[-1]


def test_unknown_setting_or_a_setting_in_a_view_is_refused(tmp_path):
    with pytest.raises(SqlGraphError, match=r"getvariable\('frontier_top'\): not a setting"):
        load(write_tree(tmp_path / "a", {"marts/x.sql": "select getvariable('frontier_top') as n from clean.runs"}))
    with pytest.raises(SqlGraphError, match="a view cannot read settings"):
        load(
            write_tree(
                tmp_path / "b",
                {"marts/x.sql": "-- materialized: view\nselect getvariable('frontier_top_n') as n from clean.runs"},
            )
        )


def test_data_tests_become_assertions_on_their_model(tmp_path):
    models, tests = load(project(tmp_path))
    assert {t.name for t in tests} == {
        "unique_run_id",
        "not_null_run_id",
        "accepted_values_org",
        "accepted_range_flop",
        "unique_combination_of_columns_org_year",
    }
    assert {t.target for t in tests} == {"marts.runs"}
    good = [("r1", "a", 2020, 1e20), ("r2", "b", 2020, 5e22), ("r3", "a", 2021, None)]
    assert set(failing(database(good), models, tests).values()) == {0}
    bad = [("r1", "a", 2020, 1e20), ("r1", "c", 2021, -1.0), (None, "a", 2020, 1e30)]
    assert failing(database(bad), models, tests) == {
        "unique_run_id": 1,
        "not_null_run_id": 1,
        "accepted_values_org": 1,
        "accepted_range_flop": 2,
        "unique_combination_of_columns_org_year": 1,
    }


def test_descriptions_units_and_settings_in_them(tmp_path):
    load(project(tmp_path))
    spec = column_docs.table_specs(tmp_path / "sql")["marts.runs"]
    assert spec.description == f"One row per run, {DEFAULTS.frontier_top_n} largest flagged."
    assert spec.columns["flop"] == ("FLOP", "How much.") and spec.columns["org"] == (None, "Who ran it.")


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (SCHEMA.replace("- name: runs", "- name: walks"), r"describes marts\.walks, but there is no marts/walks\.sql"),
        (SCHEMA.replace("tests: [unique, not_null]", "tests: [uniq]"), r"unknown test 'uniq'"),
        (SCHEMA.replace("    description: Who ran it.\n", ""), r"runs\.org: no description"),
        (SCHEMA.replace("{{ frontier_top_n }}", "{{ top_n }}"), r"top_n \}\} is not a setting"),
        (SCHEMA.replace("{min_value: 0, max_value", "{low: 0, max_value"), r"accepted_range' takes"),
        (SCHEMA.replace("version: 2", "version: 1"), r"version: 2"),
    ],
)
def test_schema_file_mistakes_name_the_file(tmp_path, schema, message):
    with pytest.raises(SqlGraphError, match=message) as error:
        load(project(tmp_path, schema=schema))
    assert "schema.yml" in str(error.value)


def test_code_version_is_a_hash_of_the_sql(tmp_path):
    (first,), _ = load(project(tmp_path / "1"))
    (same,), _ = load(project(tmp_path / "2"))
    (changed,), _ = load(project(tmp_path / "3", model=MODEL.replace("flop >=", "flop >  ")))
    assert first.code_version == same.code_version != changed.code_version


def test_every_column_of_every_real_sql_model_is_described():
    column_docs._table_specs.cache_clear()
    root = column_docs.default_sql_dir()
    specs = column_docs.table_specs(root)
    for path in sorted(root.glob("*/*.sql")):
        if path.parent.name == "tests":
            continue
        model = read_model(root, f"{path.parent.name}.{path.stem}")
        selected = sqlglot.parse_one(model.sql, read="duckdb").named_selects
        assert "*" not in selected, model.qualified_name
        spec = specs.get(model.qualified_name)
        assert spec is not None, f"{model.qualified_name}: no entry in {path.parent / 'schema.yml'}"
        assert [c for c in selected if c not in spec.columns] == [], model.qualified_name
        assert [c for c in spec.columns if c not in selected] == [], model.qualified_name
