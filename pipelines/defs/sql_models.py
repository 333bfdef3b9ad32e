"""dbt_like_sql/: each SQL file is an asset, each file in tests/ a blocking asset check.

Dependencies come from the SQL itself (sqlglot); an unknown table or a cycle fails here, when the
definitions load, naming the file.
"""

from pathlib import Path

import dagster as dg

from pipelines.defs.resources import FlopcastResource
from pipelines.lib.sql_graph import SqlModel, SqlTest, load_sql_project
from pipelines.lib.sql_runner import run_model, run_test
from pipelines.lib.warehouse import connect


def model_key(qualified_name: str) -> dg.AssetKey:
    return dg.AssetKey(qualified_name.split("."))


def sql_model_asset(model: SqlModel, upstream: dict[str, list[dg.AssetKey]]) -> dg.AssetsDefinition:
    deps = sorted({key for ref in model.depends_on for key in upstream[ref]}, key=lambda k: k.to_user_string())

    @dg.asset(
        key=model_key(model.qualified_name),
        deps=deps,
        group_name=model.schema,
        kinds={"duckdb", "sql"},
        description=_first_comment(model.sql) or f"{model.qualified_name} from {model.path.name}",
        code_version=None,
    )
    def _model(flopcast: FlopcastResource) -> dg.MaterializeResult:
        with connect(flopcast.locations.build_db) as con:
            result = run_model(con, model)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": result.rows,
                "dagster/column_schema": dg.TableSchema(
                    columns=[dg.TableColumn(name, kind) for name, kind in result.columns]
                ),
                "sql": dg.MetadataValue.md(f"```sql\n{model.sql}\n```"),
            }
        )

    return _model


def sql_test_check(test: SqlTest, upstream: dict[str, list[dg.AssetKey]], model_order: list[str]) -> dg.AssetChecksDefinition:
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
            result = run_test(con, test)
        return dg.AssetCheckResult(
            passed=result.failing_rows == 0,
            metadata={
                "failing_rows": result.failing_rows,
                "columns": result.columns,
                "examples": dg.MetadataValue.json([[str(v) for v in row] for row in result.examples]),
                "sql_file": dg.MetadataValue.path(str(test.path)),
            },
        )

    return _check


def _first_comment(sql: str) -> str:
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.lstrip("- ").strip())
    return " ".join(lines)


def build_sql_definitions(sql_dir: Path, external: dict[str, list[dg.AssetKey]]):
    """(assets, checks) for every SQL model and assertion under sql_dir."""
    models, tests = load_sql_project(sql_dir, external_tables=external.keys())
    upstream = dict(external) | {m.qualified_name: [model_key(m.qualified_name)] for m in models}
    order = [m.qualified_name for m in models]
    assets = [sql_model_asset(m, upstream) for m in models]
    checks = [sql_test_check(t, upstream, order) for t in tests]
    return assets, checks
