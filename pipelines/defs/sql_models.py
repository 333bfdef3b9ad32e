"""dbt_like_sql/: each SQL file is an asset, each file in tests/ and each data test of a folder's
schema.yml a blocking asset check.

Dependencies come from the SQL itself (sqlglot); an unknown table or a cycle fails here, when the
definitions load, naming the file. Descriptions come from schema.yml (pipelines/lib/column_docs.py),
the code version is a hash of the SQL, and a model's data tests run in its own step, right after it.
"""

from pathlib import Path

import dagster as dg

from pipelines.defs.resources import FlopcastResource
from pipelines.lib.column_docs import TableSpec, table_specs
from pipelines.lib.sql_graph import SqlModel, SqlTest, load_sql_project
from pipelines.lib.sql_runner import TestRun, run_model, run_test
from pipelines.lib.warehouse import connect


def model_key(qualified_name: str) -> dg.AssetKey:
    return dg.AssetKey(qualified_name.split("."))


def described_schema(con, qualified_name: str) -> dict[str, dg.TableSchema]:
    """The "dagster/column_schema" metadata of a table made in Python: types from the database,
    descriptions from the YAML files (pipelines/lib/schemas/)."""
    from pipelines.lib.column_docs import described_columns

    return {
        "dagster/column_schema": dg.TableSchema(
            columns=[
                dg.TableColumn(name, kind, description=text)
                for name, kind, text in described_columns(con, qualified_name)
            ]
        )
    }


def column_schema(columns: list[tuple[str, str]], spec: TableSpec | None) -> dg.TableSchema:
    """Dagster's column schema of a table: each column's type, and its description (unit first) from the YAML."""

    def description(name: str) -> str | None:
        doc = spec.columns.get(name) if spec else None
        return (f"[{doc[0]}] {doc[1]}" if doc[0] else doc[1]) if doc else None

    return dg.TableSchema(columns=[dg.TableColumn(name, kind, description=description(name)) for name, kind in columns])


def sql_model_asset(
    model: SqlModel, upstream: dict[str, list[dg.AssetKey]], spec: TableSpec | None = None, tests: list[SqlTest] = ()
) -> dg.AssetsDefinition:
    deps = sorted({key for ref in model.depends_on for key in upstream[ref]}, key=lambda k: k.to_user_string())
    key = model_key(model.qualified_name)
    checks = [dg.AssetCheckSpec(test.name, asset=key, blocking=True, description=test.description) for test in tests]

    @dg.asset(
        key=key,
        deps=deps,
        group_name=model.schema,
        kinds={"duckdb", "sql"},
        description=(spec.description if spec else None)
        or _first_comment(model.sql)
        or f"{model.qualified_name} from {model.path.name}",
        code_version=model.code_version,
        check_specs=checks or None,
    )
    def _model(flopcast: FlopcastResource) -> dg.MaterializeResult:
        settings = flopcast.settings
        with connect(flopcast.locations.build_db) as con:
            result = run_model(con, model, settings)
            # The schema.yml tests in this step: no step (and no connection) per test.
            outcomes = [(test, run_test(con, test, settings)) for test in tests]
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": result.rows,
                "dagster/column_schema": column_schema(result.columns, spec),
                "sql": dg.MetadataValue.md(f"```sql\n{model.sql}\n```"),
            },
            check_results=[check_result(test, outcome) for test, outcome in outcomes] or None,
        )

    return _model


def check_result(test: SqlTest, result: TestRun) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=test.name,
        passed=result.failing_rows == 0,
        description=None if result.failing_rows == 0 else f"{result.failing_rows} offending row(s): {test.description}",
        metadata={
            "failing_rows": result.failing_rows,
            "columns": result.columns,
            "examples": dg.MetadataValue.json([[str(v) for v in row] for row in result.examples]),
            "sql_file": dg.MetadataValue.path(str(test.path)),
            "sql": dg.MetadataValue.md(f"```sql\n{test.sql}\n```"),
        },
    )


def sql_test_check(
    test: SqlTest, upstream: dict[str, list[dg.AssetKey]], model_order: list[str]
) -> dg.AssetChecksDefinition:
    # Attach the assertion to the most downstream table it reads; the others become extra deps.
    models_read = [name for name in model_order if name in test.depends_on]
    target = model_key(models_read[-1]) if models_read else upstream[test.depends_on[0]][0]
    others = sorted({k for ref in test.depends_on for k in upstream[ref]} - {target}, key=lambda k: k.to_user_string())

    @dg.asset_check(
        asset=target,
        name=test.name,
        blocking=True,
        additional_deps=others,
        description=_first_comment(test.sql) or f"SQL assertion {test.path.name}",
    )
    def _check(flopcast: FlopcastResource) -> dg.AssetCheckResult:
        with connect(flopcast.locations.build_db) as con:
            result = run_test(con, test, flopcast.settings)
        return check_result(test, result)

    return _check


def _first_comment(sql: str) -> str:
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.lstrip("- ").strip())
    return " ".join(lines)


def build_sql_definitions(sql_dir: Path, external: dict[str, list[dg.AssetKey]]):
    """(assets, checks) for every SQL model, schema.yml data test and assertion under sql_dir."""
    models, tests = load_sql_project(sql_dir, external_tables=external.keys())
    specs = table_specs(sql_dir)
    upstream = dict(external) | {m.qualified_name: [model_key(m.qualified_name)] for m in models}
    order = [m.qualified_name for m in models]
    data_tests = {m.qualified_name: [t for t in tests if t.target == m.qualified_name] for m in models}
    assets = [sql_model_asset(m, upstream, specs.get(m.qualified_name), data_tests[m.qualified_name]) for m in models]
    checks = [sql_test_check(t, upstream, order) for t in tests if t.target is None]
    return assets, checks
