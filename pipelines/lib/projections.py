"""marts.projections: the fitted trends carried forward year by year, low / central / high.

The central value of a year is the fitted line at mid-year; low and high are the 5th and 95th
percentiles of the bootstrap lines at that point, so a projection reproduces its fit and its band
widens with distance from the data. The fits describe a population (top-10 runs, top-10
clusters); the *largest* run or cluster sits above that line, so its projection is the line raised
by the population's upper-decile residual (`trend_fits.upper_decile_offset_oom`). Derived quantities (power from compute,
compute-optimal tokens) combine scenarios in the direction that widens the band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.lib.assumptions import Assumption

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
        return {"low": 10**self.low, "central": 10**self.central, "high": 10**self.high}


def fit_band(fits: pl.DataFrame, boot: pl.DataFrame, metric: str, population: str, x: np.ndarray,
             *, envelope: bool = False) -> Band:
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


def compute_projections(fits: pl.DataFrame, boot: pl.DataFrame, assumptions: dict[str, Assumption],
                        first_year: int, horizon_year: int) -> pl.DataFrame:
    years = np.arange(first_year, horizon_year + 1)
    x = years + 0.5  # a calendar year is represented by its middle
    a = {name: item.value for name, item in assumptions.items()}
    rows: list[dict] = []

    def emit(subject, metric, method, unit, basis, values: dict[str, np.ndarray]) -> None:
        for scenario in SCENARIOS:
            for year, value in zip(years, values[scenario]):
                rows.append({"year": int(year), "subject": subject, "metric": metric, "method": method,
                             "scenario": scenario, "value": float(value), "unit": unit, "basis": basis})

    compute = fit_band(fits, boot, "training_compute_flop", "frontier", x, envelope=True).values()
    emit(LARGEST_RUN, "training_compute_flop", "trend", "FLOP", "training_compute_flop/frontier", compute)
    emit(LARGEST_RUN, "training_cost_usd", "trend", "USD (2023)", "training_cost_usd/frontier",
         fit_band(fits, boot, "training_cost_usd", "frontier", x, envelope=True).values())

    # Compute-optimal data and size (Chinchilla): C = f N D and D = k N  =>  D = sqrt(C k / f).
    tokens = {s: np.sqrt(compute[s] * a["tokens_per_parameter"] / a["flop_per_parameter_token"]) for s in SCENARIOS}
    emit(LARGEST_RUN, "training_tokens", "compute_optimal", "tokens", "training_compute_flop/frontier", tokens)
    emit(LARGEST_RUN, "parameters", "compute_optimal", "parameters", "training_compute_flop/frontier",
         {s: tokens[s] / a["tokens_per_parameter"] for s in SCENARIOS})

    # Power two ways. From compute: FLOP / (FLOP/s per W x utilization x seconds), plus server and
    # facility overheads; the most efficient hardware gives the lowest power, so low pairs with high.
    efficiency = fit_band(fits, boot, "flop_per_s_per_w", "ml_hardware", x).values()
    seconds = a["training_duration_days"] * SECONDS_PER_DAY
    overheads = a["server_overhead_factor"] * a["pue"]
    pair = {"low": "high", "central": "central", "high": "low"}
    power_gw = {
        s: compute[s] / (efficiency[pair[s]] * a["hardware_utilization"] * seconds) * overheads / 1e9 for s in SCENARIOS
    }
    emit(LARGEST_RUN, "training_power_gw", "from_compute", "GW",
         "training_compute_flop/frontier + flop_per_s_per_w/ml_hardware", power_gw)
    emit(LARGEST_RUN, "training_power_gw", "power_draw_trend", "GW", "training_power_w/frontier",
         {s: v / 1e9 for s, v in fit_band(fits, boot, "training_power_w", "frontier", x, envelope=True).values().items()})

    emit(LARGEST_CLUSTER, "cluster_power_gw", "trend", "GW", "power_capacity_mw/largest_clusters",
         {s: v / 1e3 for s, v in fit_band(fits, boot, "power_capacity_mw", "largest_clusters", x, envelope=True).values().items()})
    emit(LARGEST_CLUSTER, "cluster_hardware_cost_usd", "trend", "USD", "hardware_cost_usd/largest_clusters",
         fit_band(fits, boot, "hardware_cost_usd", "largest_clusters", x, envelope=True).values())

    frame = pl.DataFrame(rows, schema={"year": pl.Int64, "subject": pl.String, "metric": pl.String, "method": pl.String,
                                       "scenario": pl.String, "value": pl.Float64, "unit": pl.String, "basis": pl.String})
    bad = frame.filter(~pl.col("value").is_finite())
    if bad.height:
        raise ValueError(f"non-finite projection for {bad['metric'][0]} ({bad['method'][0]}) in {bad['year'][0]}")
    return frame.sort("subject", "metric", "method", "year", "scenario")


def value_at(projections: pl.DataFrame, metric: str, method: str, year: int, scenario: str = "central") -> float:
    hit = projections.filter((pl.col("metric") == metric) & (pl.col("method") == method) & (pl.col("year") == year)
                             & (pl.col("scenario") == scenario))
    return hit["value"][0] if hit.height else math.nan
