"""The largest training run in a future year: candidate methods, their backtests, and the choice.

"The largest run in year Y" is the record: the largest value of any run published on or before
the middle of year Y. Three candidate ways to carry it forward, each fitted only on runs published
on or before the as-of date:

- ``frontier_offset`` - the log-linear trend of the frontier population (top 10 at release), raised
  by the 90th percentile of its residuals (the method flopcast used before backtests existed; it
  jumps above the record at the as-of date by construction);
- ``record_trend`` - the log-linear trend of the record-setting runs themselves (``compute_records``);
- ``record_anchored`` - the last record, carried forward at the frontier population's growth rate.

Each method gives a *prediction* band (slope and scatter): for the trend methods the OLS
prediction interval of a new point, t(n-2) * s * sqrt(1 + 1/n + (x - x_mean)^2 / Sxx); for the
anchored method t * sqrt((se_slope * years since the record)^2 + s_record^2), where s_record is
the residual scatter of the record trend. Whether the nominal 90% holds is what the backtest
measures (``marts.backtest_skill.coverage``), and the report prints it beside the band.

Backtest: for each as-of year Y (the as-of date is 1 July of Y), every method is fitted on the
runs published on or before that date only, projected 1-4 years ahead, and compared with the
record actually observed at 1 July of the target year. Each projection is scored by its error
(log10 of projected / observed) and by the interval score of its 90% band (Gneiting & Raftery
2007: the band's width plus 20 times how far the observation falls outside it), a proper score
that neither a wide nor a narrow band can game.

The choice: only methods whose central path starts where the record trend stands at the as-of date
(CONTINUOUS_METHODS) may be published; among them, the one with the lowest mean interval score over
every as-of year and horizon at which all methods could be backtested (ties: lower mean absolute
error, then the order of METHODS). The other two are backtested for comparison: ``frontier_offset``
is the method flopcast published before, ``record_anchored`` a naive persistence-plus-growth rule.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.lib.fitting import t_quantile

METHODS = ("record_trend", "record_level_frontier_slope", "record_anchored", "frontier_offset")
# Only these may be published: at the as-of date they start where the record trend stands.
CONTINUOUS_METHODS = ("record_trend", "record_level_frontier_slope")
LEVEL = 0.90
HORIZONS = (1, 2, 3, 4)
FIRST_BACKTEST_YEAR = 2012
MIN_POINTS = 3
# The fit window per metric: compute since 2010 (the deep-learning era); cost since 2016, the
# window of Cottier et al. (2024) "The rising costs of training frontier AI models" (Epoch AI),
# before which Epoch's cost estimates are too sparse to rank a frontier.
START_YEARS = {"training_compute_flop": 2010, "training_cost_usd": 2016, "training_power_w": 2010}
# What the backtest needs of marts.training_runs.
COLUMNS = ("model_id", "publication_date", "publication_year_fraction", "is_frontier", *START_YEARS)


def year_fraction(day: dt.date) -> float:
    """The same time axis as parsing.year_fraction for a day-precision date (its middle)."""
    days = 366.0 if (day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)) else 365.0
    return day.year + (day.timetuple().tm_yday - 0.5) / days


@dataclass(frozen=True)
class Line:
    """An OLS line of log10(value) on the year, with what its prediction interval needs."""

    n: int
    x_mean: float
    y_mean: float
    slope: float
    sxx: float
    residual_sd: float
    residuals: np.ndarray

    @property
    def slope_se(self) -> float:
        """Standard error of the slope, from the residual scatter."""
        return self.residual_sd / math.sqrt(self.sxx)

    def at(self, x: np.ndarray) -> np.ndarray:
        """The line's value at x."""
        return self.y_mean + self.slope * (x - self.x_mean)

    def prediction_half_width(self, x: np.ndarray, level: float = LEVEL) -> np.ndarray:
        """Half width of the `level` prediction interval for a new point at x (Student t, n-2 dof)."""
        t = t_quantile(0.5 + level / 2.0, self.n - 2)
        return t * self.residual_sd * np.sqrt(1.0 + 1.0 / self.n + (x - self.x_mean) ** 2 / self.sxx)


def ols_line(x: np.ndarray, y: np.ndarray) -> Line | None:
    """OLS of y (already log10) on x; None with fewer than MIN_POINTS points or no spread in x."""
    if x.size < MIN_POINTS or np.ptp(x) == 0:
        return None
    x_mean, y_mean = float(x.mean()), float(y.mean())
    dx = x - x_mean
    sxx = float(dx @ dx)
    slope = float(dx @ (y - y_mean)) / sxx
    residuals = y - (y_mean + slope * dx)
    return Line(x.size, x_mean, y_mean, slope, sxx, math.sqrt(float(residuals @ residuals) / (x.size - 2)), residuals)


@dataclass(frozen=True)
class Path:
    """log10 of the projected record at each x: central and the `LEVEL` prediction band."""

    method: str
    low: np.ndarray
    central: np.ndarray
    high: np.ndarray
    n: int  # points the method was fitted on


def record_mask(frame: pl.DataFrame, metric: str) -> pl.Series:
    """Rows that set a new record for `metric`: larger than every run published before them (runs
    published the same day are ordered by model_id, as in marts.compute_records)."""
    ordered = (
        frame.with_row_index("_i")
        .filter(pl.col(metric).is_not_null() & (pl.col(metric) > 0))
        .sort("publication_date", "model_id")
    )
    previous = ordered[metric].cum_max().shift(1)
    is_record = (previous.is_null() | (ordered[metric] > previous)).alias("is_record")
    flags = ordered.select("_i").with_columns(is_record)
    return (
        frame.with_row_index("_i").join(flags, on="_i", how="left", maintain_order="left")["is_record"].fill_null(False)
    )


def _xy(frame: pl.DataFrame, metric: str) -> tuple[np.ndarray, np.ndarray]:
    data = frame.filter(pl.col(metric).is_not_null() & (pl.col(metric) > 0))
    return data["publication_year_fraction"].to_numpy().astype(float), np.log10(data[metric].to_numpy().astype(float))


def project(
    known: pl.DataFrame, metric: str, method: str, x: np.ndarray, as_of: dt.date, level: float = LEVEL
) -> Path | None:
    """The record of `metric` at each x by `method`, from the runs in `known` (all published on or
    before `as_of`; the caller filters). None when the method has too few points to fit."""
    if known.height and known["publication_date"].max() > as_of:
        raise ValueError(f"project: rows after the as-of date {as_of} were passed in")
    start = dt.date(START_YEARS[metric], 1, 1)
    window = known.filter(pl.col("publication_date") >= start)
    records = known.filter(record_mask(known, metric))  # the running maximum over the whole history
    record_line = ols_line(*_xy(records.filter(pl.col("publication_date") >= start), metric))
    if method == "record_trend":
        if record_line is None:
            return None
        half = record_line.prediction_half_width(x, level)
        central = record_line.at(x)
        return Path(method, central - half, central, central + half, record_line.n)
    frontier_line = ols_line(*_xy(window.filter(pl.col("is_frontier")), metric))
    if frontier_line is None:
        return None
    if method == "frontier_offset":
        central = frontier_line.at(x) + float(np.quantile(frontier_line.residuals, 0.9))
        half = frontier_line.prediction_half_width(x, level)
        return Path(method, central - half, central, central + half, frontier_line.n)
    if method == "record_level_frontier_slope":
        if record_line is None:
            return None
        x_a = year_fraction(as_of)
        level_half = record_line.prediction_half_width(np.array([x_a]), level)[0]
        central = record_line.at(np.array([x_a]))[0] + frontier_line.slope * (x - x_a)
        slope_half = t_quantile(0.5 + level / 2.0, frontier_line.n - 2) * frontier_line.slope_se * np.abs(x - x_a)
        half = np.sqrt(level_half**2 + slope_half**2)
        return Path(method, central - half, central, central + half, frontier_line.n)
    if method == "record_anchored":
        last = records.sort("publication_date", "model_id").tail(1)
        if last.height == 0:
            return None
        x_r, y_r = float(last["publication_year_fraction"][0]), math.log10(float(last[metric][0]))
        scatter = record_line.residual_sd if record_line is not None else frontier_line.residual_sd
        dof = (record_line or frontier_line).n - 2
        central = y_r + frontier_line.slope * (x - x_r)
        half = t_quantile(0.5 + level / 2.0, dof) * np.sqrt((frontier_line.slope_se * (x - x_r)) ** 2 + scatter**2)
        return Path(method, central - half, central, central + half, frontier_line.n)
    raise ValueError(f"unknown largest-run method {method!r}; known: {', '.join(METHODS)}")


def observed_record(frame: pl.DataFrame, metric: str, on: dt.date) -> float:
    """The largest value of `metric` among runs published on or before `on` (nan if none)."""
    value = frame.filter((pl.col("publication_date") <= on) & pl.col(metric).is_not_null())[metric].max()
    return math.nan if value is None else float(value)


def interval_score(low: float, high: float, observed: float, level: float = LEVEL) -> float:
    """The interval score of a central `level` band (Gneiting & Raftery 2007, eq. 43), in log10 units:
    its width, plus 2/alpha times how far the observation falls outside it. Lower is better; it
    rewards narrow bands and punishes misses, so neither a wide band nor a narrow one wins by itself."""
    alpha = 1.0 - level
    return float((high - low) + (2.0 / alpha) * max(low - observed, 0.0) + (2.0 / alpha) * max(observed - high, 0.0))


BACKTESTS_SCHEMA = {
    "metric": pl.String,
    "method": pl.String,
    "as_of": pl.Date,
    "horizon_years": pl.Int64,
    "target_date": pl.Date,
    "n_fit": pl.Int64,
    "projected_low": pl.Float64,
    "projected_central": pl.Float64,
    "projected_high": pl.Float64,
    "observed": pl.Float64,
    "error_oom": pl.Float64,
    "is_covered": pl.Boolean,
    "interval_score_oom": pl.Float64,
}


def backtest(
    runs: pl.DataFrame,
    data_as_of: dt.date,
    metrics=tuple(START_YEARS),
    methods=METHODS,
    horizons=HORIZONS,
    first_year: int = FIRST_BACKTEST_YEAR,
) -> pl.DataFrame:
    """marts.backtests: every method, as-of year and horizon whose target date is on or before the
    data's own as-of date. A projection made at as-of Y reads only runs published on or before it."""
    runs = runs.filter(pl.col("publication_date").is_not_null() & (pl.col("publication_date") <= data_as_of))
    rows = []
    for metric in metrics:
        for year in range(first_year, data_as_of.year):
            as_of = dt.date(year, 7, 1)
            targets = [(h, dt.date(year + h, 7, 1)) for h in horizons if dt.date(year + h, 7, 1) <= data_as_of]
            if not targets:
                continue
            known = runs.filter(pl.col("publication_date") <= as_of)
            x = np.array([year_fraction(day) for _, day in targets])
            for method in methods:
                path = project(known, metric, method, x, as_of)
                if path is None:
                    continue
                for i, (h, day) in enumerate(targets):
                    observed = observed_record(runs, metric, day)
                    if math.isnan(observed):
                        continue
                    rows.append(
                        {
                            "metric": metric,
                            "method": method,
                            "as_of": as_of,
                            "horizon_years": h,
                            "target_date": day,
                            "n_fit": path.n,
                            "projected_low": 10 ** path.low[i],
                            "projected_central": 10 ** path.central[i],
                            "projected_high": 10 ** path.high[i],
                            "observed": observed,
                            "error_oom": float(path.central[i] - math.log10(observed)),
                            "is_covered": bool(path.low[i] <= math.log10(observed) <= path.high[i]),
                            "interval_score_oom": interval_score(path.low[i], path.high[i], math.log10(observed)),
                        }
                    )
    return pl.DataFrame(rows, schema=BACKTESTS_SCHEMA).sort("metric", "method", "as_of", "horizon_years")


SKILL_SCHEMA = {
    "metric": pl.String,
    "method": pl.String,
    "horizon_years": pl.Int64,
    "n_backtests": pl.Int64,
    "mean_abs_error_oom": pl.Float64,
    "mean_error_oom": pl.Float64,
    "coverage": pl.Float64,
    "mean_interval_score_oom": pl.Float64,
    "nominal_coverage": pl.Float64,
    "comparable_n_backtests": pl.Int64,
    "comparable_mean_abs_error_oom": pl.Float64,
    "comparable_mean_interval_score_oom": pl.Float64,
    "is_continuous": pl.Boolean,
    "is_selected": pl.Boolean,
}


def _comparable(backtests: pl.DataFrame) -> pl.DataFrame:
    """Only the (metric, as-of, horizon) cells every method could project: the choice compares like with like."""
    per_cell = backtests.group_by("metric", "as_of", "horizon_years").agg(pl.col("method").n_unique().alias("k"))
    methods = backtests.group_by("metric").agg(pl.col("method").n_unique().alias("m"))
    full = (
        per_cell.join(methods, on="metric")
        .filter(pl.col("k") == pl.col("m"))
        .select("metric", "as_of", "horizon_years")
    )
    return backtests.join(full, on=["metric", "as_of", "horizon_years"], how="semi")


def selected_methods(backtests: pl.DataFrame) -> dict[str, str]:
    """The method each metric's published projection uses: among CONTINUOUS_METHODS, the lowest
    mean interval score over the comparable backtests (accuracy and calibration in one proper
    score), then the lowest mean absolute error, then the order of METHODS."""
    choice = {}
    scores = (
        _comparable(backtests)
        .filter(pl.col("method").is_in(CONTINUOUS_METHODS))
        .group_by("metric", "method")
        .agg(pl.col("interval_score_oom").mean().alias("score"), pl.col("error_oom").abs().mean().alias("mae"))
    )
    for metric in sorted(set(scores["metric"].to_list())):
        rows = scores.filter(pl.col("metric") == metric).to_dicts()
        rows.sort(key=lambda r: (round(r["score"], 9), round(r["mae"], 9), METHODS.index(r["method"])))
        choice[metric] = rows[0]["method"]
    return choice


def skill_table(backtests: pl.DataFrame) -> pl.DataFrame:
    """marts.backtest_skill: per metric, method and horizon, the error and band coverage."""
    chosen = selected_methods(backtests)
    comparable = (
        _comparable(backtests)
        .group_by("metric", "method")
        .agg(
            pl.len().cast(pl.Int64).alias("comparable_n_backtests"),
            pl.col("error_oom").abs().mean().alias("comparable_mean_abs_error_oom"),
            pl.col("interval_score_oom").mean().alias("comparable_mean_interval_score_oom"),
        )
    )
    table = (
        backtests.group_by("metric", "method", "horizon_years")
        .agg(
            pl.len().cast(pl.Int64).alias("n_backtests"),
            pl.col("error_oom").abs().mean().alias("mean_abs_error_oom"),
            pl.col("error_oom").mean().alias("mean_error_oom"),
            pl.col("is_covered").cast(pl.Float64).mean().alias("coverage"),
            pl.col("interval_score_oom").mean().alias("mean_interval_score_oom"),
        )
        .join(comparable, on=["metric", "method"], how="left")
    )
    table = table.with_columns(
        pl.lit(LEVEL).alias("nominal_coverage"),
        pl.col("method").is_in(CONTINUOUS_METHODS).alias("is_continuous"),
        pl.struct("metric", "method")
        .map_elements(lambda r: chosen.get(r["metric"]) == r["method"], return_dtype=pl.Boolean)
        .alias("is_selected"),
    )
    return table.select(list(SKILL_SCHEMA)).cast(SKILL_SCHEMA).sort("metric", "method", "horizon_years")
