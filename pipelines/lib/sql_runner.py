"""Run the dbt_like_sql models and assertions against the build database."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

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


def run_model(con: duckdb.DuckDBPyConnection, model: SqlModel) -> ModelRun:
    target = f"{quote(model.schema)}.{quote(model.name)}"
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(model.schema)}")
    kind = "VIEW" if model.materialized == "view" else "TABLE"
    existing = con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                           [model.schema, model.name]).fetchone()
    existing_kind = existing and ("VIEW" if existing[0] == "VIEW" else "TABLE")
    if existing_kind and existing_kind != kind:  # the model changed kind since the last build
        con.execute(f"DROP {existing_kind} {target}")
    try:
        con.execute(f"CREATE OR REPLACE {kind} {target} AS\n{model.sql}\n")
    except duckdb.Error as exc:
        raise RuntimeError(f"{model.path}: DuckDB could not build {model.qualified_name}: {exc}") from None
    rows = con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
    columns = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [model.schema, model.name],
    ).fetchall()
    return ModelRun(rows=rows, columns=[(name, kind) for name, kind in columns])


def run_test(con: duckdb.DuckDBPyConnection, test: SqlTest) -> TestRun:
    """An assertion passes when its query returns no rows."""
    try:
        relation = con.sql(f"SELECT * FROM (\n{test.sql}\n) AS offending")
        failing = con.execute(f"SELECT count(*) FROM (\n{test.sql}\n) AS offending").fetchone()[0]
        examples = relation.limit(10).fetchall()
    except duckdb.Error as exc:
        raise RuntimeError(f"{test.path}: assertion could not run: {exc}") from None
    return TestRun(failing_rows=failing, columns=list(relation.columns), examples=examples)
