"""Which populations the trend fits use: clusters ranked against the whole history, hardware one
precision at a time, selection-truncated fits marked with their real window."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipelines.lib.largest_run import year_fraction
from pipelines.lib.trends import FitSettings, cluster_populations, compute_trend_fits, trend_fits_table

AS_OF = dt.date(2024, 12, 31)
SETTINGS = FitSettings(as_of=AS_OF, resamples=50, seed=1)


def clusters(rows: list[tuple[str, str, float, bool, int | None]]) -> pl.DataFrame:
    """(id, ISO date, MW, planned, Epoch's rank when first operational)"""
    return pl.DataFrame(
        {
            "cluster_id": [r[0] for r in rows],
            "first_operational_date": [dt.date.fromisoformat(r[1]) for r in rows],
            "first_operational_year_fraction": [year_fraction(dt.date.fromisoformat(r[1])) for r in rows],
            "power_capacity_mw": [r[2] for r in rows],
            "hardware_cost_usd": [r[2] * 1e7 for r in rows],
            "is_planned": [r[3] for r in rows],
            "epoch_rank_when_first_operational": [r[4] for r in rows],
        },
        schema_overrides={"epoch_rank_when_first_operational": pl.Int64},
    )


def test_an_older_large_cluster_keeps_small_new_sites_out_of_the_top_ten():
    # Ten multi-MW systems before 2019 (Summit-like); in 2019 some sub-MW sites and some larger ones.
    history = [(f"old-{i}", f"201{i % 8}-03-01", 10.0 + i, False, 1) for i in range(10)]
    new = [
        ("tiny-a", "2019-02-01", 0.3, False, 5),
        ("tiny-b", "2019-05-01", 0.7, False, 12),
        ("big-a", "2019-06-01", 40.0, False, 1),
        ("big-b", "2020-06-01", 80.0, False, 1),
        ("big-c", "2021-06-01", 150.0, False, 1),
        ("big-d", "2022-06-01", 300.0, False, 1),
        ("planned-huge", "2023-05-15", 5000.0, True, None),  # planned: never in the fit
        ("future", "2026-01-01", 900.0, False, 1),  # after the as-of date
    ]
    largest = cluster_populations(clusters(history + new), SETTINGS)["largest_clusters"]
    ids = set(largest["cluster_id"])
    assert ids == {"big-a", "big-b", "big-c", "big-d"}
    # Were the ranking restricted to sites since 2019, the sub-MW sites would count as "top 10".
    only_recent = cluster_populations(clusters(new), SETTINGS)["largest_clusters"]
    assert {"tiny-a", "tiny-b"} <= set(only_recent["cluster_id"])
    # Epoch's own population: its rank column, from the window start.
    epoch = cluster_populations(clusters(history + new), SETTINGS)["epoch_top10_clusters"]
    assert set(epoch["cluster_id"]) == {"tiny-a", "big-a", "big-b", "big-c", "big-d"}


def test_cluster_window_is_configurable():
    history = [(f"c-{y}", f"{y}-06-01", 2.0 ** (y - 2010), False, 1) for y in range(2010, 2024)]
    late = cluster_populations(clusters(history), FitSettings(as_of=AS_OF, cluster_start_year=2021))["largest_clusters"]
    assert late["first_operational_date"].min() == dt.date(2021, 6, 1)


def runs(n_years: int = 12) -> pl.DataFrame:
    rows = []
    for i in range(n_years * 4):
        day = dt.date(2012 + i // 4, 1 + 3 * (i % 4), 1)
        compute = 10 ** (18 + 0.5 * (day.year - 2012) + (i % 4) * 0.3)
        rows.append(
            {
                "model_id": f"m{i:03d}",
                "publication_date": day,
                "publication_year_fraction": year_fraction(day),
                "training_compute_flop": compute,
                "training_cost_usd": compute / 1e15,
                "training_tokens": None,
                "parameters": None,
                "training_power_w": compute / 1e17,
                "training_time_hours": 100.0 * 1.2 ** (day.year - 2012),
                "is_frontier": i % 4 >= 2,
                "is_large_scale": compute >= 1e23,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"training_tokens": pl.Float64, "parameters": pl.Float64})


def hardware() -> pl.DataFrame:
    # FP32 chips up to 2016, tensor-FP16 chips from 2017 at 10x the FLOP/s per W: a switch of format.
    rows = []
    for year in range(2008, 2025):
        day = dt.date(year, 6, 1)
        fp32 = 1e9 * 1.2 ** (year - 2008)
        tensor = 10 * fp32 if year >= 2017 else None
        rows.append(
            {
                "release_date": day,
                "release_year_fraction": year_fraction(day),
                "fp32_flop_per_s_per_w": fp32,
                "fp16_flop_per_s_per_w": None,
                "tensor_fp16_flop_per_s_per_w": tensor,
                "flop_per_s_per_w": tensor if tensor else fp32,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"fp16_flop_per_s_per_w": pl.Float64})


def few_clusters() -> pl.DataFrame:
    return clusters([(f"c{i}", f"{2019 + i}-01-01", 2.0**i, False, 1) for i in range(5)])


def test_hardware_efficiency_is_fitted_per_precision_never_across_them():
    table = trend_fits_table(compute_trend_fits(runs(), hardware(), few_clusters(), SETTINGS), SETTINGS)
    efficiency = table.filter(pl.col("metric") == "flop_per_s_per_w")
    assert set(efficiency["population"]) == {"ml_hardware_fp32", "ml_hardware_tensor_fp16"}
    # Each series grows its own 1.2x per year; the coalesced series would have shown a jump-inflated rate.
    for growth in efficiency["growth_per_year"]:
        assert growth == pytest.approx(1.2, rel=1e-3)  # (June 1st moves by a day in leap years)
    coalesced = hardware()
    from pipelines.lib.fitting import fit_log_linear

    assert (
        fit_log_linear(coalesced["release_year_fraction"], coalesced["flop_per_s_per_w"], resamples=0).growth() > 1.35
    )


def test_selection_truncated_fits_are_marked_with_their_real_window():
    table = trend_fits_table(compute_trend_fits(runs(), hardware(), few_clusters(), SETTINGS), SETTINGS)
    truncated = table.filter(pl.col("is_selection_truncated"))
    assert set(truncated["population"]) == {"large_scale"}
    first_large = runs().filter(pl.col("is_large_scale"))["publication_date"].min()
    assert (truncated.filter(pl.col("metric") == "training_compute_flop")["start_date"] == first_large).all()
    assert not table.filter(pl.col("population") != "large_scale")["is_selection_truncated"].any()
    # The record trend and the literature's cost window are published beside the frontier fits.
    assert {("training_compute_flop", "records"), ("training_cost_usd", "frontier_since_2016")} <= set(
        zip(table["metric"], table["population"])
    )


def test_runs_after_the_as_of_date_or_undated_change_no_fit():
    # compute_trend_fits uses the runs frame itself when every run is dated on or before the as-of
    # date, and filters it otherwise: both must give the fits of the filtered runs.
    later = (
        runs()
        .head(6)
        .with_columns(
            pl.col("model_id") + "_later",
            pl.lit(dt.date(2025, 6, 1)).alias("publication_date"),
            pl.col("training_compute_flop") * 1e6,
        )
    )
    undated = (
        runs()
        .head(1)
        .with_columns(pl.col("model_id") + "_undated", pl.lit(None, dtype=pl.Date).alias("publication_date"))
    )
    expected = trend_fits_table(compute_trend_fits(runs(), hardware(), few_clusters(), SETTINGS), SETTINGS)
    for extra in (later, undated):
        mixed = pl.concat([runs(), extra]).sort("model_id")
        table = trend_fits_table(compute_trend_fits(mixed, hardware(), few_clusters(), SETTINGS), SETTINGS)
        assert table.equals(expected)
    # and with the newest run exactly on the as-of date, the frame is fitted as it is
    on_as_of = SETTINGS.__class__(as_of=runs()["publication_date"].max(), resamples=50, seed=1)
    direct = trend_fits_table(compute_trend_fits(runs(), hardware(), few_clusters(), on_as_of), on_as_of)
    assert direct.height == expected.height and direct["n"].sum() <= expected["n"].sum()


def test_without_model_id_the_row_order_breaks_same_day_ties_like_model_id():
    # marts.training_runs is read in model_id order without the model_id column: the records (runs
    # larger than every run before them) must come out as with the column. Each run gets a twin
    # published the same day, larger or smaller, so the tie-break decides which one is a record.
    base = runs()
    twins = base.with_columns(
        pl.col("model_id") + "_twin", pl.col("training_compute_flop") * pl.Series([1.5, 0.7] * (base.height // 2))
    )
    both = pl.concat([base, twins]).sort("model_id")
    with_id = trend_fits_table(compute_trend_fits(both, hardware(), few_clusters(), SETTINGS), SETTINGS)
    without_id = trend_fits_table(
        compute_trend_fits(both.drop("model_id"), hardware(), few_clusters(), SETTINGS), SETTINGS
    )
    assert without_id.equals(with_id)
    # the tie-break matters here: with the twins first, other runs are records
    twins_first = pl.concat([twins, base]).sort("publication_date", maintain_order=True).drop("model_id")
    other = trend_fits_table(compute_trend_fits(twins_first, hardware(), few_clusters(), SETTINGS), SETTINGS)
    records = (pl.col("population") == "records") & (pl.col("metric") == "training_compute_flop")
    assert not other.filter(records).equals(with_id.filter(records))
