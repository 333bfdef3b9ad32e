"""marts.projections: the largest run and the largest cluster, year by year, low / central / high.

The largest run (compute, cost, power draw) is the record, projected by the method its backtests
chose (largest_run.py): it starts where the record trend stands at the as-of date, and its band is
a 90% prediction band (slope and scatter) whose backtest coverage is in marts.backtest_skill.
Clusters are the fitted line of the top-10-at-date population raised by its upper-decile residual
(`trend_fits.upper_decile_offset_oom`), with the percentiles of the bootstrap lines as the band.
Compute-optimal tokens and parameters follow the compute band. Power from compute divides compute
by hardware efficiency and run length: the three bands are combined in log space (half-widths in
quadrature, combine_log_bands), not by multiplying worst cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.lib.assumptions import Assumption
from pipelines.lib.largest_run import Path

SCENARIOS = ("low", "central", "high")
LARGEST_RUN, LARGEST_CLUSTER = "largest_run", "largest_cluster"
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Band:
    """log10 values of a fitted line at each year: central, low (5th pct), high (95th pct)."""

    central: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def values(self) -> dict[str, np.ndarray]:
        """low, central and high back on the linear scale (10**log10)."""
        return {"low": 10**self.low, "central": 10**self.central, "high": 10**self.high}


def fit_band(
    fits: pl.DataFrame, boot: pl.DataFrame, metric: str, population: str, x: np.ndarray, *, envelope: bool = False
) -> Band:
    """The fitted line and its bootstrap band at x; envelope=True raises it to the population's top decile."""
    row = fits.filter((pl.col("metric") == metric) & (pl.col("population") == population))
    if row.height != 1:
        raise LookupError(f"marts.trend_fits has no fit of {metric} for population {population}")
    slope, intercept = row["slope_oom_per_year"][0], row["intercept_log10"][0]
    offset = row["upper_decile_offset_oom"][0] if envelope and "upper_decile_offset_oom" in row.columns else 0.0
    lines = boot.filter((pl.col("metric") == metric) & (pl.col("population") == population))
    central = intercept + slope * x + offset
    if lines.height == 0:
        return Band(central, central, central)
    # (B, years) matrix of bootstrap lines; percentiles across resamples for each year.
    matrix = lines["intercept_log10"].to_numpy()[:, None] + lines["slope_oom_per_year"].to_numpy()[:, None] * x[None, :]
    low, high = np.percentile(matrix, [5, 95], axis=0)
    return Band(central, low + offset, high + offset)


def compute_projections(
    fits: pl.DataFrame,
    boot: pl.DataFrame,
    assumptions: dict[str, Assumption],
    first_year: int,
    horizon_year: int,
    largest: dict[str, Path],
) -> pl.DataFrame:
    """`largest`: per run metric (training_compute_flop, training_cost_usd, training_power_w), the
    record path of the method the backtests chose (largest_run.project at x = year + 0.5)."""
    years = np.arange(first_year, horizon_year + 1)
    x = years + 0.5  # a calendar year is represented by its middle
    a = {name: item.value for name, item in assumptions.items()}
    rows: list[dict] = []

    def emit(subject, metric, method, unit, basis, values: dict[str, np.ndarray]) -> None:
        for scenario in SCENARIOS:
            for year, value in zip(years, values[scenario]):
                rows.append(
                    {
                        "year": int(year),
                        "subject": subject,
                        "metric": metric,
                        "method": method,
                        "scenario": scenario,
                        "value": float(value),
                        "unit": unit,
                        "basis": basis,
                    }
                )

    def record(metric: str) -> dict[str, np.ndarray]:
        path = largest[metric]
        if path.central.shape != x.shape:
            raise ValueError(f"the {metric} path has {path.central.size} years, the projection {x.size}")
        return {"low": 10**path.low, "central": 10**path.central, "high": 10**path.high}

    compute = record("training_compute_flop")
    method = largest["training_compute_flop"].method
    emit(LARGEST_RUN, "training_compute_flop", method, "FLOP", f"training_compute_flop/records ({method})", compute)
    cost_method = largest["training_cost_usd"].method
    emit(
        LARGEST_RUN,
        "training_cost_usd",
        cost_method,
        "USD (2023)",
        f"training_cost_usd/records ({cost_method})",
        record("training_cost_usd"),
    )

    # Compute-optimal data and size (Chinchilla): C = f N D and D = k N  =>  D = sqrt(C k / f).
    tokens = {s: np.sqrt(compute[s] * a["tokens_per_parameter"] / a["flop_per_parameter_token"]) for s in SCENARIOS}
    emit(LARGEST_RUN, "training_tokens", "compute_optimal", "tokens", "training_compute_flop/records", tokens)
    emit(
        LARGEST_RUN,
        "parameters",
        "compute_optimal",
        "parameters",
        "training_compute_flop/records",
        {s: tokens[s] / a["tokens_per_parameter"] for s in SCENARIOS},
    )

    # Power two ways. From compute: FLOP / (FLOP/s per W x utilization x seconds), plus server and
    # facility overheads. Efficiency is the tensor-FP16 chip trend (one precision, the one frontier
    # runs use); the run's length is the frontier trend of Epoch's training time, capped. The most
    # efficient hardware and the longest run give the lowest power, so low pairs with high.
    efficiency = fit_band(fits, boot, "flop_per_s_per_w", EFFICIENCY_POPULATION, x).values()
    days, duration_basis = training_days(fits, boot, x, assumptions)
    overheads = a["server_overhead_factor"] * a["pue"]
    central_gw = (
        compute["central"]
        / (efficiency["central"] * a["hardware_utilization"] * days["central"] * SECONDS_PER_DAY)
        * overheads
        / 1e9
    )
    power_gw = combine_log_bands(central_gw, up=[(compute, +1), (efficiency, -1), (days, -1)])
    emit(
        LARGEST_RUN,
        "training_power_gw",
        "from_compute",
        "GW",
        f"training_compute_flop/records + flop_per_s_per_w/{EFFICIENCY_POPULATION} + {duration_basis}",
        power_gw,
    )
    power_method = largest["training_power_w"].method
    emit(
        LARGEST_RUN,
        "training_power_gw",
        "power_draw_trend",
        "GW",
        f"training_power_w/records ({power_method})",
        {s: v / 1e9 for s, v in record("training_power_w").items()},
    )

    emit(
        LARGEST_CLUSTER,
        "cluster_power_gw",
        "trend",
        "GW",
        "power_capacity_mw/largest_clusters",
        {
            s: v / 1e3
            for s, v in fit_band(fits, boot, "power_capacity_mw", "largest_clusters", x, envelope=True).values().items()
        },
    )
    emit(
        LARGEST_CLUSTER,
        "cluster_hardware_cost_usd",
        "trend",
        "USD",
        "hardware_cost_usd/largest_clusters",
        fit_band(fits, boot, "hardware_cost_usd", "largest_clusters", x, envelope=True).values(),
    )

    frame = pl.DataFrame(
        rows,
        schema={
            "year": pl.Int64,
            "subject": pl.String,
            "metric": pl.String,
            "method": pl.String,
            "scenario": pl.String,
            "value": pl.Float64,
            "unit": pl.String,
            "basis": pl.String,
        },
    )
    bad = frame.filter(~pl.col("value").is_finite())
    if bad.height:
        raise ValueError(f"non-finite projection for {bad['metric'][0]} ({bad['method'][0]}) in {bad['year'][0]}")
    return frame.sort("subject", "metric", "method", "year", "scenario")


def combine_log_bands(central: np.ndarray, up: list[tuple[dict[str, np.ndarray], int]]) -> dict[str, np.ndarray]:
    """The band of a product of independent factors (sign +1 multiplies, -1 divides): in log10, the
    half-widths on each side add in quadrature, not as worst cases (three 90% bands multiplied
    end to end would be far wider than 90%). A divisor's low end raises the product."""
    upper, lower = np.zeros_like(central), np.zeros_like(central)
    for band, sign in up:
        c = np.log10(band["central"])
        above, below = np.log10(band["high"]) - c, c - np.log10(band["low"])
        upper += (above if sign > 0 else below) ** 2
        lower += (below if sign > 0 else above) ** 2
    return {"low": central / 10 ** np.sqrt(lower), "central": central, "high": central * 10 ** np.sqrt(upper)}


EFFICIENCY_POPULATION = "ml_hardware_tensor_fp16"
DURATION_POPULATION = "frontier"


def training_days(
    fits: pl.DataFrame, boot: pl.DataFrame, x: np.ndarray, assumptions: dict[str, Assumption]
) -> tuple[dict[str, np.ndarray], str]:
    """Length of the largest run in each year: the frontier trend of Epoch's training time, capped
    at `training_duration_max_days`; the constant `training_duration_days` where there is no fit."""
    cap = assumptions["training_duration_max_days"].value
    try:
        hours = fit_band(fits, boot, "training_time_hours", DURATION_POPULATION, x).values()
    except LookupError:
        constant = np.full(x.shape, assumptions["training_duration_days"].value)
        return {s: constant for s in SCENARIOS}, "training_duration_days (constant)"
    return (
        {s: np.minimum(hours[s] / 24.0, cap) for s in SCENARIOS},
        f"training_time_hours/{DURATION_POPULATION} (capped at training_duration_max_days)",
    )


def projected_metric(projections: pl.DataFrame, metric: str, method: str | None = None) -> pl.DataFrame:
    """The projection rows of one metric; method None when the metric has a single method."""
    rows = projections.filter(pl.col("metric") == metric)
    if method is not None:
        return rows.filter(pl.col("method") == method)
    methods = sorted(set(rows["method"].to_list()))
    if len(methods) > 1:
        raise LookupError(f"{metric} is projected by several methods ({', '.join(methods)}): name one")
    return rows


def value_at(projections: pl.DataFrame, metric: str, method: str | None, year: int, scenario: str = "central") -> float:
    """One projected value; method None for a metric projected by one method only."""
    rows = projected_metric(projections, metric, method)
    hit = rows.filter((pl.col("year") == year) & (pl.col("scenario") == scenario))
    return hit["value"][0] if hit.height else math.nan
