"""Release diff (pipelines.lib.release_diff, `flopcast diff`): typed changes between two snapshots."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from pipelines.cli.diff import register
from pipelines.lib.release_diff import (
    CHANGES,
    DIFF_COLUMNS,
    DIFF_SCHEMA,
    diff_versions,
    format_summary,
    release_diff_for_build,
    summarize_diff,
)
from pipelines.lib.sources import SourceError, load_snapshot, write_snapshot

BUNDLED_SOURCES = Path(__file__).resolve().parents[2] / "sources"
SOURCE = "epoch_notable_models"
OLD = "2026-07-19"
NEW = "2026-08-01"

REMOVED = "AlexNet"
RESPELLED = "Inkling"  # compute 1.845e+24 written out in full: same value, no change
PADDED = "Chinchilla"  # trailing spaces in the name: no change
GPT3 = "GPT-3 175B (davinci)"
ADDED = "Flopcast Test Model 7B"


def _copy_sources(destination: Path) -> Path:
    shutil.copytree(BUNDLED_SOURCES, destination, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return destination


def _records(sources_dir: Path, version: str = OLD) -> tuple[list[str], list[list[str]], dict]:
    snapshot = load_snapshot(sources_dir, SOURCE, version)
    rows = list(csv.reader(io.StringIO(snapshot.data_path.read_text(encoding="utf-8"), newline="")))
    return rows[0], [r for r in rows[1:] if r], snapshot.manifest["origin"]


def _write(sources_dir: Path, version: str, header: list[str], records: list[list[str]], origin: dict) -> None:
    """Every record rewritten by the csv module: quoting changes, multi-line fields stay intact."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(records)
    write_snapshot(sources_dir, SOURCE, version, buffer.getvalue().encode("utf-8"), dict(origin, retrieved=version))


def _set(header, records, model, column, value) -> None:
    matches = [r for r in records if r[0] == model]
    assert len(matches) == 1, model
    matches[0][header.index(column)] = value


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["diff", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory) -> Path:
    """The bundled sources plus a second version of the main source with known edits."""
    sources_dir = _copy_sources(tmp_path_factory.mktemp("diff") / "sources")
    header, records, origin = _records(sources_dir)
    compute = "Training compute (FLOP)"
    assert [r[header.index(compute)] for r in records if r[0] == RESPELLED] == ["1.845e+24"]
    assert [r[header.index(compute)] for r in records if r[0] == GPT3] == ["3.14e+23"]

    records = [r for r in records if r[0] != REMOVED]
    _set(header, records, GPT3, compute, "3.2e+23")
    _set(header, records, RESPELLED, compute, "1845000000000000000000000")
    _set(header, records, PADDED, "Model", PADDED + "   ")
    added = dict.fromkeys(header, "")
    added.update(
        {
            "Model": ADDED,
            "Organization": "Flopcast",
            "Publication date": "2026-07-25",
            "Domain": "Language",
            compute: "1e+24",
            "Parameters": "7000000000",
        }
    )
    records.append([added[name] for name in header])
    _write(sources_dir, NEW, header, records, origin)
    return sources_dir


@pytest.fixture(scope="module")
def diff(two_versions) -> pl.DataFrame:
    return diff_versions(two_versions, OLD, NEW)


def test_diff_reports_exactly_the_typed_changes(diff):
    assert diff.schema == pl.Schema(DIFF_SCHEMA)
    assert diff.select("change", "model_id", "model", "column", "old_value", "new_value").rows() == [
        ("added", "flopcast-test-model-7b", ADDED, None, None, None),
        ("changed", "gpt-3-175b-davinci", GPT3, "training_compute_flop", "3.14e+23", "3.2e+23"),
        ("removed", "alexnet", REMOVED, None, None, None),
    ]
    assert set(diff["old_version"]) == {OLD} and set(diff["new_version"]) == {NEW}


def test_row_numbers_point_into_each_version(diff, two_versions):
    header, old_records, _ = _records(two_versions, OLD)
    _, new_records, _ = _records(two_versions, NEW)
    rows = {change: (old, new) for change, old, new in diff.select("change", "old_row_number", "new_row_number").rows()}
    assert rows["added"] == (None, len(new_records))
    old_removed, _ = rows["removed"]
    assert old_records[old_removed - 1][0] == REMOVED
    old_gpt3, new_gpt3 = rows["changed"]
    assert old_records[old_gpt3 - 1][0] == GPT3 and new_records[new_gpt3 - 1][0] == GPT3


def test_respelled_numbers_and_padded_names_are_not_changes(diff):
    assert not diff.filter(
        pl.col("model").is_in([RESPELLED, PADDED]) | pl.col("model_id").is_in(["inkling", "chinchilla"])
    ).height


def test_summary_counts_by_change_and_column(diff):
    summary = summarize_diff(diff)
    assert summary == {
        "total": 3,
        "by_change": {"added": 1, "removed": 1, "changed": 1, "quarantined": 0, "unquarantined": 0},
        "by_column": {"training_compute_flop": 1},
    }
    assert list(summary["by_change"]) == list(CHANGES)
    assert format_summary(summary) == [
        "3 changes: added 1, removed 1, changed 1, quarantined 0, unquarantined 0",
        "changed columns: training_compute_flop 1",
    ]


def test_same_version_has_no_changes(two_versions):
    same = diff_versions(two_versions, OLD, OLD)
    assert same.height == 0 and same.schema == pl.Schema(DIFF_SCHEMA)
    assert format_summary(summarize_diff(same)) == ["no changes"]


def test_quarantine_transitions(tmp_path):
    sources_dir = _copy_sources(tmp_path / "sources")
    header, records, origin = _records(sources_dir)
    # Rows 1032 and 1033 are quarantined for a missing date. Row 448's dataset size is unreadable: only
    # that cell is rejected (null), the row is clean, so fixing it upstream is a changed value.
    gone, unquarantined, fixed_cell = records[1031][0], records[1032][0], records[447][0]
    assert (gone, unquarantined, fixed_cell) == ("MAI-Code-1-Flash", "Kaiju Small", "AbLang (heavy sequences)")
    records[1032][header.index("Publication date")] = "2026-07-01"
    records[447][header.index("Training dataset size (total)")] = "2260275840"
    del records[1031]
    _set(header, records, "Transformer", "Parameters", "lots")  # an unreadable cell: the value becomes null
    _set(header, records, "BERT-Large", "Publication date", "2030-01-01")  # after the snapshot date
    _set(header, records, "Chinchilla", "Publication date", "2022-03-30")  # a changed date
    _write(sources_dir, NEW, header, records, origin)

    diff = diff_versions(sources_dir, OLD, NEW)
    assert diff.select("change", "model_id", "column", "old_value", "new_value").rows() == [
        ("changed", "ablang-heavy-sequences", "training_dataset_size", None, "2260275840.0"),
        ("changed", "chinchilla", "publication_date", "2022-03-29", "2022-03-30"),
        ("changed", "transformer", "parameters", "213000000.0", None),
        ("quarantined", "bert-large", None, None, "publication_date: 2030-01-01 is after the snapshot date 2026-08-01"),
        ("removed", "mai-code-1-flash", None, "publication_date: missing", None),
        ("unquarantined", "kaiju-small", None, "publication_date: missing", None),
    ]
    # A model that was clean keeps its old row number; the reasons come from the new version.
    assert diff.filter(pl.col("change") == "quarantined")["old_row_number"].null_count() == 0


def test_release_diff_for_build_compares_with_the_version_before(two_versions, diff):
    assert release_diff_for_build(two_versions, NEW).equals(diff)
    oldest = release_diff_for_build(two_versions, OLD)
    assert oldest.height == 0 and oldest.schema == pl.Schema(DIFF_SCHEMA)
    with pytest.raises(SourceError, match="available: 2026-07-19, 2026-08-01"):
        release_diff_for_build(two_versions, "2001-01-01")


def test_diff_columns_exist_in_the_clean_table():
    from pipelines.lib.clean_sources import NOTABLE_MODELS
    from pipelines.lib.cleaning import CleanContext
    from pipelines.lib.raw import read_text_table
    from pipelines.lib.stages import clean_frame

    snapshot = load_snapshot(BUNDLED_SOURCES, SOURCE)
    raw = read_text_table(snapshot.data_path, source=SOURCE, version=snapshot.version).head(5)
    clean, _, _ = clean_frame(
        raw, NOTABLE_MODELS, CleanContext(str(snapshot.data_path), dt.date.fromisoformat(snapshot.retrieved))
    )
    assert set(DIFF_COLUMNS) <= set(clean.columns)


# --- flopcast diff ---------------------------------------------------------------------------------


def test_cli_defaults_to_the_two_newest_versions(capsys, two_versions):
    code, out, err = _cli(capsys, "--sources-dir", str(two_versions))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:3] == [
        f"{SOURCE}: {OLD} -> {NEW}",
        "3 changes: added 1, removed 1, changed 1, quarantined 0, unquarantined 0",
        "changed columns: training_compute_flop 1",
    ]
    assert any("gpt-3-175b-davinci" in line and "3.14e+23" in line and "3.2e+23" in line for line in lines)
    assert lines[-1] == "(3 rows)"


def test_cli_output_is_identical_when_run_twice(capsys, two_versions):
    first = _cli(capsys, OLD, NEW, "--sources-dir", str(two_versions))
    second = _cli(capsys, OLD, NEW, "--sources-dir", str(two_versions))
    assert first == second and first[0] == 0


def test_cli_json_keeps_stdout_machine_readable(capsys, two_versions):
    code, out, err = _cli(capsys, "--sources-dir", str(two_versions), "--format", "json", "--limit", "2")
    assert code == 0
    rows = json.loads(out)
    assert [r["change"] for r in rows] == ["added", "changed"]
    assert rows[1]["old_value"] == "3.14e+23" and rows[1]["old_row_number"] > 0
    assert "3 changes" in err and "first 2 of 3 rows" in err


def test_cli_with_one_version_has_nothing_to_compare(capsys):
    code, out, err = _cli(capsys, "--sources-dir", str(BUNDLED_SOURCES))
    assert code == 0
    assert out.strip() == f"only one version of {SOURCE}: nothing to compare"


def test_cli_unknown_version_names_the_available_ones(capsys, two_versions):
    code, out, err = _cli(capsys, "2001-01-01", "--sources-dir", str(two_versions))
    assert code == 2 and out == ""
    assert "no version '2001-01-01'" in err and f"available: {OLD}, {NEW}" in err


def test_cli_unknown_source(capsys, two_versions):
    code, _, err = _cli(capsys, "--source", "nope", "--sources-dir", str(two_versions))
    assert code == 2 and "unknown source 'nope'" in err


def test_cli_reports_a_tampered_snapshot(capsys, tmp_path, two_versions):
    sources_dir = _copy_sources(tmp_path / "sources")
    shutil.copytree(two_versions / SOURCE / NEW, sources_dir / SOURCE / NEW)
    data = sources_dir / SOURCE / NEW / "notable_ai_models.csv"
    data.write_bytes(data.read_bytes() + b"\n")
    code, _, err = _cli(capsys, "--sources-dir", str(sources_dir))
    assert code == 1 and "checksum mismatch" in err
