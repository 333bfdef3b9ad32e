"""Largest-run methods and their backtests on synthetic runs with a known rate."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from pipelines.lib import largest_run as lr

RATE = 4.0  # the record grows exactly x4 per year


def synthetic_runs(seed: int = 7, first: int = 2008, last: int = 2025, per_year: int = 6) -> pl.DataFrame:
    """Every month-ish a run; the largest of each year sits exactly on the x4/year line, the rest below it.
    Costs grow x2.5/year the same way; power x2/year."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in range(first, last + 1):
        for k in range(per_year):
            day = dt.date(year, 1 + 2 * k, 15)
            x = lr.year_fraction(day)
            below = 0.0 if k == per_year - 1 else rng.uniform(0.7, 2.0)  # the year's last run is the only record
            rows.append(
                {
                    "model_id": f"m-{year}-{k}",
                    "publication_date": day,
                    "publication_year_fraction": x,
                    "is_frontier": k >= per_year - 3,
                    "training_compute_flop": 10 ** (20 + math.log10(RATE) * (x - 2010) - below),
                    "training_cost_usd": 10 ** (5 + math.log10(2.5) * (x - 2010) - below),
                    "training_power_w": 10 ** (5 + math.log10(2.0) * (x - 2010) - below),
                }
            )
    return pl.DataFrame(rows).sort("model_id")


def test_record_trend_recovers_the_known_rate():
    runs = synthetic_runs()
    x = np.array([2026.5, 2027.5])
    path = lr.project(runs, "training_compute_flop", "record_trend", x, dt.date(2025, 12, 31))
    slope = path.central[1] - path.central[0]
    assert 10**slope == pytest.approx(RATE, rel=0.02)
    assert np.all(path.low < path.central) and np.all(path.central < path.high)


def test_backtests_of_a_clean_exponential_are_accurate_and_covered():
    runs = synthetic_runs()
    backtests = lr.backtest(runs, dt.date(2025, 12, 31))
    trend = backtests.filter((pl.col("metric") == "training_compute_flop") & (pl.col("method") == "record_trend"))
    # The record is a step below the line between records: at most the year's growth (0.6 OOM) of error.
    assert trend.height > 20
    assert trend["error_oom"].abs().max() < math.log10(RATE) + 0.05
    assert set(backtests["horizon_years"].unique()) == {1, 2, 3, 4}
    # A target date is never after the data's own as-of date.
    assert backtests["target_date"].max() <= dt.date(2025, 12, 31)


def test_a_backtest_never_reads_a_row_after_its_as_of_date():
    runs = synthetic_runs()
    cut = dt.date(2018, 7, 1)
    # The future made absurd: every run after the cut is a million times larger.
    altered = runs.with_columns(
        pl.when(pl.col("publication_date") > cut).then(pl.col(c) * 1e6).otherwise(pl.col(c)).alias(c)
        for c in ("training_compute_flop", "training_cost_usd", "training_power_w")
    )
    columns = [
        "metric",
        "method",
        "as_of",
        "horizon_years",
        "projected_low",
        "projected_central",
        "projected_high",
        "n_fit",
    ]
    before = lr.backtest(runs, dt.date(2025, 12, 31)).filter(pl.col("as_of") <= cut).select(columns)
    after = lr.backtest(altered, dt.date(2025, 12, 31)).filter(pl.col("as_of") <= cut).select(columns)
    assert before.height > 0
    assert before.equals(after)
    with pytest.raises(ValueError, match="after the as-of date"):
        lr.project(runs, "training_compute_flop", "record_trend", np.array([2020.5]), dt.date(2015, 1, 1))


def test_the_published_method_starts_at_the_record_trend():
    runs = synthetic_runs()
    as_of = dt.date(2025, 12, 31)
    x = np.array([lr.year_fraction(as_of)])
    trend = lr.project(runs, "training_compute_flop", "record_trend", x, as_of)
    for method in lr.CONTINUOUS_METHODS:
        path = lr.project(runs, "training_compute_flop", method, x, as_of)
        assert path.central[0] == pytest.approx(trend.central[0], abs=1e-9)


def test_selection_uses_the_interval_score_among_continuous_methods_only():
    def row(method, error, score, as_of=dt.date(2015, 7, 1)):
        return {
            "metric": "training_compute_flop",
            "method": method,
            "as_of": as_of,
            "horizon_years": 1,
            "target_date": dt.date(2016, 7, 1),
            "n_fit": 10,
            "projected_low": 1.0,
            "projected_central": 1.0,
            "projected_high": 1.0,
            "observed": 1.0,
            "error_oom": error,
            "is_covered": True,
            "interval_score_oom": score,
        }

    backtests = pl.DataFrame(
        [
            row("frontier_offset", 0.0, 0.1),  # best, but it jumps at the as-of date: not eligible
            row("record_trend", 0.2, 1.0),
            row("record_level_frontier_slope", 0.5, 0.8),
            row("record_anchored", 0.0, 0.2),
        ],
        schema=lr.BACKTESTS_SCHEMA,
    )
    assert lr.selected_methods(backtests) == {"training_compute_flop": "record_level_frontier_slope"}
    skill = lr.skill_table(backtests)
    assert skill.filter(pl.col("is_selected"))["method"].to_list() == ["record_level_frontier_slope"]
    assert skill.filter(pl.col("method") == "frontier_offset")["is_continuous"].to_list() == [False]


def test_interval_score_rewards_narrow_bands_and_punishes_misses():
    assert lr.interval_score(0.0, 1.0, 0.5) == pytest.approx(1.0)
    assert lr.interval_score(0.0, 1.0, 1.5) == pytest.approx(1.0 + 20 * 0.5)
    assert lr.interval_score(-1.0, 2.0, 0.5) > lr.interval_score(0.0, 1.0, 0.5)


def test_skill_coverage_counts_the_bands_that_held():
    runs = synthetic_runs()
    backtests = lr.backtest(runs, dt.date(2025, 12, 31))
    skill = lr.skill_table(backtests)
    for row in skill.iter_rows(named=True):
        part = backtests.filter(
            (pl.col("metric") == row["metric"])
            & (pl.col("method") == row["method"])
            & (pl.col("horizon_years") == row["horizon_years"])
        )
        assert row["n_backtests"] == part.height
        assert row["coverage"] == pytest.approx(part["is_covered"].mean())
    assert set(skill.filter(pl.col("is_selected"))["metric"]) == set(lr.START_YEARS)


def test_records_are_strictly_increasing_and_ignore_same_size_runs():
    runs = pl.DataFrame(
        {
            "model_id": ["a", "b", "c", "d"],
            "publication_date": [dt.date(2020, 1, 1), dt.date(2020, 6, 1), dt.date(2021, 1, 1), dt.date(2021, 1, 1)],
            "training_compute_flop": [1e22, 1e22, 5e21, 3e22],
        }
    )
    assert lr.record_mask(runs, "training_compute_flop").to_list() == [True, False, False, True]
