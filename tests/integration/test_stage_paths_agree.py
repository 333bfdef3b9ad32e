"""The build's raw and clean stages (DuckDB's CSV reader, typing in batches appended to the clean
table, duplicates resolved in DuckDB) give exactly what the plain in-memory path gives (read_text_table +
clean_source), table for table, on the bundled sources and on a synthetic file with dirty rows."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from benchmarks import generate
from pipelines.lib import stages
from pipelines.lib.clean_sources import CLEANING_SPECS
from pipelines.lib.cleaning import CleanContext, clean_and_quarantine
from pipelines.lib.raw import read_text_table
from pipelines.lib.sources import SOURCES, load_snapshot
from pipelines.lib.warehouse import PROJECT_ROOT, connect


def _assert_stages_match_the_in_memory_path(sources_dir, db_path, monkeypatch, batch_rows):
    monkeypatch.setattr(stages, "CLEAN_BATCH_ROWS", batch_rows)
    monkeypatch.setattr(stages, "CLEAN_COMMIT_ROWS", 2 * batch_rows)  # several transactions at the small batch size
    with connect(db_path) as con:
        for source in SOURCES:
            stages.materialize_raw(con, sources_dir, source.name)
            result = stages.materialize_clean(con, sources_dir, source.name)
            spec, snapshot = CLEANING_SPECS[source.name], load_snapshot(sources_dir, source.name)
            raw = read_text_table(snapshot.data_path, source=source.name, version=snapshot.version)
            context = CleanContext(str(snapshot.data_path), dt.date.fromisoformat(snapshot.retrieved))
            clean, rejected, cells = clean_and_quarantine(raw, spec, context)
            # clean.* holds the rows in the source's order (written once, as the batches come); the
            # in-memory path sorts by key.
            table = pl.from_arrow(con.sql(f"SELECT * FROM clean.{spec.table} ORDER BY {', '.join(spec.key)}").to_arrow_table())
            quarantined = pl.from_arrow(con.sql(
                "SELECT * FROM quarantine.rejected_rows WHERE source = ? ORDER BY row_number", params=[source.name]
            ).to_arrow_table())
            stored_raw = pl.from_arrow(con.sql(f'SELECT * FROM raw."{source.name}" ORDER BY _row_number').to_arrow_table())
            assert stored_raw.equals(raw), source.name
            assert table.schema == clean.schema and table.equals(clean), source.name
            rejected_cells = pl.from_arrow(con.sql(
                "SELECT * FROM quarantine.rejected_cells WHERE source = ?", params=[source.name]
            ).to_arrow_table()).sort(pl.all())
            cells = cells.sort(pl.all())
            assert quarantined.equals(rejected), source.name
            assert rejected_cells.schema == cells.schema and rejected_cells.equals(cells), source.name
            assert (result.raw_rows, result.clean_rows, result.rejected_rows, result.rejected_cells) == (
                raw.height, clean.height, rejected.height, cells.height)
            assert stages.row_conservation(con, source.name).holds, source.name
            cell_check = stages.cell_conservation(con, source.name)
            assert cell_check.holds, cell_check


def test_bundled_sources(tmp_path, monkeypatch):
    _assert_stages_match_the_in_memory_path(PROJECT_ROOT / "sources", tmp_path / "b.duckdb", monkeypatch, 300)


@pytest.mark.parametrize("batch_rows", [997, 1_000_000])
def test_synthetic_source_with_dirty_rows(tmp_path, monkeypatch, batch_rows):
    sources = tmp_path / "sources"
    generate.build_sources(sources, 5_000, seed=11)
    _assert_stages_match_the_in_memory_path(sources, tmp_path / "s.duckdb", monkeypatch, batch_rows)
