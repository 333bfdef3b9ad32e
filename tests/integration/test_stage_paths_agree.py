"""The one clean stage (stages.materialize_clean; stages.clean_frame runs the same function on an
in-memory DuckDB) gives the same tables whatever its batch and transaction sizes, and whichever
reader made raw.*: the build (pyarrow's CSV reader, small batches appended over several
transactions, duplicates across batches) against clean_frame (read_text_table, one batch), table
for table, on the bundled sources and on a synthetic file with dirty rows."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from benchmarks import generate
from pipelines.lib import stages
from pipelines.lib.clean_sources import CLEANING_SPECS
from pipelines.lib.cleaning import CleanContext
from pipelines.lib.raw import read_text_table
from pipelines.lib.sources import SOURCES, load_snapshot
from pipelines.lib.warehouse import PROJECT_ROOT, connect


def _assert_batches_do_not_matter(sources_dir, db_path, monkeypatch, batch_rows):
    with connect(db_path) as con:
        for source in SOURCES:
            spec, snapshot = CLEANING_SPECS[source.name], load_snapshot(sources_dir, source.name)
            raw = read_text_table(snapshot.data_path, source=source.name, version=snapshot.version)
            context = CleanContext(str(snapshot.data_path), dt.date.fromisoformat(snapshot.retrieved))
            with monkeypatch.context() as patched:  # one batch, one transaction
                patched.setattr(stages, "CLEAN_BATCH_ROWS", 10_000_000)
                patched.setattr(stages, "CLEAN_COMMIT_ROWS", 10_000_000)
                clean, rejected, cells = stages.clean_frame(raw, spec, context)
            with monkeypatch.context() as patched:  # several batches and transactions
                patched.setattr(stages, "CLEAN_BATCH_ROWS", batch_rows)
                patched.setattr(stages, "CLEAN_COMMIT_ROWS", 2 * batch_rows)
                stages.materialize_raw(con, sources_dir, source.name)
                result = stages.materialize_clean(con, sources_dir, source.name)
            # clean.* holds the rows in the source's order (written once, as the batches come);
            # clean_frame gives them by key.
            table = pl.from_arrow(
                con.sql(f"SELECT * FROM clean.{spec.table} ORDER BY {', '.join(spec.key)}").to_arrow_table()
            )
            quarantined = pl.from_arrow(
                con.sql(
                    "SELECT * FROM quarantine.rejected_rows WHERE source = ? ORDER BY row_number", params=[source.name]
                ).to_arrow_table()
            )
            stored_raw = pl.from_arrow(
                con.sql(f'SELECT * FROM raw."{source.name}" ORDER BY _row_number').to_arrow_table()
            )
            assert stored_raw.schema == raw.schema and stored_raw.equals(raw), source.name
            assert table.schema == clean.schema and table.equals(clean), source.name
            rejected_cells = pl.from_arrow(
                con.sql(
                    "SELECT * FROM quarantine.rejected_cells WHERE source = ?", params=[source.name]
                ).to_arrow_table()
            ).sort(pl.all())
            assert quarantined.schema == rejected.schema and quarantined.equals(rejected), source.name
            assert rejected_cells.schema == cells.schema and rejected_cells.equals(cells.sort(pl.all())), source.name
            assert (result.raw_rows, result.clean_rows, result.rejected_rows, result.rejected_cells) == (
                raw.height,
                clean.height,
                rejected.height,
                cells.height,
            )
            assert clean.height + rejected.height == raw.height, source.name
            assert stages.row_conservation(con, source.name).holds, source.name
            cell_check = stages.cell_conservation(con, source.name)
            assert cell_check.holds, cell_check


def test_bundled_sources(tmp_path, monkeypatch):
    _assert_batches_do_not_matter(PROJECT_ROOT / "sources", tmp_path / "b.duckdb", monkeypatch, 300)


@pytest.mark.parametrize("batch_rows", [997, 1_000_000])
def test_synthetic_source_with_dirty_rows(tmp_path, monkeypatch, batch_rows):
    sources = tmp_path / "sources"
    generate.build_sources(sources, 5_000, seed=11)
    _assert_batches_do_not_matter(sources, tmp_path / "s.duckdb", monkeypatch, batch_rows)


def test_clean_frame_sorts_by_key_whatever_the_row_order():
    """clean_frame returns the clean rows by key, and the same three frames for raw rows in any order."""
    spec = CLEANING_SPECS["epoch_notable_models"]
    snapshot = load_snapshot(PROJECT_ROOT / "sources", spec.source)
    raw = read_text_table(snapshot.data_path, source=spec.source, version=snapshot.version)
    context = CleanContext(str(snapshot.data_path), dt.date.fromisoformat(snapshot.retrieved))
    first, second = stages.clean_frame(raw, spec, context), stages.clean_frame(raw.reverse(), spec, context)
    assert first.clean.height > 1000
    assert first.clean.equals(first.clean.sort([*spec.key, "source_row_number"]))
    for a, b in zip(first, second):
        assert a.equals(b)
