"""Hypothesis: any curated file (issue 17, classes 1, 8 and 11) gives sound values or problems that
each name the file and line; never a traceback, never an infinite, non-positive, out-of-range or
future value, never a control character in a published cell.

FLOPCAST_HOSTILE_EXAMPLES sets the number of generated files (100 in `make test`, 1000 in `make reliability`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import shutil
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.lib.curated import FIELDS, CuratedError, field_ranges, load_curated

KNOWN = {"gpt-4-mar-2023": "GPT-4 (Mar 2023)", "gpt-3-175b-davinci": "GPT-3 175B (davinci)"}
SNAPSHOT = dt.date(2026, 7, 19)
EXAMPLES = int(
    os.environ.get("FLOPCAST_HOSTILE_EXAMPLES", "100")
)  # 100 in `make test` too: the probe table counts them
OUTCOMES: dict[str, int] = {"valid": 0, "refused": 0}


def write(root: Path, data: bytes, name: str, scenario: bool) -> Path:
    folder = root / "curated" / ("scenarios" if scenario else "")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return root / "curated"


_HOSTILE = [
    "",
    "0 FLOP",
    "1e-400 FLOP",
    "1e400 FLOP",
    "1e300 GW",
    "-3 W",
    "nan FLOP",
    "2099-01-01",
    "2026-07-20",
    '=HYPERLINK("x")',
    "\x1b[2J",
    "a\x00b",
    "1e26",
    "9e99 FLOP",
    "25 MW",
    "$1e8",
    "correct",
    "gpt-4-mar-2023",
]
# Valid cells per column, so that many generated files pass and their values are checked too.
_VALID = {
    "model_id": ["gpt-4-mar-2023", "gpt-3-175b-davinci", ""],
    "model": ["", "GPT-4 (Mar 2023)", "New Run", "Big $Run^{"],
    "publication_date": ["", "2020-05-28", "2026-07-19", "1999-12-31"],
    "organization": ["", "OpenAI", "Lab, Inc."],
    "country": ["", "United States of America"],
    "domain": ["", "Language"],
    "training_compute_flop": ["", "2.2e25 FLOP", "3.8×10^24 FLOP", "~1e26 FLOPs", "1 FLOP", "1e30 FLOP"],
    "training_cost_usd": ["", "1e8 USD", "$1e8", "1,200,000 USD"],
    "training_tokens": ["", "15e12 tokens"],
    "parameters": ["", "405e9 parameters"],
    "training_power_w": ["", "25 MW", "300 kW", "10 GW"],
    "citation": ["https://example.org/a", "paper, p. 3"],
    "note": ["", "multi\nline note"],
    "author": ["", "ana"],
    "date": ["", "2026-08-01"],
}
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_STANDARD = ["action", "model_id", "model", *FIELDS, "citation", "note", "author", "date"]
_COLUMNS = st.lists(st.sampled_from([*_STANDARD, "bogus"]), min_size=1, max_size=8)


@st.composite
def curated_files(draw):
    if draw(st.integers(0, 3)) == 0:  # any header at all, duplicates and unknown columns included
        columns = draw(_COLUMNS)
    else:  # the standard columns in some order
        columns = draw(st.permutations(_STANDARD))
    hostile = draw(st.sampled_from([0.0, 0.0, 0.0, 0.03, 0.2, 0.6]))  # the share of cells from the hostile pool
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row = []
        for column in columns:
            if draw(st.floats(0, 1)) < hostile:
                row.append(draw(st.one_of(st.sampled_from(_HOSTILE), _TEXT)))
            elif column == "action":
                row.append(draw(st.sampled_from(["correct", "add"])))
            else:
                row.append(draw(st.sampled_from(_VALID.get(column, [""]))))
        if draw(st.integers(0, 9)) == 0:
            row.append(draw(_TEXT))  # an extra trailing field
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(columns)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    if draw(st.integers(0, 4)) == 0 and data:
        cut = draw(st.integers(0, len(data) - 1))  # a stray byte: not UTF-8, a NUL, a quote, a separator
        data = data[:cut] + draw(st.sampled_from([b"\xff", b"\x00", b'"', b",", b"\n"])) + data[cut:]
    return data


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=curated_files(), scenario=st.booleans())
def test_any_curated_file_gives_sound_values_or_located_problems(tmp_path, data, scenario):
    shutil.rmtree(tmp_path / "curated", ignore_errors=True)
    curated = write(tmp_path, data, name="hostile.csv", scenario=scenario)
    try:
        values = load_curated(curated, KNOWN, snapshot_date=SNAPSHOT)
    except CuratedError as error:
        OUTCOMES["refused"] += 1
        assert error.problems
        for problem in error.problems:
            assert re.match(rf"{re.escape(str(curated))}/(scenarios/)?hostile\.csv: line \d+", problem), problem
            assert "Traceback" not in problem
        return
    OUTCOMES["valid"] += 1
    ranges = field_ranges(SNAPSHOT)
    for row in values.iter_rows(named=True):
        number = row["value_number"]
        if number is not None:
            low, high, _ = ranges[row["field"]]
            assert math.isfinite(number) and number > 0 and low <= number <= high, row
        if row["value_date"] is not None:
            assert row["value_date"] <= SNAPSHOT, row
        for text in (row["model"], row["value_text"], row["citation"]):
            assert text is None or not re.search(r"[\x00-\x1f\x7f\udc80-\udcff]", text), row
    keys = values.select("estimates", "model_id", "field", "value_as_written")
    assert keys.height == 0 or keys.group_by("estimates", "model_id", "field").agg(pl.len()).height <= keys.height


def test_report_the_outcomes():
    """Printed under `make reliability` (-s): how many generated files were valid or refused."""
    print(
        f"\ncurated property: {sum(OUTCOMES.values())} generated files, {OUTCOMES['valid']} valid, {OUTCOMES['refused']} refused "
        "with file and line"
    )
