"""Trend fits, projections, constraints and seed claims (numpy assets on the marts)."""

import dagster as dg

from pipelines.defs.resources import FlopcastResource
from pipelines.defs.sql_models import described_schema
from pipelines.lib import analysis
from pipelines.lib.warehouse import connect

GROUP = "analysis"


def _preview(frame, columns, limit=12) -> dg.MetadataValue:
    shown = frame.select(columns).head(limit)
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in shown.iter_rows():
        lines.append("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row) + " |")
    return dg.MetadataValue.md("\n".join(lines))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["marts", "trend_fits"],
            deps=[
                ["marts", "training_runs"],
                ["staging", "ml_hardware"],
                ["staging", "gpu_clusters"],
                ["clean", "curated_values"],
            ],
            description="Log-linear OLS trends with SE and bootstrap 90% intervals, doubling times, r².",
            group_name=GROUP,
            kinds={"numpy", "duckdb"},
        ),
        dg.AssetSpec(
            ["intermediate", "trend_bootstrap"],
            deps=[["marts", "training_runs"]],
            description="Every bootstrap line (slope, intercept) of every fit.",
            group_name=GROUP,
            kinds={"numpy", "duckdb"},
        ),
    ],
)
def trend_fits(flopcast: FlopcastResource):
    with connect(flopcast.locations.build_db) as con:
        fits = analysis.materialize_trend_fits(con, flopcast.analysis)
        schema = described_schema(con, "marts.trend_fits")
    yield dg.MaterializeResult(
        asset_key=["marts", "trend_fits"],
        metadata={
            **schema,
            "dagster/row_count": fits.height,
            "as_of": str(fits["as_of"][0]),
            "fits": _preview(
                fits.filter(fits["estimates"] == "baseline"),
                [
                    "metric",
                    "population",
                    "n",
                    "growth_per_year",
                    "growth_per_year_low",
                    "growth_per_year_high",
                    "doubling_time_months",
                ],
                30,
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key=["intermediate", "trend_bootstrap"], metadata={"resamples_per_fit": flopcast.bootstrap_resamples}
    )


@dg.asset(
    key=["marts", "assumptions"],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Every constant the projections use: value, unit, citation; overridable by configuration.",
)
def assumptions(flopcast: FlopcastResource) -> dg.MaterializeResult:
    with connect(flopcast.locations.build_db) as con:
        table = analysis.materialize_assumptions(con, flopcast.analysis)
        schema = described_schema(con, "marts.assumptions")
    return dg.MaterializeResult(
        metadata={
            **schema,
            "dagster/row_count": table.height,
            "overridden": [n for n, o in zip(table["name"], table["is_overridden"]) if o],
        }
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["marts", "backtests"],
            deps=[["marts", "training_runs"]],
            group_name=GROUP,
            kinds={"numpy", "duckdb"},
            description="Each largest-run method fitted as of each past year, projected 1-4 years ahead, against what happened.",
        ),
        dg.AssetSpec(
            ["marts", "backtest_skill"],
            deps=[["marts", "training_runs"]],
            group_name=GROUP,
            kinds={"duckdb"},
            description="Per method and horizon: error, bias, band coverage and interval score; which method is published.",
        ),
    ],
)
def backtests(flopcast: FlopcastResource):
    with connect(flopcast.locations.build_db) as con:
        table, skill = analysis.materialize_backtests(con, flopcast.analysis)
        schemas = {name: described_schema(con, f"marts.{name}") for name in ("backtests", "backtest_skill")}
    yield dg.MaterializeResult(
        asset_key=["marts", "backtests"], metadata={**schemas["backtests"], "dagster/row_count": table.height}
    )
    yield dg.MaterializeResult(
        asset_key=["marts", "backtest_skill"],
        metadata={
            **schemas["backtest_skill"],
            "dagster/row_count": skill.height,
            "skill": _preview(
                skill,
                ["metric", "method", "horizon_years", "n_backtests", "mean_abs_error_oom", "coverage", "is_selected"],
                40,
            ),
        },
    )


@dg.asset(
    key=["marts", "projections"],
    deps=[
        ["marts", "trend_fits"],
        ["intermediate", "trend_bootstrap"],
        ["marts", "assumptions"],
        ["marts", "backtest_skill"],
        ["marts", "training_runs"],
    ],
    group_name=GROUP,
    kinds={"numpy", "duckdb"},
    description="Largest run and largest cluster, year by year to the horizon, low / central / high.",
)
def projections(flopcast: FlopcastResource) -> dg.MaterializeResult:
    with connect(flopcast.locations.build_db) as con:
        table = analysis.materialize_projections(con, flopcast.analysis)
        schema = described_schema(con, "marts.projections")
    return dg.MaterializeResult(
        metadata={**schema, "dagster/row_count": table.height, "horizon_year": flopcast.horizon_year}
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["marts", "constraints"],
            deps=[["marts", "projections"], ["marts", "country_electricity_latest"]],
            description="Projected power, tokens and cost against reactors, power stations, countries, the data stock and reference sums.",
            group_name=GROUP,
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            ["marts", "roadblocks"],
            deps=[["marts", "projections"]],
            description="Per roadblock: the first year it binds (central, earliest, latest) or that it does not before the horizon.",
            group_name=GROUP,
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            ["marts", "countries_exceeded"],
            deps=[["marts", "projections"], ["marts", "country_electricity_latest"]],
            description="Every country whose average electrical power a projected run or cluster exceeds.",
            group_name=GROUP,
            kinds={"duckdb"},
        ),
    ],
)
def constraints(flopcast: FlopcastResource):
    with connect(flopcast.locations.build_db) as con:
        table, roadblocks = analysis.materialize_constraints(con, flopcast.analysis)
        schemas = {
            name: described_schema(con, f"marts.{name}") for name in ("constraints", "roadblocks", "countries_exceeded")
        }
    yield dg.MaterializeResult(
        asset_key=["marts", "constraints"], metadata={**schemas["constraints"], "dagster/row_count": table.height}
    )
    yield dg.MaterializeResult(
        asset_key=["marts", "roadblocks"],
        metadata={
            **schemas["roadblocks"],
            "dagster/row_count": roadblocks.height,
            "roadblocks": _preview(
                roadblocks,
                ["roadblock", "metric", "method", "first_year_central", "first_year_earliest", "first_year_latest"],
            ),
        },
    )
    yield dg.MaterializeResult(asset_key=["marts", "countries_exceeded"], metadata=schemas["countries_exceeded"])


@dg.asset(
    key=["marts", "seed_claims"],
    deps=[
        ["marts", "trend_fits"],
        ["marts", "projections"],
        ["marts", "training_runs"],
        ["staging", "gpu_clusters"],
        ["marts", "value_provenance"],
        ["raw", "epoch_notable_models"],
    ],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Each claim of the seed post: the value the data gives, the ratio, a verdict.",
)
def seed_claims(flopcast: FlopcastResource) -> dg.MaterializeResult:
    with connect(flopcast.locations.build_db) as con:
        table = analysis.materialize_seed_claims(con, flopcast.analysis)
        schema = described_schema(con, "marts.seed_claims")
    return dg.MaterializeResult(
        metadata={
            **schema,
            "dagster/row_count": table.height,
            "claims": _preview(
                table,
                ["claim_id", "claimed_value", "data_value", "data_low", "data_high", "verdict", "interval_verdict"],
            ),
        }
    )


analysis_assets = [trend_fits, backtests, assumptions, projections, constraints, seed_claims]
