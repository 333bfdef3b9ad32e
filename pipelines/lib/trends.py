"""marts.trend_fits: which series are fitted, on which populations, and the table of results.

Every fit is log-linear OLS on the fractional year (fitting.py). Each fit gets its own seed,
derived from the configured seed and the fit's name, so adding a fit never changes another.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.lib.fitting import Fit, find_break, fit_log_linear
from pipelines.lib.largest_run import record_mask
from pipelines.lib.settings import DEFAULTS

RUN_METRICS = {  # metric -> unit
    "training_compute_flop": "FLOP",
    "training_cost_usd": "USD (2023)",
    "training_tokens": "tokens",
    "parameters": "parameters",
    "training_power_w": "W",
    "training_time_hours": "hours",
}
# Populations selected on the value they fit (>= 1e23 FLOP): the threshold cuts off the low end of
# the early years, which flattens the slope. Published for reference, never as a trend.
SELECTION_TRUNCATED = ("large_scale",)
# Hardware efficiency is fitted on one precision at a time: a chip generation moving from FP32 to
# tensor FP16 is a change of number format, not progress to extrapolate.
PRECISIONS = ("tensor_fp16", "fp16", "fp32")
COST_WINDOW_START_YEAR = 2016  # Cottier et al. 2024 (Epoch AI): frontier training cost since 2016
# The columns of marts.training_runs that compute_trend_fits reads, in model_id order. model_id itself
# is not among them: read in its order, the row order breaks the ties between runs published the
# same day (the records) as model_id would (at 10M runs the column is about 0.4 GB, and more while
# DuckDB hands it over).
FITTED_RUN_COLUMNS = ("publication_date", "publication_year_fraction", *RUN_METRICS, "is_frontier", "is_large_scale")
METHOD = "ols_log10_on_year"
BREAK_METHOD = "ols_log10_on_year_two_segments"


@dataclass(frozen=True)
class FitSettings:
    as_of: dt.date
    start_year: int = 2010  # the deep-learning era; fitted separately from what came before
    # Epoch's GPU-cluster data covers AI supercomputers well from 2019 on (Pilz et al. 2025, "Trends
    # in AI supercomputers"); earlier rows are mostly general-purpose HPC systems of flat size.
    cluster_start_year: int = DEFAULTS.cluster_start_year
    resamples: int = DEFAULTS.bootstrap_resamples
    seed: int = DEFAULTS.seed


@dataclass(frozen=True)
class FitResult:
    metric: str
    population: str
    unit: str
    start_date: dt.date
    end_date: dt.date
    fit: Fit
    seed: int
    method: str = METHOD
    break_year: float | None = None
    upper_decile_offset_oom: float = 0.0  # 90th percentile of residuals: how far the top runs sit above the line
    is_selection_truncated: bool = False


def fit_seed(base: int, metric: str, population: str) -> int:
    """The bootstrap seed of one fit: the run's seed mixed with the metric and population, so fits do not share draws."""
    return (base + zlib.crc32(f"{metric}/{population}".encode())) % (2**32)


def _fit(
    frame: pl.DataFrame,
    x: str,
    metric: str,
    population: str,
    unit: str,
    settings: FitSettings,
    start: dt.date,
    end: dt.date,
    date: str = "publication_date",
) -> FitResult | None:
    # Only the three columns the fit reads are filtered (a copy of every column of 10M runs per fit
    # was most of the fits' memory).
    data = frame.select(date, x, metric).filter(
        pl.col(metric).is_not_null() & (pl.col(metric) > 0) & pl.col(x).is_not_null()
    )
    if data.height < 3:
        return None
    if population in SELECTION_TRUNCATED:  # its real window starts with its first member
        start = data[date].min()
    seed = fit_seed(settings.seed, metric, population)
    xs, values = data[x].to_numpy(), data[metric].to_numpy()
    fit = fit_log_linear(xs, values, resamples=settings.resamples, seed=seed)
    residuals = np.log10(values) - fit.predict_log10(xs)
    return FitResult(
        metric,
        population,
        unit,
        start,
        end,
        fit,
        seed,
        upper_decile_offset_oom=float(np.quantile(residuals, 0.9)),
        is_selection_truncated=population in SELECTION_TRUNCATED,
    )


def _on_or_before(frame: pl.DataFrame, date: str, as_of: dt.date) -> pl.DataFrame:
    """The rows dated on or before as_of: the frame itself when that is every row (the default
    as-of is the newest date), instead of a copy of it."""
    dates = frame[date]
    if dates.null_count() == 0 and (frame.height == 0 or dates.max() <= as_of):
        return frame
    return frame.filter(pl.col(date) <= as_of)


def largest_at_date(
    frame: pl.DataFrame, value: str, date: str, key: str, top: int = DEFAULTS.largest_clusters_top_n
) -> pl.Series:
    """Whether each row was among the `top` largest by `value` of all rows dated on or before it
    (ties broken by key), the same rule as marts.training_runs.is_frontier."""
    from pipelines.lib.ranking import rank_at_date

    return (rank_at_date(frame, value, date, key) <= top).fill_null(False)


def compute_trend_fits(
    runs: pl.DataFrame, hardware: pl.DataFrame, clusters: pl.DataFrame, settings: FitSettings
) -> list[FitResult]:
    """All fits, in a fixed order. runs = marts.training_runs in model_id order (with model_id or
    without it: FITTED_RUN_COLUMNS), hardware = staging.ml_hardware, clusters = staging.gpu_clusters."""
    as_of, start = settings.as_of, dt.date(settings.start_year, 1, 1)
    x = "publication_year_fraction"
    past = _on_or_before(runs, "publication_date", as_of)
    recent = past.drop("model_id", strict=False).filter(
        pl.col("publication_date") >= start
    )  # model_id: only the records need it
    # Same-day runs are ordered by model_id for the records: the column, or the row order that stands for it.
    order_key = (
        pl.col("model_id") if "model_id" in past.columns else pl.int_range(pl.len(), dtype=pl.UInt32).alias("model_id")
    )
    populations = {
        "notable_since_2010": recent,
        "frontier": recent.filter(pl.col("is_frontier")),
        "large_scale": recent.filter(pl.col("is_large_scale")),
    }
    results: list[FitResult | None] = []
    for population, frame in populations.items():
        for metric, unit in RUN_METRICS.items():
            results.append(_fit(frame, x, metric, population, unit, settings, start, as_of))
    # The literature's window for frontier cost (the money roadblock's projection uses it too).
    cost_start = dt.date(COST_WINDOW_START_YEAR, 1, 1)
    results.append(
        _fit(
            past.filter(pl.col("is_frontier") & (pl.col("publication_date") >= cost_start)),
            x,
            "training_cost_usd",
            f"frontier_since_{COST_WINDOW_START_YEAR}",
            RUN_METRICS["training_cost_usd"],
            settings,
            cost_start,
            as_of,
        )
    )
    # The record itself: runs larger than every run before them (the running maximum over the whole history).
    for metric in ("training_compute_flop", "training_cost_usd"):
        records = past.filter(record_mask(past.select("publication_date", order_key, metric), metric))
        window = start if metric == "training_compute_flop" else cost_start
        results.append(
            _fit(
                records.filter(pl.col("publication_date") >= window),
                x,
                metric,
                "records",
                RUN_METRICS[metric],
                settings,
                window,
                as_of,
            )
        )

    # Compute before 2010 grew far more slowly: fit that era alone, then let the data say where the break is.
    first = past["publication_date"].min()
    results.append(
        _fit(
            past.filter(pl.col("publication_date") < start),
            x,
            "training_compute_flop",
            "notable_before_2010",
            "FLOP",
            settings,
            first,
            start - dt.timedelta(days=1),
        )
    )
    results += _break_fits(past, x, settings, first)

    # Hardware energy efficiency: FLOP/s per watt of TDP, one precision at a time.
    chips = hardware.filter(pl.col("release_date") <= as_of)
    for precision in PRECISIONS:
        column = f"{precision}_flop_per_s_per_w"
        series = chips.filter(pl.col(column).is_not_null()).select(
            "release_date", "release_year_fraction", pl.col(column).alias("flop_per_s_per_w")
        )
        if series.height:
            results.append(
                _fit(
                    series,
                    "release_year_fraction",
                    "flop_per_s_per_w",
                    f"ml_hardware_{precision}",
                    "FLOP/s per W",
                    settings,
                    series["release_date"].min(),
                    as_of,
                    date="release_date",
                )
            )

    results += _cluster_fits(clusters, settings)
    return [r for r in results if r is not None]


def cluster_populations(clusters: pl.DataFrame, settings: FitSettings) -> dict[str, pl.DataFrame]:
    """Clusters that were among the 10 largest by power when they came online, ranked against every
    operational site since the start of the list (a 2019 site competes with Summit, 2018), planned
    sites excluded, kept from cluster_start_year (the fit window). Beside it, Epoch's own population:
    sites its data ranks in the top 10 when first operational (by performance, not power)."""
    as_of, cluster_start = settings.as_of, dt.date(settings.cluster_start_year, 1, 1)
    operating = clusters.filter(
        ~pl.col("is_planned").fill_null(False)
        & pl.col("first_operational_date").is_not_null()
        & (pl.col("first_operational_date") <= as_of)
    )
    largest = operating.with_columns(
        largest_at_date(operating, "power_capacity_mw", "first_operational_date", "cluster_id").alias("is_largest")
    ).filter(pl.col("is_largest") & (pl.col("first_operational_date") >= cluster_start))
    populations = {"largest_clusters": largest}
    if "epoch_rank_when_first_operational" in operating.columns:
        populations["epoch_top10_clusters"] = operating.filter(
            (pl.col("epoch_rank_when_first_operational") <= 10) & (pl.col("first_operational_date") >= cluster_start)
        )
    return populations


def _cluster_fits(clusters: pl.DataFrame, settings: FitSettings) -> list[FitResult | None]:
    cluster_start = dt.date(settings.cluster_start_year, 1, 1)
    return [
        _fit(
            frame,
            "first_operational_year_fraction",
            metric,
            population,
            unit,
            settings,
            cluster_start,
            settings.as_of,
            date="first_operational_date",
        )
        for population, frame in cluster_populations(clusters, settings).items()
        for metric, unit in (("power_capacity_mw", "MW"), ("hardware_cost_usd", "USD"))
    ]


def _break_fits(past: pl.DataFrame, x: str, settings: FitSettings, first: dt.date) -> list[FitResult]:
    data = past.select(x, "training_compute_flop").filter(
        pl.col("training_compute_flop").is_not_null() & (pl.col("training_compute_flop") > 0)
    )
    seed = fit_seed(settings.seed, "training_compute_flop", "break")
    search = find_break(
        data[x].to_numpy(), data["training_compute_flop"].to_numpy(), resamples=settings.resamples, seed=seed
    )
    year = float(search.break_year)
    break_date = dt.date(int(year), 1, 1) + dt.timedelta(days=round((year % 1) * 365))
    return [
        FitResult(
            "training_compute_flop",
            "notable_before_break",
            "FLOP",
            first,
            break_date,
            search.before,
            seed,
            BREAK_METHOD,
            year,
        ),
        FitResult(
            "training_compute_flop",
            "notable_after_break",
            "FLOP",
            break_date,
            settings.as_of,
            search.after,
            seed,
            BREAK_METHOD,
            year,
        ),
    ]


TREND_FITS_SCHEMA = {
    "estimates": pl.String,
    "metric": pl.String,
    "population": pl.String,
    "unit": pl.String,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "n": pl.Int64,
    "slope_oom_per_year": pl.Float64,
    "slope_se": pl.Float64,
    "intercept_log10": pl.Float64,
    "x_mean": pl.Float64,
    "growth_per_year": pl.Float64,
    "growth_per_year_low": pl.Float64,
    "growth_per_year_high": pl.Float64,
    "growth_per_year_boot_low": pl.Float64,
    "growth_per_year_boot_high": pl.Float64,
    "doubling_time_months": pl.Float64,
    "r2": pl.Float64,
    "upper_decile_offset_oom": pl.Float64,
    "method": pl.String,
    "break_year": pl.Float64,
    "is_selection_truncated": pl.Boolean,
    "bootstrap_resamples": pl.Int64,
    "bootstrap_method": pl.String,
    "seed": pl.Int64,
    "as_of": pl.Date,
}


def trend_fits_table(results: list[FitResult], settings: FitSettings, estimates: str = "baseline") -> pl.DataFrame:
    """Fit results as rows of marts.trend_fits (slope, intervals, growth per year, doubling time)."""
    rows = []
    for r in results:
        f = r.fit
        rows.append(
            {
                "estimates": estimates,
                "metric": r.metric,
                "population": r.population,
                "unit": r.unit,
                "start_date": r.start_date,
                "end_date": r.end_date,
                "n": f.n,
                "slope_oom_per_year": f.slope,
                "slope_se": f.slope_se,
                "intercept_log10": f.intercept,
                "x_mean": f.x_mean,
                "growth_per_year": f.growth(),
                "growth_per_year_low": f.growth(f.slope_low),
                "growth_per_year_high": f.growth(f.slope_high),
                "growth_per_year_boot_low": f.growth(f.boot_slope_low),
                "growth_per_year_boot_high": f.growth(f.boot_slope_high),
                "doubling_time_months": f.doubling_time_months(),
                "r2": f.r2,
                "upper_decile_offset_oom": r.upper_decile_offset_oom,
                "method": r.method,
                "break_year": r.break_year,
                "is_selection_truncated": r.is_selection_truncated,
                "bootstrap_resamples": len(f.boot_slopes),
                "bootstrap_method": f.bootstrap,
                "seed": r.seed,
                "as_of": settings.as_of,
            }
        )
    return pl.DataFrame(rows, schema=TREND_FITS_SCHEMA).sort("estimates", "metric", "population")


def bootstrap_table(results: list[FitResult], estimates: str = "baseline") -> pl.DataFrame:
    """Every bootstrap line (slope, intercept) per fit: projections draw their bands from these."""
    frames = [
        pl.DataFrame(
            {
                "estimates": estimates,
                "metric": r.metric,
                "population": r.population,
                "resample": np.arange(len(r.fit.boot_slopes), dtype=np.int64),
                "slope_oom_per_year": r.fit.boot_slopes,
                "intercept_log10": r.fit.boot_intercepts,
            }
        )
        for r in results
    ]
    return pl.concat(frames).sort("estimates", "metric", "population", "resample")
