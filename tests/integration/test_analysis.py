"""Fits, projections, constraints and claims in a real build of the bundled data."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.cli.build import run_build
from pipelines.lib.claims import CLAIMS
from pipelines.lib.warehouse import Locations

pytestmark = pytest.mark.integration

ANALYSIS_TABLES = (
    "marts.trend_fits",
    "marts.backtests",
    "marts.backtest_skill",
    "marts.projections",
    "marts.constraints",
    "marts.roadblocks",
    "marts.seed_claims",
    "marts.assumptions",
    "marts.countries_exceeded",
)


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
        for metric in (
            "training_compute_flop",
            "training_cost_usd",
            "training_tokens",
            "parameters",
            "training_power_w",
        ):
            (n,) = query(
                built, "select n from marts.trend_fits where metric = ? and population = ?", [metric, population]
            )[0]
            (expected,) = query(
                built,
                f"""
                select count(*) from marts.training_runs
                where {condition} and {metric} > 0 and publication_date between '2010-01-01' and ?""",
                [as_of],
            )[0]
            assert n == expected, (metric, population)


def test_fit_intervals_bracket_the_estimate_and_eras_differ(built):
    rows = query(
        built,
        """select metric, population, growth_per_year, growth_per_year_low, growth_per_year_high,
                                  growth_per_year_boot_low, growth_per_year_boot_high, r2, bootstrap_resamples
                           from marts.trend_fits""",
    )
    assert len(rows) >= 3 * 5 + 3 + 3
    for metric, population, g, lo, hi, blo, bhi, r2, resamples in rows:
        assert lo < g < hi and blo < g < bhi and 0 <= r2 <= 1 and resamples > 1000, (metric, population)
    growth = {(m, p): g for m, p, g, *_ in rows}
    # Compute grew far faster after the deep-learning break than before it, and the search finds a break near 2010.
    assert (
        growth[("training_compute_flop", "notable_after_break")]
        > 2 * growth[("training_compute_flop", "notable_before_break")]
    )
    (break_year,) = query(built, "select distinct break_year from marts.trend_fits where break_year is not null")[0]
    assert 2000 <= break_year <= 2016


def test_largest_run_starts_at_the_record_trend_and_is_chosen_by_its_backtests(built):
    (slope, intercept, as_of) = query(
        built,
        """
        select slope_oom_per_year, intercept_log10, as_of from marts.trend_fits
        where metric = 'training_compute_flop' and population = 'records'""",
    )[0]
    (value, method) = query(
        built,
        """select value, method from marts.projections where metric = 'training_compute_flop'
                                      and scenario = 'central' and year = ? and estimates = 'baseline'""",
        [as_of.year],
    )[0]
    record_trend = 10 ** (intercept + slope * (as_of.year + 0.5))
    assert record_trend / 3 <= value <= record_trend * 3  # no jump at the as-of date
    selected = query(
        built, """select distinct metric, method from marts.backtest_skill where is_selected order by metric"""
    )
    assert dict(selected)["training_compute_flop"] == method
    assert {m for _, m in selected} <= {"record_trend", "record_level_frontier_slope"}
    # Every candidate is backtested at every horizon, and no backtest target lies after the as-of date.
    rows = query(
        built,
        "select method, horizon_years, count(*), max(target_date) from marts.backtests "
        "where metric = 'training_compute_flop' group by all",
    )
    assert {(m, h) for m, h, *_ in rows} == {
        (m, h)
        for m in ("record_trend", "record_level_frontier_slope", "record_anchored", "frontier_offset")
        for h in (1, 2, 3, 4)
    }
    assert all(n >= 5 and last <= as_of for *_, n, last in rows)
    # The report carries the backtest chart and says how often the bands held.
    html = (built.warehouse_dir / "report" / "index.html").read_text(encoding="utf-8")
    assert 'id="chart-backtest"' in html and "backtests" in html
    assert 'id="band-note"' in html and "the band held" in html


def test_clusters_are_ranked_against_the_whole_history_without_planned_sites(built):
    fits = dict(query(built, "select population, n from marts.trend_fits where metric = 'power_capacity_mw'"))
    assert set(fits) == {"largest_clusters", "epoch_top10_clusters"}
    # The Microsoft/NVIDIA planned partnership site (2023-05-15) is planned: out of every cluster fit.
    (planned_in_window,) = query(
        built,
        """select count(*) from clean.gpu_clusters where is_planned
                                           and first_operational_date between '2019-01-01' and '2026-07-15'""",
    )[0]
    assert planned_in_window >= 1
    (eligible,) = query(
        built,
        """select count(*) from clean.gpu_clusters where not is_planned and power_capacity_mw > 0
                                  and first_operational_date between '2019-01-01' and '2026-07-15'""",
    )[0]
    assert fits["largest_clusters"] < eligible
    (growth,) = query(
        built,
        "select growth_per_year from marts.trend_fits where metric = 'power_capacity_mw' "
        "and population = 'largest_clusters'",
    )[0]
    assert 1.3 < growth < 2.2  # ~1.8x/yr against the full history; 2.4x when ranked only among sites since 2019


def test_truncated_fits_are_marked_and_kept_out_of_projections(built):
    rows = query(
        built,
        "select population, start_date, is_selection_truncated from marts.trend_fits "
        "where metric = 'training_compute_flop'",
    )
    truncated = {p: d for p, d, t in rows if t}
    assert set(truncated) == {"large_scale"}
    (first,) = query(
        built,
        "select min(publication_date) from marts.training_runs where is_large_scale "
        "and publication_date >= '2010-01-01'",
    )[0]
    assert truncated["large_scale"] == first
    assert not query(built, "select * from marts.projections where basis like '%large_scale%'")
    efficiency = {
        p for (p,) in query(built, "select population from marts.trend_fits where metric = 'flop_per_s_per_w'")
    }
    assert "ml_hardware" not in efficiency and "ml_hardware_tensor_fp16" in efficiency


def test_every_seed_claim_has_a_value_and_two_verdicts(built):
    rows = query(
        built,
        "select claim_id, data_value, data_low, data_high, verdict, interval_verdict, basis, uncertainty "
        "from marts.seed_claims order by claim_id",
    )
    assert sorted(r[0] for r in rows) == sorted(c.claim_id for c in CLAIMS)
    for claim_id, value, low, high, verdict, inside, basis, uncertainty in rows:
        assert low <= value <= high, claim_id
        assert verdict.startswith(("overstated ×", "understated ×", "about right")), claim_id
        assert inside in ("inside", "above", "below") and uncertainty, claim_id
        assert basis.split(";")[0] in ("observed", "fit", "projection", "reference")
    claims = {r[0]: r for r in rows}
    # GPT-4 = 1e26 FLOP is outside Epoch's own 90% interval (8.2e24 to 4.4e25, from the row's notes).
    assert claims["gpt4_compute"][4].startswith("overstated") and claims["gpt4_compute"][5] == "above"
    assert (claims["gpt4_compute"][2], claims["gpt4_compute"][3]) == (8.2e24, 4.4e25)
    assert claims["gpt4_ratio"][4].startswith("understated")


def test_every_roadblock_has_a_first_year_or_says_it_does_not_bind(built):
    rows = query(built, "select roadblock, first_year_central, horizon_year, summary from marts.roadblocks")
    assert {r[0] for r in rows} == {"energy", "data", "money"}
    for roadblock, year, _, summary in rows:
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
    compute = "select year, scenario, value from marts.projections where metric = 'training_compute_flop' order by year, scenario"
    assert query(changed, compute) == query(built, compute)
    assert query(changed, "select value, is_overridden from marts.assumptions where name = 'pue'") == [(2.4, True)]


def test_an_as_of_build_publishes_nothing_dated_later(built, tmp_path):
    import datetime as dt

    as_of = dt.date(2024, 5, 31)
    past = Locations(sources_dir=built.sources_dir, warehouse_dir=tmp_path / "as_of")
    outcome = run_build(past, {"as_of": as_of.isoformat()})
    assert outcome.success, outcome.summary(0)
    columns = query(
        past,
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema in ('clean', 'marts', 'quarantine') and data_type = 'DATE'",
    )
    assert len(columns) >= 10
    for schema, table, column in columns:
        (latest,) = query(past, f'select max("{column}") from {schema}.{table}')[0]
        assert latest is None or latest <= as_of, (schema, table, column, latest)
    (year,) = query(past, "select max(year) from clean.country_electricity")[0]
    assert year <= as_of.year - 1  # 2024's electricity figures did not exist in May 2024
    # What was left out is accounted for: quarantined with the reason, raw = clean + quarantined still holds.
    (later,) = query(
        past,
        "select count(*) from quarantine.rejected_rows where source = 'epoch_notable_models' "
        "and list_contains(list_transform(reasons, r -> r like '%after the as-of date%'), true)",
    )[0]
    (published_after,) = query(built, "select count(*) from clean.notable_models where publication_date > ?", [as_of])[
        0
    ]
    assert later == published_after > 100
    # Claims read only that past: Llama 3.1-405B was published on 2024-07-23.
    (value, verdict, evidence) = query(
        past, "select data_value, verdict, evidence from marts.seed_claims where claim_id = 'llama31_tokens'"
    )[0]
    assert verdict == "no data" and "as-of date 2024-05-31" in evidence
