"""Hostile input through the real build: a broken new snapshot of the main source either builds with
every raw row clean or quarantined, or fails naming the file (and row/column) with the published
warehouse left byte-identical.

The files come from the mutation functions of tests/property/test_hostile_input.py, applied to the
whole real snapshot (the in-process property test covers the many small variations; each build
here takes 15-30 s, so this file keeps to a handful).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re

import duckdb
import polars as pl
import pytest

from pipelines.cli.build import run_build
from pipelines.lib.sources import MANIFEST_NAME, SOURCES_BY_NAME, load_snapshot, write_snapshot
from pipelines.lib.warehouse import Locations
from tests.conftest import published_state
from tests.property.test_hostile_input import (
    REAL_FILE,
    Table,
    duplicate_header,
    duplicate_row,
    set_cell,
    to_bytes,
    truncate,
    with_bom,
)

pytestmark = pytest.mark.integration

SOURCE = "epoch_notable_models"
VERSION = "2026-07-20"
DOCUMENTED_ERRORS = {"RawFormatError", "MissingColumnsError", "CleaningStepError", "DagsterAssetCheckFailedError"}


def full_table() -> Table:
    with open(REAL_FILE, encoding="utf-8-sig", newline="") as handle:
        records = list(csv.reader(handle))
    return records[0], records[1:]


def column(table: Table, name: str) -> list[str]:
    header, rows = table
    return [row[header.index(name)] for row in rows]


def rows_with(table: Table, name: str, count: int, skip: int = 0) -> list[int]:
    """Indexes of the first rows (after `skip`) with a value in that column."""
    return [i for i, value in enumerate(column(table, name)) if value][skip : skip + count]


def write_version(locations: Locations, data: bytes) -> str:
    """The hostile file as a newer snapshot of the main source; returns the data file's path.

    write_snapshot counts records with the csv module to fill the manifest, which itself fails on
    files that are not UTF-8 or have an oversized field; those get the manifest written here (the
    build only needs the name and checksum to reach the reader, which must then refuse the file).
    """
    current = load_snapshot(locations.sources_dir, SOURCE)
    origin = dict(current.manifest["origin"], retrieved=VERSION)
    try:
        return str(write_snapshot(locations.sources_dir, SOURCE, VERSION, data, origin).data_path)
    except (UnicodeDecodeError, csv.Error):
        folder = locations.sources_dir / SOURCE / VERSION
        folder.mkdir(parents=True)
        name = SOURCES_BY_NAME[SOURCE].file_name
        (folder / name).write_bytes(data)
        manifest = {
            "source": SOURCE,
            "version": VERSION,
            "origin": origin,
            "file": {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data), "rows": None},
        }
        (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return str(folder / name)


def conservation(locations: Locations) -> tuple[int, int, int]:
    with duckdb.connect(str(locations.published_db), read_only=True) as con:
        raw = con.execute(f"select count(*) from raw.{SOURCE}").fetchone()[0]
        clean = con.execute("select count(*) from clean.notable_models").fetchone()[0]
        quarantined = con.execute(
            "select count(*) from quarantine.rejected_rows where source = ?", [SOURCE]
        ).fetchone()[0]
    return raw, clean, quarantined


def build_hostile(locations: Locations, name: str, data: bytes):
    """Write, build, and check the guarantee; returns (outcome, data path, failure text)."""
    before = published_state(locations)
    path = write_version(locations, data)
    outcome = run_build(locations)
    failure = "\n".join(outcome.failures)
    if outcome.success:
        raw, clean, quarantined = conservation(locations)
        assert raw == clean + quarantined, (name, raw, clean, quarantined)
        with duckdb.connect(str(locations.published_db), read_only=True) as con:
            assert con.execute(f"select distinct _source_version from raw.{SOURCE}").fetchall() == [(VERSION,)]
            unexplained = con.execute(
                """select count(*) from quarantine.rejected_rows
                where source = ? and (len(reasons) = 0
                   or len(list_filter(reasons, r -> not regexp_matches(r, '^([a-z0-9_]+: |duplicate model: )'))) > 0)""",
                [SOURCE],
            ).fetchone()[0]
            assert unexplained == 0, name
            # Cell conservation (also a blocking check of the build): rejected cells point at clean rows.
            stray = con.execute(
                """select count(*) from quarantine.rejected_cells c where c.source = ?
                and c.row_number not in (select source_row_number from clean.notable_models)""",
                [SOURCE],
            ).fetchone()[0]
            assert stray == 0, name
    else:
        assert not outcome.published
        assert published_state(locations) == before, f"{name}: a failed build changed the published warehouse"
        assert outcome.failures or outcome.checks_failed, name
        assert "Traceback" not in failure, failure
        for line in outcome.failures:
            # "<step>: <module>.<ExceptionType>: <message>": only the documented errors, which name
            # the file, or a blocking check (listed in checks_failed) may stop a build; a bare
            # polars or Python error would be an unexplained failure.
            _, _, message = line.partition(": ")
            kind = message.split(": ", 1)[0].rsplit(".", 1)[-1]
            assert kind in DOCUMENTED_ERRORS, f"{name}: unexplained failure: {line}"
            if kind != "DagsterAssetCheckFailedError":
                assert path in message, f"{name}: the failure does not name the file: {line}"
    return outcome, path, failure


def assert_located_failure(outcome, path: str, failure: str, *words: str) -> None:
    assert not outcome.success, outcome.summary(0)
    assert path in failure, failure
    assert re.search(r"\b(row|line)s? \d+", failure), failure
    for word in words:
        assert word in failure, failure


# --- builds that must succeed ---------------------------------------------------------------------


def _times_ten(text: str) -> str:
    mantissa, _, exponent = text.lower().partition("e")
    return f"{mantissa}×10^{int(exponent or 0)}"


def _thousands(text: str) -> str:
    value = float(text)
    return f"{value:,.0f}" if value >= 1e6 and value == int(value) and "e" not in text.lower() else text


RESPELLINGS = {
    "Training compute (FLOP)": [lambda v: f"{v} FLOP", lambda v: f"~{v}", lambda v: f"≈ {v} FLOPs", _times_ten],
    "Parameters": [lambda v: f"approx. {v}", _thousands],
    "Training power draw (W)": [lambda v: f"{v} W", _times_ten],
    "Training compute cost (2023 USD)": [lambda v: f"${v}", lambda v: f"{v} USD"],
    "Training time (hours)": [lambda v: f"{v} hours"],
}


def respelled(table: Table) -> Table:
    """The same values in the lenient spellings the parser accepts: the clean table must not change."""
    for name, spellings in RESPELLINGS.items():
        for n, row in enumerate(rows_with(table, name, 3 * len(spellings))):
            table = set_cell(table, row, name, spellings[n % len(spellings)](column(table, name)[row]))
    return table


def test_lenient_spellings_bom_crlf_nul_and_quoted_newlines_build_the_same_clean_table(published_copy, built):
    table = respelled(full_table())
    table = set_cell(table, 0, "Parameters notes", "first line\nsecond line\r\nthird")
    table = set_cell(table, 1, "Authors", "Someone\x00Else")
    data = with_bom(to_bytes(*table, terminator="\r\n"))
    outcome, _, failure = build_hostile(published_copy, "respelled numbers + BOM + CRLF + NUL + quoted newlines", data)
    assert outcome.success, outcome.summary(0)
    query = "select * exclude (source_version) from clean.notable_models order by model_id"
    with (
        duckdb.connect(str(built.published_db), read_only=True) as old,
        duckdb.connect(str(published_copy.published_db), read_only=True) as new,
    ):
        before = pl.from_arrow(old.sql(query).to_arrow_table())
        after = pl.from_arrow(new.sql(query).to_arrow_table())
        assert (
            new.execute(f'select "Authors" from raw.{SOURCE} where _row_number = 2').fetchone()[0] == "Someone\x00Else"
        )
    assert after.equals(before)


def test_refused_values_are_rejected_cells_and_bad_dates_and_a_duplicate_are_quarantined(published_copy, built):
    table = full_table()
    # Unreadable or impossible values of optional columns: the cell is set to null, the run kept.
    bad_cells = {
        ("Training compute (FLOP)", "NaN"): "training_compute_flop: 'NaN' is not a finite number",
        ("Parameters", "inf"): "parameters: 'inf' is not a finite number",
        ("Training dataset size (total)", "-5"): "training_dataset_size: '-5' is below the minimum 0",
        ("Training compute (FLOP)", "1e24-3e24"): "training_compute_flop: cannot read '1e24-3e24' as a number",
        ("Training compute cost (2023 USD)", "1,200"): "training_cost_usd: '1,200' is ambiguous",
    }
    # A date that cannot be used makes the whole row unusable.
    bad_rows = {
        ("Publication date", "2099-01-01"): "publication_date: 2099-01-01 is after the snapshot date 2026-07-20",
        ("Publication date", "sometime in spring"): "publication_date: cannot read 'sometime in spring' as a date",
    }
    bad = {**bad_rows, **bad_cells}
    raw_before, clean_before, quarantined_before = conservation(built)
    with duckdb.connect(str(built.published_db), read_only=True) as con:
        already = {
            n
            for (n,) in con.execute(
                "select row_number from quarantine.rejected_rows where source = ?", [SOURCE]
            ).fetchall()
        }
        already |= {
            n
            for (n,) in con.execute(
                "select row_number from quarantine.rejected_cells where source = ?", [SOURCE]
            ).fetchall()
        }
        cells_before = con.execute(
            "select count(*) from quarantine.rejected_cells where source = ?", [SOURCE]
        ).fetchone()[0]
    targets = [i for i in range(len(table[1])) if i + 1 not in already][: len(bad)]
    for row, (name, value) in zip(targets, bad):
        table = set_cell(table, row, name, value)
    table = duplicate_row(table, targets[-1])  # a second copy (0-based index) of the row with the ambiguous cost
    outcome, _, _ = build_hostile(published_copy, "refused values + dates + duplicate row", to_bytes(*table))
    assert outcome.success, outcome.summary(0)
    raw, clean, quarantined = conservation(published_copy)
    assert (raw, clean, quarantined) == (
        raw_before + 1,
        clean_before - len(bad_rows),
        quarantined_before + len(bad_rows) + 1,
    )
    with duckdb.connect(str(published_copy.published_db), read_only=True) as con:
        reasons = dict(
            con.execute(
                "select row_number, reasons from quarantine.rejected_rows where source = ?", [SOURCE]
            ).fetchall()
        )
        cells = {
            (row, column): (value, reason)
            for row, column, value, reason in con.execute(
                "select row_number, source_column, raw_value, reason from quarantine.rejected_cells where source = ?",
                [SOURCE],
            ).fetchall()
        }
        kept = {n for (n,) in con.execute("select source_row_number from clean.notable_models").fetchall()}
    assert len(cells) == cells_before + len(bad_cells)
    for row, ((name, value), expected) in zip(targets, bad.items()):
        if (name, value) in bad_rows:
            assert any(r.startswith(expected) for r in reasons[row + 1]), (row + 1, reasons[row + 1], expected)
        else:
            assert row + 1 in kept and cells[(row + 1, name)][0] == value, (row + 1, name)
            assert cells[(row + 1, name)][1].startswith(expected), cells[(row + 1, name)]
    # The copy loses as a duplicate; its unreadable cost is among its reasons, not a rejected cell.
    assert reasons[raw][0].startswith("duplicate model: ") and reasons[raw][1].startswith("training_cost_usd: '1,200'")


# --- builds that must fail, naming the file -------------------------------------------------------


def _failing_cases() -> dict:
    table = full_table()
    base = to_bytes(*table)
    organization = column(table, "Organization")[0].encode("utf-8")
    return {
        "invalid UTF-8 in a cell": (
            base.replace(organization, organization[:3] + b"\xe9" + organization[4:], 1),
            ["row 1", "'Organization'", "not valid UTF-8"],
        ),
        "10 MB field": (
            to_bytes(*set_cell(table, 5, "Abstract", "x" * 10_000_000)),
            ["row 6", "'Abstract'", "131,072"],
        ),
        "duplicated header": (
            to_bytes(*duplicate_header(table, "Model", 3)),
            ["line 1", "'Model'", "duplicates column 1"],
        ),
        "cut off mid-record": (truncate(base, len(base) - 1000), ["row"]),
        "empty file": (b"", ["empty"]),
    }


FAILING = _failing_cases()
FAILING_NAMES = ["invalid UTF-8 in a cell", "10 MB field", "duplicated header", "cut off mid-record", "empty file"]


@pytest.mark.parametrize("name", FAILING_NAMES)
def test_unreadable_file_fails_naming_file_row_and_column(published_copy, name):
    data, words = FAILING[name]
    outcome, path, failure = build_hostile(published_copy, name, data)
    if name == "empty file":  # no row or line to name in a file without a single byte
        assert not outcome.success and path in failure and "empty" in failure, failure
        return
    assert_located_failure(outcome, path, failure, *words)


def test_header_only_file_fails_a_check_and_publishes_nothing(published_copy):
    header, _ = full_table()
    outcome, _, _ = build_hostile(published_copy, "header only", to_bytes(header, []))
    assert not outcome.success
    assert "clean/notable_models:expectations" in outcome.checks_failed, outcome.summary(0)


def test_value_that_would_break_a_derivation_is_a_rejected_cell(published_copy):
    """Hardware quantity 3e24 parses, but would overflow the Int64 cast in the notable-models derive
    step: the cell is rejected (null) first, and the run is kept."""
    table = full_table()
    row = rows_with(table, "Hardware quantity", 1)[0]
    outcome, path, failure = build_hostile(
        published_copy, "hardware quantity beyond Int64", to_bytes(*set_cell(table, row, "Hardware quantity", "3e24"))
    )
    assert outcome.success, failure
    with duckdb.connect(str(published_copy.published_db), read_only=True) as con:
        assert con.execute(
            "select hardware_quantity from clean.notable_models where source_row_number = ?", [row + 1]
        ).fetchall() == [(None,)]
        assert con.execute(
            "select raw_value, reason from quarantine.rejected_cells where row_number = ?", [row + 1]
        ).fetchall() == [("3e24", "hardware_quantity: 3e+24 is too large for a count")]


def test_the_hostile_files_differ_from_the_real_snapshot_as_intended():
    """A mutation that matched nothing would let its build test pass without testing anything: each
    respelling changes exactly the cells it picks, each failing file differs from the real one and
    from the others, and every failing case is one of the builds above."""
    real = full_table()
    changed = respelled(real)
    assert changed[0] == real[0] and len(changed[1]) == len(real[1])
    changed_cells = sum(old != new for before, after in zip(real[1], changed[1]) for old, new in zip(before, after))
    assert changed_cells == sum(3 * len(spellings) for spellings in RESPELLINGS.values())
    files = [data for data, _ in FAILING.values()]
    assert to_bytes(*real) not in files and len(set(files)) == len(files)
    assert sorted(FAILING) == sorted(FAILING_NAMES)
