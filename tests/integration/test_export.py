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
    done = export_tables(
        built, str(tmp_path / "out"), tables=["marts.trend_fits", "marts.seed_claims"], formats=("parquet", "csv")
    )
    assert len(done) == 4
    manifest = json.loads(built.manifest.read_text())
    parquet = tmp_path / "out/marts/trend_fits.parquet"
    assert (
        parquet.read_bytes() == (built.warehouse_dir / manifest["tables"]["marts.trend_fits"]["parquet"]).read_bytes()
    )
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
        assert (
            pl.read_parquet(handle).height
            == json.loads(built.manifest.read_text())["tables"]["marts.training_runs"]["rows"]
        )
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


def test_published_parquet_and_views_describe_themselves(built, tmp_path):
    """Each Parquet file's schema carries the table's description and every column's description and
    unit (pipelines/lib/column_docs.py); the --views-db views carry the same as DuckDB comments."""
    import duckdb
    import pyarrow.parquet as pq

    from pipelines.lib.column_docs import TABLE_DOCS, column_doc

    manifest = json.loads(built.manifest.read_text())
    for table, entry in manifest["tables"].items():
        schema = pq.read_schema(built.warehouse_dir / entry["parquet"])
        assert schema.metadata[b"description"].decode() == TABLE_DOCS[table]
        for field in schema:
            unit, description = column_doc(table, field.name)
            assert field.metadata[b"description"].decode() == description, (table, field.name)
            assert field.metadata.get(b"unit") == (unit.encode() if unit else None), (table, field.name)
    runs = pq.read_schema(built.warehouse_dir / manifest["tables"]["marts.training_runs"]["parquet"])
    assert runs.field("training_compute_flop").metadata[b"unit"] == b"FLOP"
    summary = pq.read_schema(built.warehouse_dir / manifest["tables"]["marts.yearly_summary"]["parquet"])
    assert str(summary.field("n_frontier").type) == "int64" and str(summary.field("n_large_scale").type) == "int64"
    reasons = pq.read_schema(built.warehouse_dir / manifest["tables"]["quarantine.rejected_rows"]["parquet"]).field(
        "reasons"
    )
    assert str(reasons.type) == "list<element: string>"

    views = tmp_path / "views.duckdb"
    export_tables(built, str(tmp_path / "out"), tables=["marts.training_runs"], views_db=views)
    with duckdb.connect(str(views), read_only=True) as con:
        (comment,) = con.execute("SELECT comment FROM duckdb_views() WHERE view_name = 'training_runs'").fetchone()
        assert comment.startswith(TABLE_DOCS["marts.training_runs"])
        (column_comment,) = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE table_name = 'training_runs' "
            "AND column_name = 'training_compute_flop'"
        ).fetchone()
        assert column_comment.startswith("[FLOP] ")


def test_csv_export_writes_lists_as_json_and_booleans_lowercase(built, tmp_path):
    export_tables(built, str(tmp_path), tables=["quarantine.rejected_rows", "marts.training_runs"], formats=("csv",))
    rejected = list(csv.DictReader(io.StringIO((tmp_path / "quarantine/rejected_rows.csv").read_text())))
    assert rejected and all(isinstance(json.loads(row["reasons"]), list) for row in rejected)
    runs = list(csv.DictReader(io.StringIO((tmp_path / "marts/training_runs.csv").read_text())))
    assert {row["is_frontier"] for row in runs} == {"true", "false"}
