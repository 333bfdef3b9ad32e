"""The polars -> great-expectations bridge (pipelines.lib.validation)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from pipelines.lib.validation import (
    Expectation,
    ExpectationOutcome,
    Suite,
    SuiteResult,
    between,
    compound_unique,
    in_set,
    not_null,
    row_count_between,
    run_suite,
    unique,
    write_result_json,
)

SNAPSHOT = dt.date(2025, 1, 1)


def models() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "model_id": ["a", "b", "c", "d"],
            "org": ["x", "x", "y", "z"],
            "params": [1_000, 2_000, None, 5_000],
            "published": [dt.date(2020, 1, 1), dt.date(2021, 6, 1), None, SNAPSHOT],
            "domain": ["language", "vision", "language", "games"],
        },
        schema_overrides={"params": pl.Int64},
    )


def run_one(df: pl.DataFrame, exp: Expectation) -> ExpectationOutcome:
    result = run_suite(df, Suite("one", (exp,)), table="t")
    assert result.evaluated == 1
    return result.outcomes[0]


def test_passing_suite_uses_every_helper():
    suite = Suite(
        "models",
        (
            not_null("model_id", why="every row needs an id"),
            unique("model_id"),
            between("params", min_value=1, max_value=1e13),
            between("published", min_value=dt.date(2010, 1, 1), max_value=SNAPSHOT, why="no future dates"),
            in_set("domain", {"language", "vision", "games"}),
            compound_unique(["org", "model_id"]),
            row_count_between(1, 10),
        ),
    )
    result = run_suite(models(), suite, table="clean.models")
    assert isinstance(result, SuiteResult)
    assert (result.success, result.evaluated, result.failed) == (True, 7, 0)
    assert result.failures() == []
    assert [o.kind for o in result.outcomes] == [e.kind for e in suite.expectations]  # suite order
    assert result.outcomes[0].why == "every row needs an id"
    assert result.outcomes[-1].observed_value == 4


def test_not_null_failure_counts_nulls():
    o = run_one(models(), not_null("params", why="size is required"))
    assert (o.success, o.unexpected_count, o.examples, o.column) == (False, 1, [None], "params")
    assert o.unexpected_percent == pytest.approx(25.0)
    assert o.why == "size is required"


def test_unique_failure_lists_each_duplicate_once():
    df = pl.DataFrame({"k": [1, 2, 2, 3, 3, 3, 4]})
    o = run_one(df, unique("k"))
    assert (o.success, o.unexpected_count, o.examples) == (False, 5, [2, 3])


def test_between_numbers_out_of_range_keeps_ints_despite_nulls():
    # Int64 with a null becomes float64 in pandas; examples must still read as ints.
    df = pl.DataFrame({"n": [5, -1, None, 150, 1000, 50]}, schema={"n": pl.Int64})
    o = run_one(df, between("n", min_value=0, max_value=100))
    assert (o.success, o.unexpected_count) == (False, 3)
    assert o.examples == [-1, 1000, 150]  # sorted by str, deterministic
    assert all(type(v) is int for v in o.examples)


def test_between_float_max_only():
    df = pl.DataFrame({"x": [0.5, 2.5, float("nan"), 1.0]})
    o = run_one(df, between("x", max_value=1.0))
    assert o.unexpected_count == 1 and o.examples == [2.5]


def test_between_date_after_snapshot_fails():
    df = models().with_columns(
        pl.Series("published", [dt.date(2020, 1, 1), dt.date(2030, 5, 17), None, dt.date(2025, 1, 2)])
    )
    o = run_one(df, between("published", max_value=SNAPSHOT, why="no dates after the snapshot"))
    assert (o.success, o.unexpected_count) == (False, 2)
    assert o.examples == ["2025-01-02", "2030-05-17"]


def test_between_date_min_and_max():
    df = pl.DataFrame({"d": [dt.date(1999, 12, 31), dt.date(2010, 1, 1), dt.date(2031, 1, 1)]})
    o = run_one(df, between("d", min_value=dt.date(2000, 1, 1), max_value=SNAPSHOT))
    assert (o.unexpected_count, o.examples) == (2, ["1999-12-31", "2031-01-01"])


def test_in_set_failure():
    df = pl.DataFrame({"domain": ["language", "Language", "robotics", None, "robotics"]})
    o = run_one(df, in_set("domain", ["language", "vision"]))
    assert (o.success, o.unexpected_count, o.examples) == (False, 3, ["Language", "robotics"])


def test_compound_unique_failure_examples_are_rows():
    df = pl.DataFrame({"org": ["x", "x", "y", "x"], "model": ["m1", "m2", "m1", "m1"]})
    o = run_one(df, compound_unique(["org", "model"]))
    assert (o.success, o.unexpected_count, o.column) == (False, 2, None)
    assert o.examples == [{"org": "x", "model": "m1"}]


def test_row_count_failure_reports_observed_value():
    o = run_one(models(), row_count_between(min_value=10))
    assert (o.success, o.observed_value, o.unexpected_count, o.examples) == (False, 4, None, [])


def test_examples_are_capped_distinct_and_sorted():
    df = pl.DataFrame({"n": list(range(100, 130)) * 2})
    o = run_one(df, between("n", max_value=10))
    assert o.unexpected_count == 60
    assert o.examples == list(range(100, 110))
    # order of rows does not matter
    assert run_one(df.reverse(), between("n", max_value=10)).examples == o.examples


def test_missing_column_is_a_clear_failing_outcome():
    suite = Suite("s", (not_null("nope", why="needed"), not_null("model_id")))
    result = run_suite(models(), suite, table="clean.models")
    missing, ok = result.outcomes
    assert (result.success, result.failed, ok.success) == (False, 1, True)
    assert not missing.success and missing.why == "needed"
    assert "nope" in missing.observed_value["error"] and "clean.models" in missing.observed_value["error"]
    compound = run_one(models(), compound_unique(["org", "ghost"]))
    assert not compound.success and "ghost" in compound.observed_value["error"]


def test_gx_evaluation_error_becomes_failing_outcome():
    # Comparing a string column to a numeric bound raises inside GX; we report, not crash.
    o = run_one(models(), between("model_id", min_value=0))
    assert not o.success and "error" in o.observed_value
    assert "Traceback" not in o.observed_value["error"]


def test_unknown_kind_and_bad_kwargs_raise_valueerror_naming_them():
    with pytest.raises(ValueError, match="ExpectColumnToBeAwesome"):
        run_one(models(), Expectation("ExpectColumnToBeAwesome", {"column": "org"}))
    with pytest.raises(ValueError, match="ExpectColumnValuesToBeInSet"):
        run_one(models(), Expectation("ExpectColumnValuesToBeInSet", {"column": "org", "bogus": 1}))
    with pytest.raises(ValueError, match="between"):
        between("x")


def test_aggregate_observed_value_is_plain_json():
    o = run_one(models(), Expectation("ExpectColumnMeanToBeBetween", {"column": "params", "max_value": 10}))
    assert not o.success
    assert type(o.observed_value) is float and o.observed_value == pytest.approx(8000 / 3)


def failing_suite() -> Suite:
    return Suite(
        "models",
        (
            not_null("params"),
            between("published", max_value=dt.date(2020, 6, 1), why="no future dates"),
            in_set("domain", {"language"}),
            Expectation("ExpectColumnMeanToBeBetween", {"column": "params", "max_value": 10}),
            not_null("ghost"),
        ),
    )


def test_to_json_dict_is_serialisable_and_deterministic():
    first = run_suite(models(), failing_suite(), table="clean.models").to_json_dict()
    second = run_suite(models().reverse(), failing_suite(), table="clean.models").to_json_dict()
    text = json.dumps(first, allow_nan=False)  # no NaN, dates, numpy scalars
    assert text == json.dumps(second, allow_nan=False)
    assert list(first) == ["suite", "table", "success", "evaluated", "failed", "outcomes"]
    assert (first["success"], first["evaluated"], first["failed"]) == (False, 5, 5)
    date_outcome = first["outcomes"][1]
    assert date_outcome["kwargs"]["max_value"] == "2020-06-01"
    assert date_outcome["examples"] == ["2021-06-01", "2025-01-01"]
    assert date_outcome["why"] == "no future dates"


def test_write_result_json(tmp_path: Path):
    result = run_suite(models(), failing_suite(), table="clean.models")
    path = tmp_path / "reports" / "nested" / "models.json"
    write_result_json(result, path)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert json.loads(text) == json.loads(json.dumps(result.to_json_dict()))
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert os.listdir(path.parent) == ["models.json"]  # no temp file left behind
    write_result_json(result, path)  # overwrite in place
    assert path.read_text(encoding="utf-8") == text


def test_import_does_not_import_great_expectations():
    code = "import pipelines.lib.validation, sys; print('great_expectations' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "False"


def test_run_disables_analytics_and_progress_bars(monkeypatch, capfd):
    monkeypatch.delenv("GX_ANALYTICS_ENABLED", raising=False)
    run_suite(models(), Suite("s", (not_null("model_id"),)), table="t")
    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"
    # without progress_bars disabled GX draws a tqdm "Calculating Metrics" bar on stderr
    assert "Calculating Metrics" not in capfd.readouterr().err


def test_empty_suite_passes_without_gx_work():
    result = run_suite(models(), Suite("empty", ()), table="t")
    assert (result.success, result.evaluated, result.failed, result.outcomes) == (True, 0, 0, ())
