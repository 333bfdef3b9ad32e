"""Fits, projections, constraints and claims in a real build of the bundled data."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.lib.claims import CLAIMS
from pipelines.lib.warehouse import Locations
from pipelines.build import run_build

pytestmark = pytest.mark.integration

ANALYSIS_TABLES = ("marts.trend_fits", "marts.projections", "marts.constraints", "marts.roadblocks",
                   "marts.seed_claims", "marts.assumptions", "marts.countries_exceeded")


def query(locations: Locations, sql: str, params=None):
    with duckdb.connect(str(locations.published_db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_analysis_tables_are_published_and_in_the_manifest(built):
    import json

    manifest = json.loads(built.manifest.read_text())
    for table in ANALYSIS_TABLES:
        assert manifest["tables"][table]["rows"] > 0, table
        assert (built.warehouse_dir / manifest["tables"][table]["parquet"]).is_file()


def test_every_fit_counts_exactly_the_rows_of_its_population(built):
    ((as_of,),) = query(built, "select distinct as_of from marts.trend_fits")
    populations = {
        "notable_since_2010": "true",
        "frontier": "is_frontier",
        "large_scale": "is_large_scale",
    }
    for population, condition in populations.items():
        for metric in ("training_compute_flop", "training_cost_usd", "training_tokens", "parameters", "training_power_w"):
            (n,) = query(built, "select n from marts.trend_fits where metric = ? and population = ?", [metric, population])[0]
            (expected,) = query(built, f"""
                select count(*) from marts.training_runs
                where {condition} and {metric} > 0 and publication_date between '2010-01-01' and ?""", [as_of])[0]
            assert n == expected, (metric, population)


def test_fit_intervals_bracket_the_estimate_and_eras_differ(built):
    rows = query(built, """select metric, population, growth_per_year, growth_per_year_low, growth_per_year_high,
                                  growth_per_year_boot_low, growth_per_year_boot_high, r2, bootstrap_resamples
                           from marts.trend_fits""")
    assert len(rows) >= 3 * 5 + 3 + 3
    for metric, population, g, lo, hi, blo, bhi, r2, resamples in rows:
        assert lo < g < hi and blo < g < bhi and 0 <= r2 <= 1 and resamples > 1000, (metric, population)
    growth = {(m, p): g for m, p, g, *_ in rows}
    # Compute grew far faster after the deep-learning break than before it, and the search finds a break near 2010.
    assert growth[("training_compute_flop", "notable_after_break")] > 2 * growth[("training_compute_flop", "notable_before_break")]
    (break_year,) = query(built, "select distinct break_year from marts.trend_fits where break_year is not null")[0]
    assert 2000 <= break_year <= 2016


def test_projection_of_the_largest_run_is_the_frontier_fit_raised_to_its_top_decile(built):
    (slope, intercept, offset, as_of) = query(built, """
        select slope_oom_per_year, intercept_log10, upper_decile_offset_oom, as_of from marts.trend_fits
        where metric = 'training_compute_flop' and population = 'frontier'""")[0]
    assert 0 < offset < 2
    (value,) = query(built, """select value from marts.projections where metric = 'training_compute_flop'
                              and scenario = 'central' and year = ?""", [as_of.year])[0]
    assert value == pytest.approx(10 ** (intercept + slope * (as_of.year + 0.5) + offset), rel=1e-9)
    # The largest run of the as-of year is projected at least as large as the largest run observed the year before.
    (observed,) = query(built, "select max(training_compute_flop) from marts.training_runs where year(publication_date) = ?",
                        [as_of.year - 1])[0]
    assert value >= observed


def test_every_seed_claim_has_a_value_and_a_verdict(built):
    rows = query(built, "select claim_id, data_value, data_low, data_high, verdict, basis from marts.seed_claims order by claim_id")
    assert sorted(r[0] for r in rows) == sorted(c.claim_id for c in CLAIMS)
    for claim_id, value, low, high, verdict, basis in rows:
        assert low <= value <= high and verdict in ("consistent", "overstated", "understated"), claim_id
        assert basis in ("observed", "fit", "projection", "reference")


def test_every_roadblock_has_a_first_year_or_says_it_does_not_bind(built):
    rows = query(built, "select roadblock, first_year_central, horizon_year, summary from marts.roadblocks")
    assert {r[0] for r in rows} == {"energy", "data", "money"}
    for roadblock, year, horizon, summary in rows:
        assert (year is not None and str(year) in summary) or ("does not bind" in summary), roadblock


def test_changing_an_assumption_by_configuration_changes_projection_and_table(built, tmp_path):
    changed = Locations(sources_dir=built.sources_dir, warehouse_dir=tmp_path / "pue")
    outcome = run_build(changed, {"assumption_overrides": {"pue": 2.4}})
    assert outcome.success, outcome.summary(0)
    sql = "select year, scenario, value from marts.projections where metric = ? and method = ? order by year, scenario"
    base_power = query(built, sql, ["training_power_gw", "from_compute"])
    new_power = query(changed, sql, ["training_power_gw", "from_compute"])
    (default_pue,) = query(built, "select value from marts.assumptions where name = 'pue'")[0]
    for (y1, s1, old), (y2, s2, new) in zip(base_power, new_power, strict=True):
        assert (y1, s1) == (y2, s2) and new == pytest.approx(old * 2.4 / default_pue, rel=1e-9)
    assert query(changed, sql, ["training_compute_flop", "trend"]) == query(built, sql, ["training_compute_flop", "trend"])
    assert query(changed, "select value, is_overridden from marts.assumptions where name = 'pue'") == [(2.4, True)]
