"""Assumption overrides are checked against physical ranges before any work (pipelines.lib.assumptions)."""

from __future__ import annotations

import math

import pydantic
import pytest

from pipelines.lib.assumptions import (
    DEFAULT_ASSUMPTIONS,
    Allowed,
    InvalidAssumption,
    UnknownAssumption,
    resolve_assumptions,
    validate_overrides,
)

BY_NAME = {a.name: a for a in DEFAULT_ASSUMPTIONS}


@pytest.mark.parametrize("assumption", DEFAULT_ASSUMPTIONS, ids=lambda a: a.name)
def test_every_default_and_its_plausible_range_are_allowed(assumption):
    assert assumption.value in assumption.allowed, assumption.name
    for bound in (assumption.low, assumption.high):
        assert bound is None or bound in assumption.allowed, assumption.name


@pytest.mark.parametrize(
    "name, bad, good, words",
    [
        ("pue", -1, 1.0, ">= 1"),
        ("pue", 0.9, 1.58, ">= 1"),
        ("server_overhead_factor", 0.5, 1.0, ">= 1"),
        ("hardware_utilization", 0, 1.0, "in (0, 1]"),
        ("hardware_utilization", 1.2, 0.05, "in (0, 1]"),
        ("training_duration_days", 0, 1.0, "> 0"),
        ("training_duration_days", -30, 365.0, "> 0"),
        ("tokens_per_parameter", -20, 200.0, "> 0"),
        ("flop_per_parameter_token", 0, 2.0, "> 0"),
        ("data_stock_tokens", -1e14, 1e13, "> 0"),
        ("post_internet_tokens", 0, 1e12, "> 0"),
        ("nuclear_reactor_gw", 0, 0.5, "> 0"),
        ("largest_us_power_station_gw", -6.8, 10.0, "> 0"),
        ("money_binding_usd", -1e11, 1e12, "> 0"),
        ("money_reference_1b_usd", 0, 1.0, "> 0"),
        ("money_reference_10b_usd", -1, 1e10, "> 0"),
        ("confidence_factor_confident", 0.5, 1.0, ">= 1"),
        ("confidence_factor_likely", 0, 3.0, ">= 1"),
        ("confidence_factor_speculative", -30, 100.0, ">= 1"),
    ],
)
def test_physical_ranges(name, bad, good, words):
    with pytest.raises(InvalidAssumption) as caught:
        resolve_assumptions({name: bad})
    message = str(caught.value)
    assert f"{name} = {bad:g}" in message and f"{name} must be {words}" in message
    assert resolve_assumptions({name: good})[name].value == good


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused(value):
    with pytest.raises(InvalidAssumption, match="is not a finite number"):
        validate_overrides({"pue": value})


def test_every_problem_is_named_at_once():
    with pytest.raises(InvalidAssumption) as caught:
        validate_overrides({"pue": -1, "hardware_utilization": 2, "training_duration_days": 50})
    message = str(caught.value)
    assert "pue = -1" in message and "hardware_utilization = 2" in message and "training_duration_days" not in message


def test_unknown_names_are_still_refused_first():
    with pytest.raises(UnknownAssumption, match="puee"):
        validate_overrides({"puee": 1.5})


def test_allowed_describes_itself():
    assert Allowed(0).describe() == "> 0"
    assert Allowed(1, minimum_included=True).describe() == ">= 1"
    assert Allowed(0, 1).describe() == "in (0, 1]"
    assert Allowed(maximum=5, maximum_included=False).describe() == "< 5"
    assert 1 in Allowed(0, 1) and 0 not in Allowed(0, 1) and 1 in Allowed(1, minimum_included=True)


def test_the_dagster_resource_refuses_an_impossible_override(tmp_path):
    from pipelines.defs.resources import FlopcastResource

    with pytest.raises(pydantic.ValidationError, match=r"pue must be >= 1"):
        FlopcastResource(sources_dir=str(tmp_path), warehouse_dir=str(tmp_path), assumption_overrides={"pue": -1})
    with pytest.raises(pydantic.ValidationError, match="unknown assumption 'puee'"):
        FlopcastResource(sources_dir=str(tmp_path), warehouse_dir=str(tmp_path), assumption_overrides={"puee": 1.5})
    fine = FlopcastResource(sources_dir=str(tmp_path), warehouse_dir=str(tmp_path), assumption_overrides={"pue": 1.5})
    assert fine.analysis.assumption_overrides == {"pue": 1.5}
