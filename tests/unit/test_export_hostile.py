"""`flopcast export` and `build --pin` footguns (issue 17, classes 9 and 11): CSV formula cells
neutralised unless --raw-csv, NUL bytes never exported, the published warehouse never overwritten
(--views-db or --to inside it), a file as --to and an unknown pinned version refused in one line
before any work."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.lib.export import ExportError, export_tables
from pipelines.lib.warehouse import Locations

HOSTILE = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tindented",
    "\rreturn",
    "nul\x00byte",
    "plain",
]


@pytest.fixture
def warehouse(tmp_path) -> Locations:
    """A small published warehouse with the real layout: releases/<id>/ and symlinks through current."""
    root = tmp_path / "warehouse"
    release = root / "releases" / "abc123"
    (release / "parquet" / "marts").mkdir(parents=True)
    con = duckdb.connect(str(release / "flopcast.duckdb"))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.training_runs (model VARCHAR, training_compute_flop DOUBLE)")
    con.executemany(
        "INSERT INTO marts.training_runs VALUES (?, ?)", [(m, 1e24 * (i + 1)) for i, m in enumerate(HOSTILE)]
    )
    con.execute(f"COPY marts.training_runs TO '{release / 'parquet/marts/training_runs.parquet'}' (FORMAT parquet)")
    con.close()
    (release / "manifest.json").write_text(
        json.dumps(
            {
                "tables": {
                    "marts.training_runs": {"parquet": "parquet/marts/training_runs.parquet", "rows": len(HOSTILE)}
                },
                "sources": {},
            }
        )
    )
    os.symlink("releases/abc123", root / "current")
    for entry in ("flopcast.duckdb", "parquet", "manifest.json"):
        os.symlink(f"current/{entry}", root / entry)
    return Locations(sources_dir=tmp_path / "sources", warehouse_dir=root)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def exported_models(path: Path) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    return [r["model"] for r in sorted(rows, key=lambda r: float(r["training_compute_flop"]))]


def test_csv_export_neutralises_formulas_and_drops_nul(warehouse, tmp_path):
    export_tables(warehouse, str(tmp_path / "out"), formats=("csv",))
    assert exported_models(tmp_path / "out/marts/training_runs.csv") == [
        "'=cmd|' /C calc'!A0",
        '\'=HYPERLINK("http://evil.example","click")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tindented",
        "'\rreturn",
        "nulbyte",
        "plain",
    ]


def test_raw_csv_keeps_the_values_but_still_no_nul(warehouse, tmp_path, capsys):
    assert (
        main(
            [
                "export",
                "--to",
                str(tmp_path / "out"),
                "--format",
                "csv",
                "--raw-csv",
                "--warehouse-dir",
                str(warehouse.warehouse_dir),
            ]
        )
        == 0
    )
    assert exported_models(tmp_path / "out/marts/training_runs.csv") == [m.replace("\x00", "") for m in HOSTILE]


@pytest.mark.parametrize("target", ["flopcast.duckdb", "releases/abc123/flopcast.duckdb", "views.duckdb"])
def test_views_db_may_not_replace_a_file_of_the_warehouse_even_with_force(warehouse, tmp_path, target):
    before = digest(warehouse.published_db)
    with pytest.raises(ExportError, match="is in the warehouse"):
        export_tables(warehouse, str(tmp_path / "out"), force=True, views_db=warehouse.warehouse_dir / target)
    assert digest(warehouse.published_db) == before
    assert not (tmp_path / "out").exists()  # refused before anything was exported


def test_to_inside_the_warehouse_is_refused(warehouse):
    before = digest(warehouse.manifest)
    for dest in (warehouse.warehouse_dir, warehouse.warehouse_dir / "current", f"file://{warehouse.warehouse_dir}/x"):
        with pytest.raises(ExportError, match="inside the warehouse"):
            export_tables(warehouse, str(dest), force=True)
    assert digest(warehouse.manifest) == before


def test_to_a_file_or_an_unwritable_place_is_one_line(warehouse, tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    for dest, expected in (
        (a_file, "is a file, not a folder"),
        (a_file / "sub", "cannot write to"),
        (Path("/sys/flopcast-export-test"), "cannot write to"),
    ):
        code = main(["export", "--to", str(dest), "--warehouse-dir", str(warehouse.warehouse_dir)])
        err = capsys.readouterr().err
        assert code == 2 and expected in err and "Traceback" not in err and err.count("\n") == 1, err
    assert a_file.read_text() == "mine"


@pytest.mark.parametrize("pin", ["epoch_notable_models=../../etc", "epoch_notable_models=2099-01-01"])
def test_a_pin_to_a_version_that_does_not_exist_is_refused_before_any_work(tmp_path, capsys, pin):
    sources = tmp_path / "sources"
    (sources / "epoch_notable_models" / "2026-07-19").mkdir(parents=True)
    (sources / "epoch_notable_models" / "2026-07-19" / "manifest.json").write_text("{}")
    warehouse = tmp_path / "warehouse"
    code = main(["build", "--pin", pin, "--sources-dir", str(sources), "--warehouse-dir", str(warehouse)])
    err = capsys.readouterr().err
    assert code == 2 and "has no version" in err and "available: 2026-07-19" in err
    assert not warehouse.exists()  # no lock, no private database: nothing was started
