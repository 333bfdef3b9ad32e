"""The floor of flopcast's raw + clean work: the smallest script doing the same work with the same guarantees.

    python -m benchmarks.scale_floor --sources DIR --work DIR --out result.json

On the main source only, in one process on one DuckDB connection, each step once and in memory:

  checksum   sha256 of the snapshot checked against its manifest (before the raw table is kept),
             with the quote scan (raw.QuoteScan) on the same read, as the build does it
  raw        the build's fast path minus its fallback (raw._arrow_load: pyarrow's CSV reader
             streamed into a zstd Parquet file, every cell of the 47 columns as text, a cell longer
             than the csv module's field limit refused), and a view over the file naming the
             columns and adding the lineage, row numbers from the file's row order
  read       the 20 mapped columns and the lineage back as one Arrow table
  type       cleaning.type_columns on all rows at once (strict first, the lenient parser only where
             the strict cast fails, reasons only on the rows that have one)
  derive     the source's derive step, duplicate resolution over all rows, the split into clean rows
             (in the source's order, as the build writes them) and the quarantine (rejected rows
             with every reason and their raw record read back, rejected cells with their raw text)
  write      clean.<table> in one CREATE TABLE ... AS SELECT on one DuckDB thread, in the build's
             storage format (warehouse.STORAGE_VERSION), and the quarantine tables (rejected rows
             with their raw record as JSON, rejected cells)

No batches, no stage boundaries (a Dagster asset opens its own connection and re-reads what the
previous one wrote), no other sources, no Dagster: what is left is the work itself. raw.* is kept
as the build keeps it, in a Parquet file behind a view; a view over the CSV itself would skip the
copy, but it has no row numbers without `row_number() OVER ()`, and every read of it (clean, the
quarantine, cell conservation, an analyst's query) would parse the CSV again. CPU seconds include
every thread of the process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

from benchmarks.child_result import finished, write_result

SOURCE = "epoch_notable_models"


def run(sources_dir: Path, work_dir: Path) -> dict:
    import duckdb
    import polars as pl

    from pipelines.lib.clean_sources import CLEANING_SPECS
    from pipelines.lib.cleaning import (
        HAS_PROBLEMS,
        USABLE,
        WORKING_COLUMNS,
        CleanContext,
        derive_rows,
        quarantine,
        resolve_spec_duplicates,
        type_columns,
    )
    from pipelines.lib.raw import QuoteScan, _arrow_load, _plain_header
    from pipelines.lib.sources import load_snapshot, verify_snapshot
    from pipelines.lib.warehouse import STORAGE_VERSION, quote

    times, cpu = {}, {}
    clock = [time.perf_counter(), time.process_time()]

    def lap(name: str) -> None:
        now = [time.perf_counter(), time.process_time()]
        times[name], cpu[name] = now[0] - clock[0], now[1] - clock[1]
        clock[:] = now

    spec, snapshot = CLEANING_SPECS[SOURCE], load_snapshot(sources_dir, SOURCE)
    work_dir.mkdir(parents=True, exist_ok=True)
    db = work_dir / "floor.duckdb"
    for leftover in (db, db.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(
        str(db),
        config={
            "threads": 1,
            "memory_limit": os.environ.get("FLOPCAST_DUCKDB_MEMORY_LIMIT", "2GB"),
            "storage_compatibility_version": STORAGE_VERSION,
        },
    )
    clock[:] = [time.perf_counter(), time.process_time()]

    quotes = QuoteScan()
    verify_snapshot(snapshot, quotes.feed)
    lap("checksum")
    names = _plain_header(snapshot.data_path)
    lineage = f"'{SOURCE}' AS _source, '{snapshot.version}' AS _source_version"
    parquet = work_dir / "raw.parquet"
    if not quotes.well_formed() or _arrow_load(snapshot.data_path, names, parquet) is None:
        raise SystemExit(f"{snapshot.data_path}: the fast path refused the file; the floor measures only that path")
    con.execute(
        f"CREATE VIEW raw AS SELECT {', '.join(f'c{i} AS {quote(n)}' for i, n in enumerate(names))}, {lineage}, "
        "file_row_number + 1 AS _row_number "
        f"FROM read_parquet('{parquet}', file_row_number = true)"
    )
    lap("raw")
    mapped = ", ".join(quote(c.source) for c in spec.columns)
    raw = pl.from_arrow(con.sql(f"SELECT {mapped}, _source, _source_version, _row_number FROM raw").to_arrow_table())
    lap("read")
    typed = type_columns(raw, spec)
    del raw
    lap("type")

    def records(numbers: pl.Series) -> pl.DataFrame:
        con.register("_wanted", pl.DataFrame({"_row_number": numbers}).to_arrow())
        try:
            return pl.from_arrow(
                con.sql(
                    "SELECT r.* FROM raw AS r SEMI JOIN _wanted USING (_row_number) ORDER BY _row_number"
                ).to_arrow_table()
            )
        finally:
            con.unregister("_wanted")

    context = CleanContext(str(snapshot.data_path), dt.date.fromisoformat(snapshot.retrieved))
    derived = resolve_spec_duplicates(derive_rows(typed, spec, context), spec)
    del typed
    clean = derived.filter(USABLE).drop(*WORKING_COLUMNS)
    rejected_rows, rejected_cells = quarantine(
        derived.filter(HAS_PROBLEMS).select("source_row_number", *WORKING_COLUMNS), spec, records
    )
    del derived
    lap("derive + quarantine")
    for name, frame in (("clean", clean), ("rejected_rows", rejected_rows), ("rejected_cells", rejected_cells)):
        con.register("_frame", frame.to_arrow())
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _frame")
        con.unregister("_frame")
    con.close()
    lap("write")
    return {
        "stages": {name: {"seconds": times[name], "cpu_seconds": cpu[name]} for name in times},
        "total_seconds": sum(times.values()),
        "total_cpu_seconds": sum(cpu.values()),
        "clean_rows": clean.height,
        "rejected_rows": rejected_rows.height,
        "rejected_cells": rejected_cells.height,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    import duckdb  # noqa: F401  (imports are not part of any step's time)
    import polars  # noqa: F401

    import pipelines.lib.cleaning  # noqa: F401

    result = finished("scale_floor", run(args.sources, args.work))
    write_result(args.out, result)
    stages = ", ".join(f"{k} {v['seconds']:.2f}s ({v['cpu_seconds']:.2f} CPU-s)" for k, v in result["stages"].items())
    print(
        f"floor: {stages}; total {result['total_cpu_seconds']:.2f} CPU-s; peak RSS {result['peak_rss_bytes'] / 2**20:,.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
