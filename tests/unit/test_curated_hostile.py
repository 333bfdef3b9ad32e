"""Hostile curated files (issue 17, classes 1, 2, 8, 10, 11): every value that reaches the build is
finite, positive, in the source's own range and dated no later than the snapshot; everything else is
refused with file, line and field, never a traceback, never the content behind a link."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from pipelines.lib.curated import CuratedError, load_curated

KNOWN = {"gpt-4-mar-2023": "GPT-4 (Mar 2023)", "gpt-3-175b-davinci": "GPT-3 175B (davinci)"}
HEADER = "action,model_id,model,publication_date,training_compute_flop,training_power_w,citation,note,author,date\n"
SNAPSHOT = dt.date(2026, 7, 19)
REPO_SOURCES = Path(__file__).resolve().parents[2] / "sources"


def write(root: Path, text: str | bytes, name: str = "corrections.csv", scenario: bool = False) -> Path:
    folder = root / "curated" / ("scenarios" if scenario else "")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return root / "curated"


def problems_of(curated: Path) -> list[str]:
    with pytest.raises(CuratedError) as error:
        load_curated(curated, KNOWN, snapshot_date=SNAPSHOT)
    return error.value.problems


# --- class 1: values that would publish wrong data ------------------------------------------------


@pytest.mark.parametrize(
    "cell_field, cell, expected",
    [
        ("training_compute_flop", "0 FLOP", "not a positive quantity"),
        ("training_compute_flop", "1e-400 FLOP", "not a positive quantity"),
        ("training_compute_flop", "1e400 FLOP", "not a finite number"),
        ("training_compute_flop", "inf FLOP", "not a finite number"),
        ("training_compute_flop", "NaN FLOP", "not a finite number"),
        ("training_compute_flop", "-1e25 FLOP", "below the minimum"),
        ("training_compute_flop", "9e99 FLOP", "is outside 1..1e+30"),
        ("training_compute_flop", "0.5 FLOP", "is outside 1..1e+30"),
        ("training_power_w", "1e300 GW", "not a finite number once converted"),
        ("training_power_w", "20 GW", "is outside 0..1e+10"),
        ("training_power_w", "0 MW", "not a positive quantity"),
        ("publication_date", "2099-01-01", "after the snapshot date 2026-07-19"),
        ("publication_date", "2026-07-20", "after the snapshot date 2026-07-19"),
        ("publication_date", "1900-01-01", "before 1940-01-01"),
        ("publication_date", "20230315", "cannot read '20230315' as a date"),
        ("date", "2099-01-01", "is in the future"),
    ],
)
def test_out_of_range_values_are_refused_with_file_line_and_field(tmp_path, cell_field, cell, expected):
    columns = HEADER.strip().split(",")
    row = dict.fromkeys(columns, "") | {"action": "correct", "model_id": "gpt-4-mar-2023", "citation": "ref"}
    row[cell_field] = cell
    if cell_field in ("date", "publication_date"):
        row["training_compute_flop"] = "2.2e25 FLOP"
    problems = problems_of(write(tmp_path, HEADER + ",".join(row[c] for c in columns) + "\n"))
    assert len(problems) == 1, problems
    assert re.search(rf"corrections\.csv: line 2, field '{cell_field}': .*{re.escape(expected)}", problems[0]), problems


def test_a_duplicated_column_is_refused_not_last_one_wins(tmp_path):
    curated = write(
        tmp_path,
        "action,model_id,training_compute_flop,training_compute_flop,citation\n"
        "correct,gpt-4-mar-2023,2.2e25 FLOP,9e29 FLOP,ref\n",
    )
    assert problems_of(curated) == [
        f"{curated}/corrections.csv: line 1, column 'training_compute_flop': the column appears "
        "twice; one file row must say one value per field"
    ]


def test_two_conflicting_corrections_are_refused_by_load_even_across_files(tmp_path):
    write(tmp_path, HEADER + "correct,gpt-4-mar-2023,,,2.2e25 FLOP,,a,,,\n")
    curated = write(tmp_path, HEADER + "correct,,GPT-4 (Mar 2023),,2.3e25 FLOP,,b,,,\n", name="more.csv")
    (problem,) = problems_of(curated)
    assert "corrections.csv: line 2 and" in problem and "more.csv: line 2, field 'training_compute_flop'" in problem
    assert "two different values for 'gpt-4-mar-2023' ('2.2e25 FLOP' vs '2.3e25 FLOP')" in problem


def test_the_same_value_twice_or_in_a_scenario_is_not_a_conflict(tmp_path):
    write(tmp_path, HEADER + "correct,gpt-4-mar-2023,,,2.2e25 FLOP,,a,,,\ncorrect,gpt-4-mar-2023,,,22e24 FLOP,,b,,,\n")
    curated = write(
        tmp_path, HEADER + "correct,gpt-4-mar-2023,,,1e26 FLOP,,post,,,\n", name="seed_post.csv", scenario=True
    )
    values = load_curated(curated, KNOWN, snapshot_date=SNAPSHOT)
    assert sorted(values["estimates"].to_list()) == ["baseline", "baseline", "seed_post"]


def test_lenient_spellings_of_the_source_parser_are_accepted(tmp_path):
    curated = write(tmp_path, HEADER + "correct,gpt-4-mar-2023,,,~2.2×10^25 FLOP,25 MW,ref,,,\n")
    values = load_curated(curated, KNOWN, snapshot_date=SNAPSHOT)
    assert sorted(values["value_number"].to_list()) == [2.5e7, 2.2e25]


# --- class 2: a scenario may not shadow the baseline ----------------------------------------------


@pytest.mark.parametrize("name", ["baseline.csv", "Baseline.csv", "bad name.csv"])
def test_a_scenario_named_baseline_or_oddly_is_refused(tmp_path, name):
    curated = write(tmp_path, HEADER + "correct,gpt-4-mar-2023,,,9e29 FLOP,,ref,,,\n", name=name, scenario=True)
    (problem,) = problems_of(curated)
    assert problem.startswith(f"{curated}/scenarios/{name}: ")
    assert "baseline" in problem.lower() or "letters, digits" in problem


# --- class 8: unreadable files are located, never a traceback -------------------------------------


def test_a_ten_megabyte_cell_names_line_and_field(tmp_path):
    curated = write(tmp_path, HEADER + 'correct,gpt-4-mar-2023,,,2.2e25 FLOP,,ref,"' + "x" * 10_000_000 + '",,\n')
    (problem,) = problems_of(curated)
    assert "corrections.csv: line 2, field 'note': a cell longer than" in problem and len(problem) < 400


def test_a_long_but_parseable_cell_is_refused_too(tmp_path):
    (problem,) = problems_of(
        write(tmp_path, HEADER + "correct,gpt-4-mar-2023,,,2.2e25 FLOP,,ref" + "x" * 20_000 + ",,,\n")
    )
    assert "line 2, field 'citation': the cell holds 20,003 characters" in problem


def test_a_byte_that_is_not_utf8_names_line_and_field(tmp_path):
    curated = write(tmp_path, (HEADER + "add,,Caf\xe9 Run,2020-01-01,1e25 FLOP,,ref,,,\n").encode("latin-1"))
    assert problems_of(curated) == [
        f"{curated}/corrections.csv: line 2, field 'model': byte 0xe9 is not UTF-8; save the file as UTF-8"
    ]


@pytest.mark.parametrize("cell", ["A\x1b[31mB", "A\x00B", "A\rB", "A\x7fB"])
def test_control_characters_in_a_cell_are_refused(tmp_path, cell):
    (problem,) = problems_of(write(tmp_path, HEADER + f'add,,"{cell}",2020-01-01,1e25 FLOP,,ref,,,\n'))
    assert "line 2, field 'model': contains the control character" in problem


# --- class 10: links are refused without echoing their target -------------------------------------


def test_a_curated_file_that_is_a_link_is_refused_without_its_content(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:SECRET-LINE\n")
    (tmp_path / "curated").mkdir()
    (tmp_path / "curated" / "corrections.csv").symlink_to(secret)
    (problem,) = problems_of(tmp_path / "curated")
    assert "corrections.csv" in problem and "symbolic link" in problem and "SECRET" not in problem


def test_a_scenarios_folder_that_is_a_link_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.csv").write_text(HEADER + "correct,gpt-4-mar-2023,,,1e26 FLOP,,ref,,,\n")
    (tmp_path / "curated").mkdir()
    (tmp_path / "curated" / "scenarios").symlink_to(elsewhere)
    (problem,) = problems_of(tmp_path / "curated")
    assert "symbolic link" in problem


# --- class 11: extra trailing fields ----------------------------------------------------------------


def test_extra_trailing_fields_are_refused_with_the_line(tmp_path):
    (problem,) = problems_of(write(tmp_path, HEADER + "correct,gpt-4-mar-2023,,,2.2e25 FLOP,,ref,,,,9e29 FLOP\n"))
    assert "corrections.csv: line 2: 1 field(s) after the last column 'date'" in problem


def test_the_real_snapshot_date_bounds_publication_dates(tmp_path):
    """Without an explicit date, the newest main-source snapshot under curated/.. gives it."""
    sources = tmp_path / "sources"
    shutil.copytree(REPO_SOURCES / "epoch_notable_models", sources / "epoch_notable_models")
    curated = write(sources, HEADER + "add,,Late Run,2026-08-01,1e25 FLOP,,ref,,,\n")
    with pytest.raises(CuratedError, match="after the snapshot date 2026-07-19"):
        load_curated(curated, KNOWN)
