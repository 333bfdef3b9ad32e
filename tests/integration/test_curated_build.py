"""Curated records in real builds: corrections, new runs, a bad row, a scenario."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.cli.build import run_build
from tests.conftest import published_state

pytestmark = pytest.mark.integration
HEADER = "action,model_id,model,publication_date,training_compute_flop,training_cost_usd,training_power_w,citation,note,author,date\n"


def query(locations, sql):
    with duckdb.connect(str(locations.published_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def fits(locations, estimates="baseline"):
    return query(
        locations,
        f"""select metric, population, n, growth_per_year from marts.trend_fits
                               where estimates = '{estimates}' order by metric, population""",
    )


def test_corrections_and_new_runs_reach_the_marts_and_the_fits(published_copy):
    before_fits = dict(((m, p), n) for m, p, n, _ in fits(published_copy))
    curated = published_copy.sources_dir / "curated"
    curated.mkdir()
    (curated / "corrections.csv").write_text(
        HEADER
        + "correct,gpt-4-mar-2023,,,2.2e25 FLOP,,,https://example.org/gpt-4-paper,paper's own figure,ana,2026-08-01\n"
        + "add,,Colossus Run X,2026-05-01,4e27 FLOP,2e9 USD,300 MW,https://example.org/rumour,rumoured run,ana,2026-08-01\n"
        # A run entered by hand before the source had it: reported, never duplicated.
        + "add,,GPT-3 175B (davinci),2020-05-28,3.2e23 FLOP,,,https://arxiv.org/abs/2005.14165,,ana,2026-08-01\n"
    )
    outcome = run_build(published_copy)
    assert outcome.success, outcome.summary(0)
    summary = "\n".join(outcome.headline)
    assert (
        "conflict: curated new run gpt-3-175b-davinci" in summary
        and "training_compute_flop source 3.14e+23 vs curated 3.2e+23" in summary
    )
    assert "agreement: curated new run gpt-3-175b-davinci is now in the source too; publication_date" in summary
    assert query(published_copy, "select count(*) from marts.training_runs where model_id = 'gpt-3-175b-davinci'") == [
        (1,)
    ]
    assert query(
        published_copy, "select training_compute_flop from marts.training_runs where model_id = 'gpt-4-mar-2023'"
    ) == [(2.2e25,)]
    assert query(
        published_copy,
        """select source_value, curated_value, citation, status from marts.value_provenance
                                    where model_id = 'gpt-4-mar-2023'""",
    ) == [("2.1e+25", "2.2e+25", "https://example.org/gpt-4-paper", "override")]
    new = query(
        published_copy,
        "select training_compute_flop, training_power_w, source, is_frontier from marts.training_runs where model_id = 'colossus-run-x'",
    )
    assert new == [(4e27, 3e8, "curated", True)]
    after_fits = dict(((m, p), n) for m, p, n, _ in fits(published_copy))
    assert (
        after_fits[("training_compute_flop", "notable_since_2010")]
        == before_fits[("training_compute_flop", "notable_since_2010")] + 1
    )
    # The report shows curation where it shows the value: the GPT-4 claim names the curated citation.
    (evidence,) = query(published_copy, "select evidence from marts.seed_claims where claim_id = 'gpt4_compute'")[0]
    assert "curated value (sources/curated/, citation: https://example.org/gpt-4-paper)" in evidence
    html = (published_copy.report_dir / "index.html").read_text(encoding="utf-8")
    assert "citation: https://example.org/gpt-4-paper" in html
    # ...marked as curated in the claims table, in the chart hover text, and in the headline for the
    # new largest run; every curated value is listed with its citation.
    assert (
        '<span class="curated" title="value from sources/curated/: https://example.org/gpt-4-paper">'
        "curated: https://example.org/gpt-4-paper</span>"
    ) in html
    assert "curated: https:\\u002f\\u002fexample.org\\u002fgpt-4-paper" in html  # hover text, in the figure's JSON
    assert "Colossus Run X (4e27 FLOP" in html and "curated: https://example.org/rumour</span>" in html
    assert '<table id="curated-values">' in html


def test_a_bad_curated_row_fails_naming_file_line_field_and_publishes_nothing(published_copy):
    before = published_state(published_copy)
    curated = published_copy.sources_dir / "curated"
    curated.mkdir()
    (curated / "corrections.csv").write_text(HEADER + "correct,gpt-4-mar-2023,,,2.2e25,,,https://example.org,,,\n")
    outcome = run_build(published_copy)
    assert not outcome.success
    failure = "\n".join(outcome.failures)
    assert "curated/corrections.csv: line 2, field 'training_compute_flop'" in failure and "has no unit" in failure
    assert published_state(published_copy) == before


def test_a_scenario_gets_its_own_fits_and_projections_and_leaves_the_baseline_alone(published_copy):
    baseline_before = fits(published_copy)
    scenarios = published_copy.sources_dir / "curated" / "scenarios"
    scenarios.mkdir(parents=True)
    (scenarios / "seed_post.csv").write_text(
        HEADER
        + "correct,gpt-4-mar-2023,,,1e26 FLOP,1e8 USD,,the seed post (shared/seed/post.txt),the post's own figures,flopcast,2026-08-01\n"
    )
    outcome = run_build(published_copy)
    assert outcome.success, outcome.summary(0)
    assert fits(published_copy) == baseline_before
    scenario = dict(((m, p), g) for m, p, _, g in fits(published_copy, "seed_post"))
    baseline = dict(((m, p), g) for m, p, _, g in baseline_before)
    assert scenario.keys() == baseline.keys()
    assert scenario[("training_cost_usd", "frontier")] != baseline[("training_cost_usd", "frontier")]
    assert query(published_copy, "select count(*) from marts.projections where estimates = 'seed_post'")[0][0] > 0
    # The published runs keep the source's GPT-4 figure: a scenario is never applied to the baseline.
    assert query(
        published_copy, "select training_compute_flop from marts.training_runs where model_id = 'gpt-4-mar-2023'"
    ) == [(2.1e25,)]
