"""Run the dbt_like_sql models and assertions against the build database, or a model on frames.

Every run sets the settings the SQL reads (``getvariable``) on its connection first, from the run's
``Settings`` (pipelines/lib/settings.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines.lib.duck import table_columns
from pipelines.lib.settings import DEFAULTS, Settings, set_sql_variables
from pipelines.lib.sql_graph import SqlModel, SqlTest
from pipelines.lib.warehouse import quote


@dataclass(frozen=True)
class ModelRun:
    rows: int
    columns: list[tuple[str, str]]  # (name, DuckDB type)


@dataclass(frozen=True)
class TestRun:
    failing_rows: int
    columns: list[str]
    examples: list[tuple]  # up to 10 offending rows


def run_model(con: duckdb.DuckDBPyConnection, model: SqlModel, settings: Settings = DEFAULTS) -> ModelRun:
    """Create (or replace) the model's table or view from its SQL and return its row count and columns."""
    set_sql_variables(con, settings)
    target = f"{quote(model.schema)}.{quote(model.name)}"
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(model.schema)}")
    kind = "VIEW" if model.materialized == "view" else "TABLE"
    existing = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [model.schema, model.name],
    ).fetchone()
    existing_kind = existing and ("VIEW" if existing[0] == "VIEW" else "TABLE")
    if existing_kind and existing_kind != kind:  # the model changed kind since the last build
        con.execute(f"DROP {existing_kind} {target}")
    try:
        con.execute(f"CREATE OR REPLACE {kind} {target} AS\n{model.sql}\n")
    except duckdb.Error as exc:
        raise RuntimeError(f"{model.path}: DuckDB could not build {model.qualified_name}: {exc}") from None
    rows = con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
    return ModelRun(rows=rows, columns=table_columns(con, model.schema, model.name))


def run_test(con: duckdb.DuckDBPyConnection, test: SqlTest, settings: Settings = DEFAULTS) -> TestRun:
    """An assertion passes when its query returns no rows."""
    set_sql_variables(con, settings)
    try:
        relation = con.sql(f"SELECT * FROM (\n{test.sql}\n) AS offending")
        failing = con.execute(f"SELECT count(*) FROM (\n{test.sql}\n) AS offending").fetchone()[0]
        examples = relation.limit(10).fetchall()
    except duckdb.Error as exc:
        raise RuntimeError(f"{test.path}: assertion could not run: {exc}") from None
    return TestRun(failing_rows=failing, columns=list(relation.columns), examples=examples)


def select_model(model: SqlModel, inputs: dict[str, pl.DataFrame], settings: Settings = DEFAULTS) -> pl.DataFrame:
    """The model's rows computed from in-memory frames instead of the warehouse: ``inputs`` maps
    each "schema.table" the model reads to a frame. The scenario estimates run the warehouse's own
    SQL this way (marts.training_runs' frontier flags on a scenario's values), never a copy of it.
    Not sorted: sort what you compare or write."""
    missing = sorted(set(model.depends_on) - set(inputs))
    if missing:
        raise ValueError(f"{model.path}: select_model needs a frame for {', '.join(missing)}")
    con = duckdb.connect()
    try:
        set_sql_variables(con, settings)
        for number, name in enumerate(model.depends_on):
            schema, table = name.split(".")
            con.register(f"input_{number}", inputs[name].to_arrow())
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
            con.execute(f"CREATE VIEW {quote(schema)}.{quote(table)} AS SELECT * FROM input_{number}")
        try:
            return pl.from_arrow(con.sql(model.sql).to_arrow_table())
        except duckdb.Error as exc:
            raise RuntimeError(f"{model.path}: DuckDB could not compute {model.qualified_name}: {exc}") from None
    finally:
        con.close()
