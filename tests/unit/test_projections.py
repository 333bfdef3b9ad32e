"""Projections reproduce their fits; constants act where they should; roadblock years and verdicts."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from pipelines.lib.assumptions import UnknownAssumption, assumptions_table, parse_overrides, resolve_assumptions
from pipelines.lib.constraints import compute_constraints, compute_roadblocks
from pipelines.lib.largest_run import Path
from pipelines.lib.projections import combine_log_bands, compute_projections, value_at

FITS = {  # (metric, population): (intercept_log10, slope_oom_per_year)
    ("flop_per_s_per_w", "ml_hardware_tensor_fp16"): (-360.0, 0.185),
    ("training_time_hours", "frontier"): (-180.0, 0.09),
    ("power_capacity_mw", "largest_clusters"): (-760.0, 0.378),
    ("hardware_cost_usd", "largest_clusters"): (-730.0, 0.366),
}
PATHS = {  # metric: (intercept_log10, slope_oom_per_year) of the largest-run path
    "training_compute_flop": (-1340.0, 0.68),
    "training_cost_usd": (-990.0, 0.495),
    "training_power_w": (-750.0, 0.375),
}


def synthetic_fits(
    spread: float = 0.02, resamples: int = 400, seed: int = 1, fits=FITS
) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    fit_rows, boot = [], []
    for (metric, population), (intercept, slope) in fits.items():
        fit_rows.append(
            {"metric": metric, "population": population, "slope_oom_per_year": slope, "intercept_log10": intercept}
        )
        slopes = slope + rng.normal(0, spread, resamples)
        # Lines pivot around 2020 like real fits pivot around their data's mean year.
        intercepts = intercept + (slope - slopes) * 2020.0
        boot.append(
            pl.DataFrame(
                {
                    "metric": metric,
                    "population": population,
                    "resample": np.arange(resamples),
                    "slope_oom_per_year": slopes,
                    "intercept_log10": intercepts,
                }
            )
        )
    return pl.DataFrame(fit_rows), pl.concat(boot)


def synthetic_paths(first: int, horizon: int, half: float = 0.3, offset: float = 0.0) -> dict[str, Path]:
    x = np.arange(first, horizon + 1) + 0.5
    paths = {}
    for metric, (intercept, slope) in PATHS.items():
        central = intercept + slope * x + offset
        paths[metric] = Path("record_trend", central - half, central, central + half, 20)
    return paths


def project(overrides=None, first=2026, horizon=2035, fits=FITS, offset=0.0):
    fit_table, boot = synthetic_fits(fits=fits)
    return compute_projections(
        fit_table, boot, resolve_assumptions(overrides), first, horizon, synthetic_paths(first, horizon, offset=offset)
    )


def test_largest_run_projection_is_the_chosen_path():
    projections = project()
    intercept, slope = PATHS["training_compute_flop"]
    assert set(projections.filter(pl.col("metric") == "training_compute_flop")["method"]) == {"record_trend"}
    for year in (2026, 2030, 2035):
        expected = 10 ** (intercept + slope * (year + 0.5))
        assert value_at(projections, "training_compute_flop", None, year) == pytest.approx(expected, rel=1e-9)
        assert value_at(projections, "training_compute_flop", "record_trend", year, "high") == pytest.approx(
            expected * 10**0.3
        )


def test_a_path_of_the_wrong_length_is_refused():
    fits, boot = synthetic_fits()
    with pytest.raises(ValueError, match="training_compute_flop path has 5 years"):
        compute_projections(fits, boot, resolve_assumptions(), 2026, 2035, synthetic_paths(2026, 2030))


def test_power_from_compute_scales_with_compute_only_through_compute():
    base, raised = project(), project(offset=0.5)
    for scenario in ("low", "central", "high"):
        ratio = value_at(raised, "training_compute_flop", None, 2030, scenario) / value_at(
            base, "training_compute_flop", None, 2030, scenario
        )
        assert ratio == pytest.approx(10**0.5)
    assert value_at(raised, "training_power_gw", "from_compute", 2030) / value_at(
        base, "training_power_gw", "from_compute", 2030
    ) == pytest.approx(10**0.5)


def test_bands_bracket_the_central_path():
    projections = project()
    for metric, method in (
        ("training_compute_flop", None),
        ("training_power_gw", "from_compute"),
        ("cluster_power_gw", "trend"),
    ):
        for year in (2026, 2035):
            low, central, high = (value_at(projections, metric, method, year, s) for s in ("low", "central", "high"))
            assert low < central < high


def test_power_band_combines_its_factors_in_quadrature_not_worst_case():
    projections = project()
    compute_width = math.log10(
        value_at(projections, "training_compute_flop", None, 2030, "high")
        / value_at(projections, "training_compute_flop", None, 2030, "central")
    )
    power = [value_at(projections, "training_power_gw", "from_compute", 2030, s) for s in ("low", "central", "high")]
    upper = math.log10(power[2] / power[1])
    # At least the compute band, less than compute + efficiency + duration added end to end.
    assert compute_width <= upper < compute_width + 0.3
    bands = {"a": {"low": np.array([1.0]), "central": np.array([10.0]), "high": np.array([100.0])}}
    combined = combine_log_bands(np.array([10.0]), [(bands["a"], +1), (bands["a"], -1)])
    assert combined["high"][0] == pytest.approx(10.0 * 10 ** math.sqrt(2))  # not 10 * 10**2
    assert combined["low"][0] == pytest.approx(10.0 / 10 ** math.sqrt(2))


def test_compute_optimal_tokens_and_parameters_follow_chinchilla():
    projections = project()
    compute = value_at(projections, "training_compute_flop", None, 2030)
    tokens = value_at(projections, "training_tokens", "compute_optimal", 2030)
    params = value_at(projections, "parameters", "compute_optimal", 2030)
    assert tokens == pytest.approx(math.sqrt(10 * compute / 3), rel=1e-9)
    assert tokens / params == pytest.approx(20.0)
    assert 6 * params * tokens == pytest.approx(compute, rel=1e-9)


def _efficiency(year: float) -> float:
    intercept, slope = FITS[("flop_per_s_per_w", "ml_hardware_tensor_fp16")]
    return 10 ** (intercept + slope * year)


def test_power_from_compute_uses_every_constant_and_the_duration_trend():
    base = project()
    compute = value_at(base, "training_compute_flop", None, 2030)
    a = {k: v.value for k, v in resolve_assumptions().items()}
    intercept, slope = FITS[("training_time_hours", "frontier")]
    days = min(10 ** (intercept + slope * 2030.5) / 24, a["training_duration_max_days"])
    expected_gw = (
        compute
        / (_efficiency(2030.5) * a["hardware_utilization"] * days * 86400)
        * a["server_overhead_factor"]
        * a["pue"]
        / 1e9
    )
    assert value_at(base, "training_power_gw", "from_compute", 2030) == pytest.approx(expected_gw, rel=1e-9)
    doubled = project({"pue": 2 * a["pue"]})
    assert value_at(doubled, "training_power_gw", "from_compute", 2030) == pytest.approx(2 * expected_gw, rel=1e-9)
    # ...and nothing that does not depend on PUE moves.
    for metric, method in (
        ("training_compute_flop", None),
        ("training_power_gw", "power_draw_trend"),
        ("training_tokens", "compute_optimal"),
    ):
        assert value_at(doubled, metric, method, 2030) == value_at(base, metric, method, 2030)
    assert "training_time_hours/frontier" in base.filter(pl.col("method") == "from_compute")["basis"][0]


def test_run_length_is_capped_and_falls_back_to_the_constant_without_a_trend():
    a = {k: v.value for k, v in resolve_assumptions().items()}
    long_runs = {**FITS, ("training_time_hours", "frontier"): (-180.0 + 2.0, 0.09)}  # 100x longer runs: over the cap
    capped = project(fits=long_runs)
    compute = value_at(capped, "training_compute_flop", None, 2030)
    expected = (
        compute
        / (_efficiency(2030.5) * a["hardware_utilization"] * a["training_duration_max_days"] * 86400)
        * a["server_overhead_factor"]
        * a["pue"]
        / 1e9
    )
    assert value_at(capped, "training_power_gw", "from_compute", 2030) == pytest.approx(expected, rel=1e-9)
    no_trend = project(fits={k: v for k, v in FITS.items() if k[0] != "training_time_hours"})
    expected = (
        compute
        / (_efficiency(2030.5) * a["hardware_utilization"] * a["training_duration_days"] * 86400)
        * a["server_overhead_factor"]
        * a["pue"]
        / 1e9
    )
    assert value_at(no_trend, "training_power_gw", "from_compute", 2030) == pytest.approx(expected, rel=1e-9)
    assert "training_duration_days (constant)" in no_trend.filter(pl.col("method") == "from_compute")["basis"][0]


def test_power_from_compute_never_reads_a_coalesced_efficiency_fit():
    mixed = {
        **{k: v for k, v in FITS.items() if k[1] != "ml_hardware_tensor_fp16"},
        ("flop_per_s_per_w", "ml_hardware"): (-360.0, 0.185),
    }
    with pytest.raises(LookupError, match="ml_hardware_tensor_fp16"):
        project(fits=mixed)


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
