"""What the report reads from the build database: the published marts, as plain polars frames."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import duckdb
import polars as pl


@dataclass(frozen=True)
class ReportData:
    """Plain polars frames, read by the caller from the build database."""

    runs: pl.DataFrame
    fits: pl.DataFrame
    projections: pl.DataFrame
    constraints: pl.DataFrame
    roadblocks: pl.DataFrame
    countries: pl.DataFrame
    claims: pl.DataFrame
    assumptions: pl.DataFrame
    as_of: datetime.date
    sources: dict  # source name -> {"version": ..., "citation": ..., "license": ...}
    release_diff: pl.DataFrame | None = None  # marts.release_diff: changes since the previous snapshot
    backtests: pl.DataFrame | None = None  # marts.backtests
    backtest_skill: pl.DataFrame | None = None  # marts.backtest_skill
    provenance: pl.DataFrame | None = None  # marts.value_provenance: values from sources/curated/


QUERIES = {
    "runs": "SELECT * FROM marts.training_runs ORDER BY model_id",
    # The report shows the baseline estimates; curated scenarios are compared in the tables themselves.
    "fits": "SELECT * FROM marts.trend_fits WHERE estimates = 'baseline' ORDER BY metric, population, start_date",
    "projections": "SELECT * FROM marts.projections WHERE estimates = 'baseline' ORDER BY subject, metric, method, year, scenario",
    "constraints": "SELECT * FROM marts.constraints ORDER BY year, roadblock, subject, metric, method, scenario, reference",
    "roadblocks": "SELECT * FROM marts.roadblocks ORDER BY roadblock, subject, metric, method, reference",
    "countries": "SELECT * FROM marts.country_electricity_latest ORDER BY average_power_gw, country_or_region",
    "claims": "SELECT * FROM marts.seed_claims ORDER BY claim_id",
    "assumptions": "SELECT * FROM marts.assumptions ORDER BY name",
}
OPTIONAL_QUERIES = {  # tables a build may not have (older warehouses, partial runs)
    "release_diff": ("release_diff", 'SELECT * FROM marts.release_diff ORDER BY change, model_id, "column"'),
    "backtests": ("backtest_skill", "SELECT * FROM marts.backtests ORDER BY metric, method, as_of, horizon_years"),
    "backtest_skill": ("backtest_skill", "SELECT * FROM marts.backtest_skill ORDER BY metric, method, horizon_years"),
    "provenance": ("value_provenance", "SELECT * FROM marts.value_provenance ORDER BY estimates, model_id, field"),
}


def load_report_data(con: duckdb.DuckDBPyConnection, sources: dict) -> ReportData:
    """Read every table the report shows. ``sources`` is the manifest's ``sources`` mapping."""
    frames = {name: con.execute(sql).pl() for name, sql in QUERIES.items()}
    # The as-of date is the one the fits were made with, never today: the report must not change
    # when nothing upstream did.
    as_of = frames["fits"]["as_of"].max() if frames["fits"].height else None
    if as_of is None:
        as_of = frames["runs"]["publication_date"].max()
    if as_of is None:
        raise ValueError("cannot date the report: marts.trend_fits and marts.training_runs are both empty")
    present = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
        ).fetchall()
    }
    optional = {
        field: (con.execute(sql).pl() if table in present else None) for field, (table, sql) in OPTIONAL_QUERIES.items()
    }
    return ReportData(**frames, as_of=as_of, sources=dict(sources), **optional)
