"""Projections reproduce their fits; constants act where they should; roadblock years and verdicts."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from pipelines.lib.assumptions import UnknownAssumption, assumptions_table, parse_overrides, resolve_assumptions
from pipelines.lib.claims import verdict
from pipelines.lib.constraints import compute_constraints, compute_roadblocks
from pipelines.lib.projections import compute_projections, value_at

FITS = {  # (metric, population): (intercept_log10, slope_oom_per_year)
    ("training_compute_flop", "frontier"): (-1340.0, 0.68),
    ("training_cost_usd", "frontier"): (-990.0, 0.495),
    ("flop_per_s_per_w", "ml_hardware"): (-360.0, 0.185),
    ("training_power_w", "frontier"): (-750.0, 0.375),
    ("power_capacity_mw", "largest_clusters"): (-760.0, 0.378),
    ("hardware_cost_usd", "largest_clusters"): (-730.0, 0.366),
}


def synthetic_fits(spread: float = 0.02, resamples: int = 400, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    fit_rows, boot = [], []
    for (metric, population), (intercept, slope) in FITS.items():
        fit_rows.append({"metric": metric, "population": population, "slope_oom_per_year": slope, "intercept_log10": intercept})
        slopes = slope + rng.normal(0, spread, resamples)
        # Lines pivot around 2020 like real fits pivot around their data's mean year.
        intercepts = intercept + (slope - slopes) * 2020.0
        boot.append(pl.DataFrame({"metric": metric, "population": population, "resample": np.arange(resamples),
                                  "slope_oom_per_year": slopes, "intercept_log10": intercepts}))
    return pl.DataFrame(fit_rows), pl.concat(boot)


def project(overrides=None, first=2026, horizon=2035):
    fits, boot = synthetic_fits()
    return compute_projections(fits, boot, resolve_assumptions(overrides), first, horizon)


def test_projection_reproduces_its_fit_at_mid_year():
    projections = project()
    intercept, slope = FITS[("training_compute_flop", "frontier")]
    for year in (2026, 2030, 2035):
        expected = 10 ** (intercept + slope * (year + 0.5))
        assert value_at(projections, "training_compute_flop", "trend", year) == pytest.approx(expected, rel=1e-9)


def test_largest_run_sits_the_upper_decile_offset_above_the_line():
    fits, boot = synthetic_fits()
    raised = fits.with_columns(pl.lit(0.5).alias("upper_decile_offset_oom"))
    base = compute_projections(fits.with_columns(pl.lit(0.0).alias("upper_decile_offset_oom")), boot, resolve_assumptions(), 2026, 2030)
    high = compute_projections(raised, boot, resolve_assumptions(), 2026, 2030)
    for scenario in ("low", "central", "high"):
        ratio = value_at(high, "training_compute_flop", "trend", 2030, scenario) / value_at(base, "training_compute_flop", "trend", 2030, scenario)
        assert ratio == pytest.approx(10**0.5)
    # Hardware efficiency is a typical-chip trend, not an envelope: power from compute scales with compute only.
    assert value_at(high, "training_power_gw", "from_compute", 2030) / value_at(base, "training_power_gw", "from_compute", 2030) == pytest.approx(10**0.5)


def test_bands_bracket_the_central_path_and_widen_with_time():
    projections = project()
    width = []
    for year in (2026, 2035):
        low, central, high = (value_at(projections, "training_compute_flop", "trend", year, s) for s in ("low", "central", "high"))
        assert low < central < high
        width.append(math.log10(high / low))
    assert width[1] > width[0]


def test_compute_optimal_tokens_and_parameters_follow_chinchilla():
    projections = project()
    compute = value_at(projections, "training_compute_flop", "trend", 2030)
    tokens = value_at(projections, "training_tokens", "compute_optimal", 2030)
    params = value_at(projections, "parameters", "compute_optimal", 2030)
    assert tokens == pytest.approx(math.sqrt(10 * compute / 3), rel=1e-9)
    assert tokens / params == pytest.approx(20.0)
    assert 6 * params * tokens == pytest.approx(compute, rel=1e-9)


def test_power_from_compute_uses_every_constant():
    base = project()
    compute = value_at(base, "training_compute_flop", "trend", 2030)
    a = {k: v.value for k, v in resolve_assumptions().items()}
    efficiency = 10 ** (FITS[("flop_per_s_per_w", "ml_hardware")][0] + FITS[("flop_per_s_per_w", "ml_hardware")][1] * 2030.5)
    expected_gw = compute / (efficiency * a["hardware_utilization"] * a["training_duration_days"] * 86400) \
        * a["server_overhead_factor"] * a["pue"] / 1e9
    assert value_at(base, "training_power_gw", "from_compute", 2030) == pytest.approx(expected_gw, rel=1e-9)
    doubled = project({"pue": 2 * a["pue"]})
    assert value_at(doubled, "training_power_gw", "from_compute", 2030) == pytest.approx(2 * expected_gw, rel=1e-9)
    # ...and nothing that does not depend on PUE moves.
    for metric, method in (("training_compute_flop", "trend"), ("training_power_gw", "power_draw_trend"), ("training_tokens", "compute_optimal")):
        assert value_at(doubled, metric, method, 2030) == value_at(base, metric, method, 2030)


def test_overrides_are_recorded_and_unknown_names_refused():
    overrides = parse_overrides(["pue=1.5", "training_duration_days=200"])
    table = assumptions_table(resolve_assumptions(overrides), overrides)
    pue = table.filter(pl.col("name") == "pue").row(0, named=True)
    assert pue["value"] == 1.5 and pue["is_overridden"] and "overridden by configuration" in pue["citation"]
    assert table.filter(pl.col("is_overridden"))["name"].to_list() == ["pue", "training_duration_days"]
    assert table["citation"].null_count() == 0 and (table["citation"].str.len_chars() > 10).all()
    with pytest.raises(UnknownAssumption, match="puee"):
        resolve_assumptions({"puee": 1.0})
    with pytest.raises(ValueError, match="name=value"):
        parse_overrides(["pue"])


def test_roadblock_years_come_from_the_scenarios():
    projections = project()
    assumptions = resolve_assumptions()
    blocks = compute_roadblocks(projections, assumptions, 2035)
    data = blocks.filter(pl.col("roadblock") == "data").row(0, named=True)
    tokens = projections.filter((pl.col("metric") == "training_tokens") & (pl.col("scenario") == "central"))
    expected = tokens.filter(pl.col("value") >= assumptions["data_stock_tokens"].value)["year"].min()
    assert data["first_year_central"] == expected
    assert data["first_year_earliest"] <= data["first_year_central"] <= (data["first_year_latest"] or 9999)
    # A reference nothing reaches: the roadblock does not bind before the horizon.
    never = compute_roadblocks(projections, resolve_assumptions({"money_binding_usd": 1e30}), 2035)
    money = never.filter(pl.col("roadblock") == "money")
    assert money["first_year_central"].null_count() == money.height
    assert all(s.startswith("does not bind before 2035") for s in money["summary"])


def test_energy_constraints_count_the_countries_exceeded():
    projections = project()
    countries = pl.DataFrame({"country_or_region": ["Small", "Mid", "Large"], "average_power_gw": [0.5, 5.0, 50.0]})
    table = compute_constraints(projections, resolve_assumptions(), countries)
    energy = table.filter((pl.col("roadblock") == "energy") & (pl.col("reference") == "one_nuclear_reactor"))
    for row in energy.iter_rows(named=True):
        expected = sum(1 for gw in (0.5, 5.0, 50.0) if gw < row["projected_value"])
        assert row["n_countries_exceeded"] == expected
        assert row["binds"] == (row["projected_value"] >= 1.0)
        assert row["ratio"] == pytest.approx(row["projected_value"] / 1.0)


@pytest.mark.parametrize("claimed, low, high, expected", [
    (5, 1, 10, "consistent"), (20, 1, 10, "overstated"), (0.5, 1, 10, "understated"), (1, 1, 10, "consistent"),
    (5, math.nan, math.nan, "no data"),
])
def test_verdict(claimed, low, high, expected):
    assert verdict(claimed, low, high) == expected
