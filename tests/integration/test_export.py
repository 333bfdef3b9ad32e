"""Exports for analysts: local folders and fsspec URIs, Parquet and CSV, never overwriting silently."""

from __future__ import annotations

import csv
import io
import json

import fsspec
import polars as pl
import pytest

from pipelines.lib.export import ExportError, export_tables

pytestmark = pytest.mark.integration


def test_parquet_and_csv_to_a_local_folder(built, tmp_path):
    done = export_tables(built, str(tmp_path / "out"), tables=["marts.trend_fits", "marts.seed_claims"], formats=("parquet", "csv"))
    assert len(done) == 4
    manifest = json.loads(built.manifest.read_text())
    parquet = tmp_path / "out/marts/trend_fits.parquet"
    assert parquet.read_bytes() == (built.warehouse_dir / manifest["tables"]["marts.trend_fits"]["parquet"]).read_bytes()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out/marts/trend_fits.csv").read_text())))
    assert len(rows) == manifest["tables"]["marts.trend_fits"]["rows"]
    frame = pl.read_parquet(parquet)
    # CSV values round-trip to the Parquet values (floats written with repr).
    first = frame.sort("metric", "population").row(0, named=True)
    match = [r for r in rows if r["metric"] == first["metric"] and r["population"] == first["population"]][0]
    assert float(match["growth_per_year"]) == first["growth_per_year"]
    assert json.loads((tmp_path / "out/manifest.json").read_text()) == manifest


def test_fsspec_uri_destination(built):
    dest = "memory://flopcast-export-test"
    done = export_tables(built, dest, tables=["marts.training_runs"], formats=("parquet",))
    assert [item.target for item in done] == [f"{dest}/marts/training_runs.parquet"]  # printed with its scheme
    fs = fsspec.filesystem("memory")
    with fs.open("/flopcast-export-test/marts/training_runs.parquet", "rb") as handle:
        assert pl.read_parquet(handle).height == json.loads(built.manifest.read_text())["tables"]["marts.training_runs"]["rows"]
    assert fs.exists("/flopcast-export-test/manifest.json")
    fs.rm("/flopcast-export-test", recursive=True)


def test_refuses_to_overwrite_unknown_tables_and_formats(built, tmp_path):
    export_tables(built, str(tmp_path), tables=["marts.roadblocks"])
    with pytest.raises(ExportError, match="--force"):
        export_tables(built, str(tmp_path), tables=["marts.roadblocks"])
    export_tables(built, str(tmp_path), tables=["marts.roadblocks"], force=True)
    with pytest.raises(ExportError, match="marts.nope"):
        export_tables(built, str(tmp_path), tables=["marts.nope"])
    with pytest.raises(ExportError, match="xlsx"):
        export_tables(built, str(tmp_path), tables=["marts.roadblocks"], formats=("xlsx",))


def test_a_file_as_destination_is_refused_cleanly(built, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    with pytest.raises(ExportError, match="is a file, not a folder"):
        export_tables(built, str(target), tables=["marts.roadblocks"])
    with pytest.raises(ExportError, match="is a file, not a folder"):
        export_tables(built, f"file://{target}", tables=["marts.roadblocks"])
    assert target.read_text() == "mine"
