"""The analysis stages as plain functions on the build database: fits, projections, constraints, claims."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from pipelines.lib import largest_run
from pipelines.lib.assumptions import Assumption, assumptions_table, resolve_assumptions
from pipelines.lib.claims import compute_seed_claims
from pipelines.lib.constraints import compute_constraints, compute_roadblocks, countries_exceeded_table
from pipelines.lib.curated import BASELINE, apply_curated, frontier_flags
from pipelines.lib.projections import compute_projections
from pipelines.lib.settings import DEFAULTS
from pipelines.lib.trends import FITTED_RUN_COLUMNS, FitSettings, bootstrap_table, compute_trend_fits, trend_fits_table
from pipelines.lib.warehouse import quote, read_table, write_table


@dataclass(frozen=True)
class AnalysisConfig:
    as_of: dt.date | None = None  # default: the newest publication date in the main source
    horizon_year: int = DEFAULTS.horizon_year
    bootstrap_resamples: int = DEFAULTS.bootstrap_resamples
    seed: int = DEFAULTS.seed
    # the largest-cluster fit window; ranking always uses the whole history
    cluster_start_year: int = DEFAULTS.cluster_start_year
    assumption_overrides: dict | None = None

    def assumptions(self) -> dict[str, Assumption]:
        """The assumptions of this run: the catalogue's values with the configured overrides."""
        return resolve_assumptions(self.assumption_overrides)


def resolve_as_of(con: duckdb.DuckDBPyConnection, configured: dt.date | None) -> dt.date:
    """The configured as-of date, or the newest publication date in marts.training_runs (never today's date: builds stay reproducible)."""
    if configured is not None:
        return configured
    newest = con.execute("SELECT max(publication_date) FROM marts.training_runs").fetchone()[0]
    if newest is None:
        raise ValueError(
            "marts.training_runs has no dated model: cannot choose an as-of date (set one in configuration)"
        )
    return newest


def estimate_sets(
    con: duckdb.DuckDBPyConnection, columns: tuple[str, ...] = FITTED_RUN_COLUMNS
) -> dict[str, pl.DataFrame]:
    """The runs each set of estimates fits: the baseline (marts.training_runs, curated corrections
    applied) and, per curated scenario, the baseline with that scenario's values applied and the
    frontier flags recomputed.

    Without scenarios only `columns` are loaded, in model_id order (the fits' by default, the
    projections ask for largest_run.COLUMNS; at 10M runs, every column of marts.training_runs is
    gigabytes); a scenario needs every column to apply its values to.
    """
    curated = read_table(con, "clean", "curated_values", order_by="estimates, file, line, field")
    scenarios = sorted(set(curated["estimates"].to_list()) - {BASELINE})
    selected = "*" if scenarios else ", ".join(quote(c) for c in columns)
    runs = pl.from_arrow(con.sql(f"SELECT {selected} FROM marts.training_runs ORDER BY model_id").to_arrow_table())
    sets = {BASELINE: runs}
    for scenario in scenarios:
        applied, _ = apply_curated(runs, curated, scenario)
        sets[scenario] = frontier_flags(applied)
    return sets


def materialize_trend_fits(con: duckdb.DuckDBPyConnection, config: AnalysisConfig) -> pl.DataFrame:
    """Fit every trend of every estimate set and write marts.trend_fits and intermediate.trend_bootstrap."""
    settings = FitSettings(
        as_of=resolve_as_of(con, config.as_of),
        resamples=config.bootstrap_resamples,
        seed=config.seed,
        cluster_start_year=config.cluster_start_year,
    )
    hardware = read_table(con, "staging", "ml_hardware", order_by="hardware_id")
    clusters = read_table(con, "staging", "gpu_clusters", order_by="cluster_id")
    fits, boots = [], []
    for estimates, runs in estimate_sets(con).items():
        results = compute_trend_fits(runs, hardware, clusters, settings)
        fits.append(trend_fits_table(results, settings, estimates))
        boots.append(bootstrap_table(results, estimates))
    fits_table = pl.concat(fits).sort("estimates", "metric", "population")
    write_table(con, "marts", "trend_fits", fits_table)
    write_table(con, "intermediate", "trend_bootstrap", pl.concat(boots))
    return fits_table


def materialize_assumptions(con: duckdb.DuckDBPyConnection, config: AnalysisConfig) -> pl.DataFrame:
    """Write marts.assumptions: every assumption with its range, unit and citation, overrides applied and marked."""
    table = assumptions_table(config.assumptions(), config.assumption_overrides)
    write_table(con, "marts", "assumptions", table)
    return table


def _fits(con, estimates: str | None = BASELINE):
    """trend fits and bootstrap lines of one set of estimates (None: all of them)."""
    where = "" if estimates is None else f" WHERE estimates = '{estimates}'"
    fits = pl.from_arrow(
        con.sql(f"SELECT * FROM marts.trend_fits{where} ORDER BY estimates, metric, population").to_arrow_table()
    )
    boot = pl.from_arrow(
        con.sql(
            f"SELECT * FROM intermediate.trend_bootstrap{where} ORDER BY estimates, metric, population, resample"
        ).to_arrow_table()
    )
    return fits, boot


def _backtest_runs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    columns = ", ".join(quote(c) for c in largest_run.COLUMNS)
    return pl.from_arrow(con.sql(f"SELECT {columns} FROM marts.training_runs ORDER BY model_id").to_arrow_table())


def materialize_backtests(con: duckdb.DuckDBPyConnection, config: AnalysisConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """marts.backtests and marts.backtest_skill on the baseline runs (every as-of date reads only its past)."""
    as_of = resolve_as_of(con, config.as_of)
    backtests = largest_run.backtest(_backtest_runs(con), as_of)
    skill = largest_run.skill_table(backtests)
    write_table(con, "marts", "backtests", backtests)
    write_table(con, "marts", "backtest_skill", skill)
    return backtests, skill


def selected_largest_run_methods(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """metric -> the largest-run method marts.backtest_skill selected; LookupError when a metric has none."""
    skill = read_table(con, "marts", "backtest_skill", order_by="metric, method, horizon_years")
    chosen = {row["metric"]: row["method"] for row in skill.filter(pl.col("is_selected")).iter_rows(named=True)}
    missing = sorted(set(largest_run.START_YEARS) - set(chosen))
    if missing:
        raise LookupError(f"marts.backtest_skill selects no method for {', '.join(missing)} (too few runs to backtest)")
    return chosen


def materialize_projections(con: duckdb.DuckDBPyConnection, config: AnalysisConfig) -> pl.DataFrame:
    """Project every selected trend from the as-of year to the horizon and write marts.projections."""
    fits, boot = _fits(con, None)
    as_of = fits["as_of"][0]
    if config.horizon_year < as_of.year:
        raise ValueError(f"horizon_year {config.horizon_year} is before the as-of year {as_of.year}")
    methods = selected_largest_run_methods(con)
    years = np.arange(as_of.year, config.horizon_year + 1)
    sets = estimate_sets(con, largest_run.COLUMNS)
    frames = []
    for estimates in sorted(set(fits["estimates"].to_list()), key=lambda e: (e != BASELINE, e)):
        chosen = pl.col("estimates") == estimates
        runs = sets[estimates].filter(pl.col("publication_date") <= as_of)
        largest = {}
        for metric, method in methods.items():
            path = largest_run.project(runs, metric, method, years + 0.5, as_of)
            if path is None:
                raise LookupError(
                    f"too few {metric} records before {as_of} to project the largest run ({estimates} estimates)"
                )
            largest[metric] = path
        projected = compute_projections(
            fits.filter(chosen), boot.filter(chosen), config.assumptions(), as_of.year, config.horizon_year, largest
        )
        frames.append(projected.select(pl.lit(estimates).alias("estimates"), pl.all()))
    projections = pl.concat(frames).sort("estimates", "subject", "metric", "method", "year", "scenario")
    write_table(con, "marts", "projections", projections)
    return projections


def baseline_projections(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Constraints, roadblocks and claims answer the question for the baseline estimates."""
    return pl.from_arrow(
        con.sql(
            "SELECT * EXCLUDE (estimates) FROM marts.projections WHERE estimates = 'baseline' "
            "ORDER BY subject, metric, method, year, scenario"
        ).to_arrow_table()
    )


def materialize_constraints(
    con: duckdb.DuckDBPyConnection, config: AnalysisConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Write marts.constraints and marts.roadblocks: the baseline projections against the limits they may hit."""
    projections = baseline_projections(con)
    countries = read_table(con, "marts", "country_electricity_latest", order_by="country_or_region")
    assumptions = config.assumptions()
    constraints = compute_constraints(projections, assumptions, countries)
    roadblocks = compute_roadblocks(projections, assumptions, config.horizon_year)
    write_table(con, "marts", "constraints", constraints)
    write_table(con, "marts", "roadblocks", roadblocks)
    write_table(con, "marts", "countries_exceeded", countries_exceeded_table(projections, countries))
    return constraints, roadblocks


def _compute_notes(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Epoch's 'Training compute notes' of every run, from the raw record it was cleaned from."""
    return pl.from_arrow(
        con.sql(
            'SELECT r.model_id, w."Training compute notes" AS training_compute_notes '
            "FROM marts.training_runs r JOIN raw.epoch_notable_models w "
            "ON w._source = r.source AND w._source_version = r.source_version AND w._row_number = r.source_row_number "
            "ORDER BY r.model_id"
        ).to_arrow_table()
    )


def materialize_seed_claims(con: duckdb.DuckDBPyConnection, config: AnalysisConfig) -> pl.DataFrame:
    """Check the claims of the seed post against the fits and projections and write marts.seed_claims."""
    fits, _ = _fits(con)
    curated = read_table(con, "marts", "value_provenance", order_by="estimates, model_id, field")
    claims = compute_seed_claims(
        read_table(con, "marts", "training_runs", order_by="model_id"),
        fits,
        baseline_projections(con),
        read_table(con, "staging", "gpu_clusters", order_by="cluster_id"),
        config.assumptions(),
        fits["as_of"][0],
        notes=_compute_notes(con),
        curated={
            (m, f): c
            for e, m, f, c in curated.select("estimates", "model_id", "field", "citation").iter_rows()
            if e == BASELINE
        },
    )
    write_table(con, "marts", "seed_claims", claims)
    return claims
