"""Seed claims: the source's own intervals first, ratios in log space, one reading of a claim's year, as of."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest

from pipelines.lib.assumptions import resolve_assumptions
from pipelines.lib.claims import (
    GPT3,
    GPT4,
    LLAMA31,
    Estimate,
    compute_seed_claims,
    interval_from_notes,
    interval_verdict,
    ratio_of,
    verdict,
)


@pytest.mark.parametrize(
    "notes, expected",
    [
        ("90% CI: 8.2E+24 to 4.4E+25 |  | NOTE: this is a rough estimate", (8.2e24, 4.4e25)),
        ("Likely around 6e25 [CI: 2e25 to 2e26] FLOP. See document below", (2e25, 2e26)),
        ("something CI [3.23e+24, 2.05e+25]", (3.23e24, 2.05e25)),
        ("we find a 90% CI of 6.9e21 to 1.3e23, so we can call this", (6.9e21, 1.3e23)),
        ("Table D.1 | https://arxiv.org/abs/2005.14165", None),
        ("Calculation and confidence intervals here: https://colab.research.google.com/x", None),
        ("CI: 5e25 to 1e25", None),  # inverted: not an interval
        (None, None),
    ],
)
def test_intervals_are_read_from_epochs_notes(notes, expected):
    assert interval_from_notes(notes) == (pytest.approx(expected) if expected else None)


def test_ratios_combine_intervals_in_log_space_not_worst_cases():
    gpt4 = Estimate(2.1e25, 8.2e24, 4.4e25, "epoch_notes_90ci", "")
    gpt3 = Estimate(3.14e23, 3.14e23 / 3, 3.14e23 * 3, "confidence_label (Confident)", "")
    ratio = ratio_of(gpt4, gpt3, "")
    assert ratio.value == pytest.approx(66.88, rel=1e-3)
    below = math.hypot(math.log10(2.1e25 / 8.2e24), math.log10(3))
    above = math.hypot(math.log10(4.4e25 / 2.1e25), math.log10(3))
    assert ratio.low == pytest.approx(ratio.value / 10**below) and ratio.high == pytest.approx(ratio.value * 10**above)
    worst = (8.2e24 / (3.14e23 * 3), 4.4e25 / (3.14e23 / 3))
    assert worst[0] < ratio.low and ratio.high < worst[1]


@pytest.mark.parametrize(
    "claimed, value, expected",
    [
        (1e26, 2.1e25, "overstated ×4.8"),
        (15, 66.9, "understated ×4.5"),
        (1.5e13, 1.56e13, "about right (×0.96)"),
        (6e13, 7.5e13, "about right (×0.8)"),
        (1.0, math.nan, "no data"),
    ],
)
def test_verdict_gives_direction_and_size(claimed, value, expected):
    assert verdict(claimed, value) == expected


def test_interval_verdict():
    assert [interval_verdict(v, 1, 10) for v in (0.5, 1, 5, 10, 20)] == ["below", "inside", "inside", "inside", "above"]
    assert interval_verdict(5, math.nan, math.nan) == "no data"


def _run(
    model_id, model, published, compute, *, hours=None, confidence="Likely", cost=None, tokens=None, frontier=True
):
    return {
        "model_id": model_id,
        "model": model,
        "publication_date": dt.date.fromisoformat(published),
        "training_compute_flop": compute,
        "training_cost_usd": cost,
        "training_tokens": tokens,
        "training_time_hours": hours,
        "confidence": confidence,
        "is_frontier": frontier,
    }


def runs() -> pl.DataFrame:
    return pl.DataFrame(
        [
            _run(GPT3, "GPT-3 175B (davinci)", "2020-05-28", 3.14e23, hours=355.2, confidence="Confident", cost=4e6),
            _run(GPT4, "GPT-4 (Mar 2023)", "2023-03-15", 2.1e25, hours=2280, cost=4e7),
            _run(
                LLAMA31,
                "Llama 3.1-405B",
                "2024-07-23",
                3.8e25,
                hours=1900,
                confidence="Confident",
                tokens=1.56e13,
                cost=1.7e8,
            ),
            # Published in 2025 but trained in 2024 (90 days before publication).
            _run("grok-3", "Grok 3", "2025-02-17", 3.5e26, hours=2160, cost=2.2e8),
            # Published in 2024, no training time: the fallback (median of frontier runs since 2018) puts it in 2024.
            _run("mid-2024", "Mid 2024", "2024-06-01", 5e25, cost=9e7),
        ],
        schema_overrides={"training_tokens": pl.Float64},
    )


def fits() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "metric": "training_compute_flop",
                "population": "frontier",
                "growth_per_year": 4.8,
                "growth_per_year_boot_low": 4.5,
                "growth_per_year_boot_high": 5.1,
                "n": 100,
            }
        ]
    )


def projections() -> pl.DataFrame:
    rows = []
    for metric, method, unit in (
        ("cluster_power_gw", "trend", "GW"),
        ("cluster_hardware_cost_usd", "trend", "USD"),
        ("training_compute_flop", "record_trend", "FLOP"),
        ("training_cost_usd", "record_trend", "USD"),
    ):
        for year in range(2024, 2031):
            for scenario, factor in (("low", 0.5), ("central", 1.0), ("high", 2.0)):
                rows.append(
                    {
                        "year": year,
                        "subject": "x",
                        "metric": metric,
                        "method": method,
                        "scenario": scenario,
                        "value": factor * 2.0 ** (year - 2024),
                        "unit": unit,
                        "basis": "b",
                    }
                )
    return pl.DataFrame(rows)


def clusters() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "cluster_id": ["a", "b", "c"],
            "cluster_name": ["Old", "Later", "Planned big"],
            "first_operational_date": [dt.date(2023, 1, 1), dt.date(2025, 6, 1), None],
            "is_planned": [False, False, True],
            "power_capacity_mw": [50.0, 300.0, 5000.0],
            "hardware_cost_usd": [1e9, 7e9, 2e11],
            "source_version": ["2025-11-16"] * 3,
        }
    )


NOTES = pl.DataFrame({"model_id": [GPT4], "training_compute_notes": ["90% CI: 8.2E+24 to 4.4E+25 | more text"]})


def claims(as_of=dt.date(2026, 7, 15), curated=None) -> dict[str, dict]:
    table = compute_seed_claims(
        runs(), fits(), projections(), clusters(), resolve_assumptions(), as_of, notes=NOTES, curated=curated
    )
    return {row["claim_id"]: row for row in table.iter_rows(named=True)}


def test_gpt4_is_judged_on_epochs_own_interval():
    gpt4 = claims()["gpt4_compute"]
    assert (gpt4["data_low"], gpt4["data_high"]) == (8.2e24, 4.4e25)
    assert gpt4["uncertainty"] == "epoch_notes_90ci"
    assert gpt4["verdict"] == "overstated ×4.8" and gpt4["interval_verdict"] == "above"
    # The cost row has no interval in the notes: the confidence label's factor.
    assert claims()["gpt4_cost"]["uncertainty"] == "confidence_label (Likely)"


def test_a_curated_value_is_not_judged_on_epochs_interval():
    gpt4 = claims(curated={(GPT4, "training_compute_flop"): "https://example.org/gpt-4-report"})["gpt4_compute"]
    assert gpt4["uncertainty"].startswith("confidence_label") and "sources/curated/" in gpt4["evidence"]
    assert "citation: https://example.org/gpt-4-report" in gpt4["evidence"]


def test_the_ratio_claim_is_understated():
    ratio = claims()["gpt4_ratio"]
    assert ratio["data_value"] == pytest.approx(2.1e25 / 3.14e23)
    assert ratio["verdict"] == "understated ×4.5"
    assert ratio["uncertainty"].startswith("combined in log space")
    assert ratio["data_high"] < 2.1e25 * 3 / (3.14e23 / 3)  # narrower than the worst cases multiplied


def test_a_year_means_the_runs_trained_that_year():
    row = claims()["frontier_2024_compute"]
    # Grok 3 was published in 2025 and trained in 2024: it is the largest run trained in 2024.
    assert row["data_value"] == 3.5e26 and "Grok 3" in row["evidence"] and "trained in 2024" in row["evidence"]
    assert "trained in year Y" in row["basis"]
    gpt4 = claims()["gpt4_compute"]
    assert "trained 2022" in gpt4["evidence"]


def test_as_of_reads_nothing_published_later():
    early = claims(as_of=dt.date(2024, 5, 31))
    assert math.isnan(early["llama31_tokens"]["data_value"]) and early["llama31_tokens"]["verdict"] == "no data"
    assert (
        "Llama" not in early["frontier_2024_compute"]["evidence"]
        and "Grok" not in early["frontier_2024_compute"]["evidence"]
    )
    note = early["cluster_2026_power"]["evidence"]
    assert "Later" not in note and "Old" in note  # the site operating from 2025-06 is not known yet
    assert "Planned big" not in note and "newer than the as-of date" in note


def test_the_internet_claim_is_compared_in_unique_tokens():
    row = claims()["internet_tokens"]
    a = resolve_assumptions()
    assert row["data_value"] == pytest.approx(a["data_stock_tokens"].value / a["data_stock_repetition_factor"].value)
    assert row["interval_verdict"] == "inside"
