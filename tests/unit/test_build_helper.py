"""The build helper process (pipelines.lib.build_helper): the same suite results and chart bytes as in-process."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import polars as pl
import pytest

from pipelines.lib import build_helper, report, validation
from pipelines.lib.build_helper import BuildHelper
from pipelines.lib.validation import (
    Expectation,
    Suite,
    between,
    compound_unique,
    in_set,
    not_null,
    run_arrow_suite,
    unique,
)
from tests.conftest import PROJECT_ROOT
from tests.unit.test_report import synthetic_report_data


def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "model_id": ["a", "b", "b", "d", "e"],
            "params": [1_000, None, 2_000, -5, 10**12],
            "published": [dt.date(2020, 1, 1), dt.date(2031, 6, 1), None, dt.date(2024, 12, 31), dt.date(2019, 3, 3)],
            "domain": ["language", "vision", "robotics", None, "language"],
            "orgs": [["x"], ["x", "y"], [], None, ["z"]],
        },
        schema_overrides={"params": pl.Int64},
    )


SUITE = Suite(
    "models",
    (
        not_null("model_id"),
        unique("model_id", why="one row per model"),
        between("params", min_value=1, why="positive"),
        between("published", max_value=dt.date(2025, 1, 1)),
        in_set("domain", {"language", "vision"}),
        compound_unique(["model_id", "domain"]),
        not_null("ghost"),
        Expectation("ExpectColumnMeanToBeBetween", {"column": "params", "max_value": 10}),
    ),
)


@pytest.fixture(scope="module")
def helper():
    started = BuildHelper()
    yield started
    started.close()


def test_suites_in_the_helper_give_the_in_process_result_request_after_request(helper):
    expected = run_arrow_suite(frame().to_arrow(), SUITE, table="clean.models")
    assert not expected.success and expected.failed >= 5  # the suite exercises failures of every kind
    for rows in (frame(), frame().reverse(), frame().head(0)):  # several requests over the same pipes
        assert helper.run_suite(rows, SUITE, table="clean.models") == run_arrow_suite(
            rows.to_arrow(), SUITE, table="clean.models"
        )
    assert helper.run_suite(frame(), SUITE, table="clean.models") == expected


def test_a_suite_that_cannot_be_built_raises_the_same_error(helper):
    with pytest.raises(ValueError, match="ExpectColumnToBeAwesome"):
        helper.run_suite(
            frame(), Suite("bad", (Expectation("ExpectColumnToBeAwesome", {"column": "model_id"}),)), table="t"
        )
    assert helper.run_suite(frame(), Suite("ok", (not_null("model_id"),)), table="t").success  # the helper lives on


def test_charts_drawn_in_the_helper_are_byte_identical(helper, tmp_path, monkeypatch):
    data = synthetic_report_data()
    here = report.draw_charts(data, tmp_path / "here")
    there = helper.draw_charts(data, tmp_path / "there")
    assert {name: alt for name, (_, alt) in there.items()} == {name: alt for name, (_, alt) in here.items()}
    for name, (path, _) in here.items():
        assert there[name][0] == tmp_path / "there" / path.name
        assert there[name][0].read_bytes() == path.read_bytes(), name
    # render_report hands the charts to the active helper: the same report, byte for byte
    monkeypatch.setattr(build_helper, "_active", helper)
    handed = report.render_report(data, tmp_path / "handed")
    monkeypatch.setattr(build_helper, "_active", None)
    local = report.render_report(data, tmp_path / "local")
    assert {k: p.read_bytes() for k, p in handed.items()} == {k: p.read_bytes() for k, p in local.items()}


def test_work_falls_back_to_this_process_when_the_helper_dies(monkeypatch, capfd):
    dying = BuildHelper()
    monkeypatch.setattr(build_helper, "_active", dying)
    try:
        expected = run_arrow_suite(frame().to_arrow(), SUITE, table="clean.models")
        assert validation.run_suite(frame(), SUITE, table="clean.models") == expected  # in the helper
        dying._process.kill()
        dying._process.wait()
        assert validation.run_suite(frame(), SUITE, table="clean.models") == expected  # here
        assert dying.broken and build_helper.active() is None
        assert "suite 'models' in this process instead" in capfd.readouterr().err
    finally:
        dying.close()


def test_the_helper_ends_with_a_build_killed_while_it_imports():
    code = (
        "import sys; from pipelines.lib.build_helper import BuildHelper; h = BuildHelper(); "
        "print(h._process.pid, flush=True); import time; time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)
    helper_pid = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(helper_pid):
        time.sleep(0.1)
    assert not _alive(helper_pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False
