"""Hostile curated files through the real build (issue 17, classes 1, 2 and 8): refused with file,
line and field and nothing published, or published with the values as they were meant."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.cli.build import run_build
from tests.conftest import published_state

pytestmark = pytest.mark.integration
HEADER = "action,model_id,model,publication_date,training_compute_flop,training_power_w,citation,note,author,date\n"


def test_wrong_values_and_a_baseline_scenario_fail_the_build_naming_each_and_publish_nothing(published_copy):
    before = published_state(published_copy)
    curated = published_copy.sources_dir / "curated"
    (curated / "scenarios").mkdir(parents=True)
    (curated / "corrections.csv").write_text(
        HEADER
        + "correct,gpt-4-mar-2023,,,2.2e25 FLOP,,https://a,,,\n"
        + "correct,gpt-4-mar-2023,,,9e25 FLOP,,https://b,,,\n"  # a second, different value: a conflict
        + "correct,gpt-3-175b-davinci,,,1e400 FLOP,,https://c,,,\n"  # infinity
        + "correct,gpt-3-175b-davinci,,,,1e300 GW,https://d,,,\n"  # infinity once converted
        + "add,,Future Run,2099-01-01,1e25 FLOP,,https://e,,,\n"
    )  # after the snapshot
    (curated / "dup.csv").write_text(
        "action,model_id,training_compute_flop,training_compute_flop,citation\n"
        "correct,gpt-4-mar-2023,2.2e25 FLOP,9e99 FLOP,ref\n"
    )
    (curated / "scenarios" / "baseline.csv").write_text(HEADER + "correct,gpt-4-mar-2023,,,9e29 FLOP,,post,,,\n")
    outcome = run_build(published_copy)
    assert not outcome.success
    failure = "\n".join(outcome.failures)
    for expected in (
        "corrections.csv: line 2 and",
        "corrections.csv: line 3, field 'training_compute_flop': two different values",
        "corrections.csv: line 4, field 'training_compute_flop'",
        "corrections.csv: line 5, field 'training_power_w'",
        "corrections.csv: line 6, field 'publication_date'",
        "dup.csv: line 1, column 'training_compute_flop'",
        "scenarios/baseline.csv: a scenario may not be named 'baseline'",
    ):
        assert expected in failure, failure
    assert published_state(published_copy) == before


def test_a_dollar_in_the_largest_runs_name_is_published_and_charted(published_copy):
    curated = published_copy.sources_dir / "curated"
    curated.mkdir()
    (curated / "corrections.csv").write_text(HEADER + "add,,Big $Run^{ x,2026-05-01,9e28 FLOP,,https://a,,,\n")
    outcome = run_build(published_copy)
    assert outcome.success, outcome.summary(0)
    with duckdb.connect(str(published_copy.published_db), read_only=True) as con:
        assert con.execute(
            "select training_compute_flop from marts.training_runs where model = 'Big $Run^{ x'"
        ).fetchall() == [(9e28,)]
    assert (published_copy.report_dir / "index.html").is_file()
