"""The raw and clean stages as plain functions on a DuckDB connection (Dagster calls these)."""

from __future__ import annotations

import contextlib
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.clean_sources import CLEANING_SPECS
from pipelines.lib.cleaning import (
    CELL_CHECKED_KINDS,
    HAS_PROBLEMS,
    QUARANTINE_SCHEMA,
    REASONS,
    REJECTED_CELLS_SCHEMA,
    USABLE,
    WORKING_COLUMNS,
    CleanContext,
    Cleaned,
    CleaningSpec,
    derive_rows,
    quarantine,
    require_columns,
    type_columns,
)
from pipelines.lib.duck import literal, registered, table_columns
from pipelines.lib.raw import LINEAGE_COLUMNS, QuoteScan, load_text_table
from pipelines.lib.sources import load_snapshot, verify_snapshot
from pipelines.lib.warehouse import count_rows, quote, read_table, table_exists, write_table

QUARANTINE_TABLE = ("quarantine", "rejected_rows")
REJECTED_CELLS_TABLE = ("quarantine", "rejected_cells")
CLEAN_BATCH_ROWS = 250_000  # raw rows typed at a time: a batch in polars stays well under 1 GB
CLEAN_COMMIT_ROWS = 1_000_000  # clean rows appended per transaction (see materialize_clean)


@dataclass(frozen=True)
class RawResult:
    source: str
    version: str
    sha256: str
    rows: int
    columns: int
    path: str


@dataclass(frozen=True)
class CleanResult:
    source: str
    table: str
    version: str
    raw_rows: int
    clean_rows: int
    rejected_rows: int
    rejected_preview: pl.DataFrame
    rejected_cells: int = 0
    rejected_cells_preview: pl.DataFrame | None = None


def materialize_raw(
    con: duckdb.DuckDBPyConnection, sources_dir: Path, source: str, version: str | None = None
) -> RawResult:
    """Load every cell as text into raw.<source>, replacing it only once the snapshot's checksum holds.

    The checksum is computed on a second thread while pyarrow parses the file (hashlib releases the
    GIL), so a large file is read twice at the same time instead of one pass after the other; the
    quote scan that decides whether pyarrow's table may be kept (raw.QuoteScan) rides on the
    checksum's read.
    """
    snapshot = load_snapshot(sources_dir, source, version)
    quotes = QuoteScan()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as pool:
        checksum = pool.submit(verify_snapshot, snapshot, quotes.feed)

        def quotes_well_formed() -> bool:
            checksum.result()  # the scan has seen the whole file once the checksum is done
            return quotes.well_formed()

        try:
            rows, columns, _reader = load_text_table(
                con,
                snapshot.data_path,
                schema="raw",
                table=source,
                source=source,
                version=snapshot.version,
                before_commit=checksum.result,
                quotes_well_formed=quotes_well_formed,
            )
        except Exception:
            checksum.result()  # a file that fails its checksum is reported as that, whatever else is wrong
            raise
    return RawResult(source, snapshot.version, checksum.result(), rows, columns, str(snapshot.data_path))


def _raw_frame(con: duckdb.DuckDBPyConnection, source: str, columns: list[str] | None = None) -> pl.DataFrame:
    """raw.<source>, or only `columns` of it, in no particular row order (cleaning does not depend on it)."""
    selected = ", ".join(quote(c) for c in columns) if columns else "*"
    return pl.from_arrow(con.sql(f"SELECT {selected} FROM raw.{quote(source)}").to_arrow_table())


def _raw_header(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    return [name for name, _ in table_columns(con, "raw", source)]


def _raw_records(con: duckdb.DuckDBPyConnection, source: str):
    """A function giving every column of the raw rows with the given _row_numbers (for the quarantine)."""

    def fetch(row_numbers: pl.Series) -> pl.DataFrame:
        with registered(con, "_wanted_rows", pl.DataFrame({"_row_number": row_numbers}).to_arrow()):
            # A semi join, not IN (subquery): DuckDB then filters the scan by the wanted numbers
            # before reading the other 46 columns (1M rows, 7,000 wanted: 1.8 -> 0.6 CPU-s).
            return pl.from_arrow(
                con.sql(
                    f"SELECT r.* FROM raw.{quote(source)} AS r SEMI JOIN _wanted_rows USING (_row_number) "
                    "ORDER BY _row_number"
                ).to_arrow_table()
            )

    return fetch


def _constant_lineage(con: duckdb.DuckDBPyConnection, source: str) -> tuple[str, str] | None:
    """(_source, _source_version) if every row of raw.<source> has the same (always so for a raw
    view load_text_table made, which adds them as constants), else None."""
    found = con.execute(f"SELECT DISTINCT _source, _source_version FROM raw.{quote(source)} LIMIT 2").fetchall()
    return found[0] if len(found) == 1 else None


def _derived_batches(
    con: duckdb.DuckDBPyConnection, spec: CleaningSpec, context: CleanContext, lineage: tuple[str, str] | None
):
    """The typed and derived rows of raw.<source>, CLEAN_BATCH_ROWS at a time (all at once for a
    derive step that looks across rows). Only the mapped columns are read, and the row number; the
    source and version too unless `lineage` gives them (constants: polars holds them as one value)."""
    read = list(LINEAGE_COLUMNS) if lineage is None else ["_row_number"]
    selected = ", ".join(quote(c) for c in [col.source for col in spec.columns] + read)
    # A cursor of its own: the caller writes each batch on `con`, which would end a result streaming on it.
    batches = con.cursor().execute(f"SELECT {selected} FROM raw.{quote(spec.source)}").to_arrow_reader(CLEAN_BATCH_ROWS)

    def raw_frame(batch) -> pl.DataFrame:
        frame = pl.from_arrow(batch)
        if lineage is None:
            return frame
        return frame.with_columns(
            pl.lit(lineage[0], dtype=pl.String).alias("_source"),
            pl.lit(lineage[1], dtype=pl.String).alias("_source_version"),
        )

    typed = (type_columns(raw_frame(batch), spec) for batch in batches)
    if spec.derive_sees_all_rows:
        typed = iter([pl.concat([*typed, type_columns(raw_frame(batches.schema.empty_table()), spec)])])
    seen_any = False
    for frame in typed:
        seen_any = True
        yield derive_rows(frame, spec, context)
    if not seen_any:  # a source with no rows still gets its typed, empty table
        yield derive_rows(type_columns(raw_frame(batches.schema.empty_table()), spec), spec, context)


def _repeated_key_rows(key_hashes: list[pl.DataFrame]) -> pl.Series:
    """The source_row_numbers of the usable rows whose key's hash repeats (a superset of the rows
    whose key repeats: two keys with one hash are told apart by resolve_duplicates, which keeps a
    key it sees once). key_hashes: per batch, the hash of each non-null key and its row number."""
    hashes = (
        pl.concat(key_hashes)
        if key_hashes
        else pl.DataFrame(schema={"_hash": pl.UInt64, "source_row_number": pl.Int64})
    )
    return hashes.filter(pl.col("_hash").is_duplicated())["source_row_number"]


def _key_hashes(usable: pl.DataFrame, key: str) -> pl.DataFrame:
    """The hash of each non-null key of these usable rows, with their row numbers (a null key is
    never a duplicate, as in SQL)."""
    return usable.filter(pl.col(key).is_not_null()).select(pl.col(key).hash(seed=0).alias("_hash"), "source_row_number")


def _resolve_duplicates_in(
    con: duckdb.DuckDBPyConnection, table: str, spec: CleaningSpec, flagged: pl.DataFrame, repeated: pl.Series
) -> pl.DataFrame:
    """resolve_duplicates over every usable row, with only the rows that can lose in memory: the rows
    of `table` (every row, without working columns) numbered in `repeated` (usable rows whose key
    hash repeats, see _repeated_key_rows) are ranked by polars (the spec's duplicate rule, with
    their rejected cells from `flagged`). Returns `flagged` with the losers' reasons (the caller
    deletes every row with a reason from `table`)."""
    rule = spec.duplicates
    if rule is None or repeated.is_empty():
        return flagged
    with registered(con, "_repeated", repeated.to_frame().to_arrow()):
        candidates = pl.from_arrow(
            con.sql(f"SELECT * FROM {table} SEMI JOIN _repeated USING (source_row_number)").to_arrow_table()
        )
    empty = pl.lit([], dtype=pl.List(pl.String))
    candidates = candidates.join(flagged, on="source_row_number", how="left").with_columns(
        *(pl.col(name).fill_null(empty) for name in WORKING_COLUMNS)
    )
    losers = rule.resolve(candidates).filter(~USABLE).select("source_row_number", *WORKING_COLUMNS)
    return pl.concat([flagged.join(losers, on="source_row_number", how="anti"), losers])


def _append(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows,
    columns: list[str],
    constants: dict[str, str],
    create: bool,
    commit_first: bool = False,
) -> None:
    """rows (Arrow) appended to table, or table created from them, as `columns` in that order, each
    taken from rows or, if named in `constants`, that constant string; after committing the open
    transaction and beginning another if commit_first."""
    if commit_first:
        con.execute("COMMIT")
        con.execute("BEGIN")
    selected = ", ".join(
        f"{literal(constants[name])} AS {quote(name)}" if name in constants else quote(name) for name in columns
    )
    with registered(con, "_usable", rows):
        con.execute(
            f"CREATE TABLE {table} AS SELECT {selected} FROM _usable"
            if create
            else f"INSERT INTO {table} SELECT {selected} FROM _usable"
        )


def ensure_quarantine_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create the empty quarantine tables if they do not exist yet, so every source can append to them."""
    for (schema, table), columns in (
        (QUARANTINE_TABLE, QUARANTINE_SCHEMA),
        (REJECTED_CELLS_TABLE, REJECTED_CELLS_SCHEMA),
    ):
        if not table_exists(con, schema, table):
            write_table(con, schema, table, pl.DataFrame(schema=columns))


def materialize_clean(
    con: duckdb.DuckDBPyConnection, sources_dir: Path, source: str, as_of: dt.date | None = None
) -> CleanResult:
    """Type and check raw.<source>; usable rows to clean.<table>, the rest to quarantine.rejected_rows,
    and the cells of usable rows that were set to null to quarantine.rejected_cells. With an as-of
    date before the snapshot's, rows dated after it are left out of clean (quarantined as not known then)."""
    spec = CLEANING_SPECS[source]
    row = con.execute(f"SELECT _source_version FROM raw.{quote(source)} LIMIT 1").fetchone()
    version = row[0] if row and row[0] is not None else load_snapshot(sources_dir, source).version
    snapshot = load_snapshot(sources_dir, source, version)
    context = CleanContext(
        source_file=str(snapshot.data_path),
        snapshot_date=dt.date.fromisoformat(snapshot.retrieved),
        as_of=as_of,
    )
    raw_rows, rejected, rejected_cells = _clean_stage(con, spec, context)
    clean_rows = count_rows(con, f"clean.{quote(spec.table)}")
    return CleanResult(
        source,
        spec.table,
        version,
        raw_rows,
        clean_rows,
        rejected.height,
        rejected.head(10),
        rejected_cells.height,
        rejected_cells.head(10),
    )


def clean_frame(raw: pl.DataFrame, spec: CleaningSpec, context: CleanContext) -> Cleaned:
    """The build's clean stage (materialize_clean's) on raw rows held in memory: (clean rows sorted by
    key, rejected rows, rejected cells), for the commands that clean a snapshot without building
    (`flopcast curate`, `flopcast diff`, the refresh's checks).

    ``raw`` is what read_text_table returns (every cell as text plus the lineage columns). It is
    written to raw.<source> of a private in-memory DuckDB database and cleaned there by the same
    function the build runs, so there is one clean path.
    """
    with contextlib.closing(duckdb.connect(":memory:")) as con:
        write_table(con, "raw", spec.source, raw)
        _, rejected, rejected_cells = _clean_stage(con, spec, context)
        # clean.<table> holds the rows in the source's order; callers get them by key (row number
        # last, so that the order never depends on how the rows were appended).
        clean = pl.from_arrow(con.sql(f"SELECT * FROM clean.{quote(spec.table)}").to_arrow_table())
    return Cleaned(clean.sort([*spec.key, "source_row_number"]), rejected, rejected_cells)


def _clean_stage(
    con: duckdb.DuckDBPyConnection, spec: CleaningSpec, context: CleanContext
) -> tuple[int, pl.DataFrame, pl.DataFrame]:
    """raw.<spec.source> of `con` typed and checked: usable rows to clean.<table>, the rest to
    quarantine.rejected_rows, the cells of usable rows set to null to quarantine.rejected_cells.
    Returns (raw rows, rejected rows, rejected cells)."""
    source = spec.source
    header = _raw_header(con, source)
    require_columns(header, spec.columns, source_file=context.source_file)
    # Batch by batch, so that neither the raw text nor the typed rows of the whole source are ever in
    # memory at once (at 10M rows each copy is gigabytes): each batch's typed rows are appended to
    # the loading table as they come (in the source's row order; written once), and only the rows
    # with a problem (about 1%: their row number and reasons) are kept, with a hash of each usable
    # row's key. Duplicates are resolved once every row is in: the rows whose key hash repeats are
    # read back and ranked (finding the repeated keys with a GROUP BY over the table cost 0.4
    # CPU-s at 1M rows, the hashes 0.05). Then the rejected rows and the duplicates' losers are
    # deleted from the table in one statement (filtering every batch in polars instead copied
    # every cell: 0.4 CPU-s at 1M rows). The few rejected rows are read back whole from
    # raw.<source> for the quarantine. The table replaces clean.<table> only once complete.
    con.execute("CREATE SCHEMA IF NOT EXISTS clean")
    loading = f"clean.{quote('_loading_' + spec.table)}"
    raw_rows = 0
    flagged_parts: list[pl.DataFrame] = []
    key_hashes: list[pl.DataFrame] = []  # for the duplicates: 16 bytes per usable row (160 MB at 10M)
    # The source and version are the same on every row: written as SQL constants rather than carried
    # through Arrow, polars and back (1M rows: 0.45 CPU-s for those two columns alone).
    lineage = _constant_lineage(con, source)
    constants = {} if lineage is None else {"source": lineage[0], "source_version": lineage[1]}
    # The appends on one DuckDB thread, committed every CLEAN_COMMIT_ROWS rows: then each row group
    # is written once, at its final size. Appended in parallel or committed batch by batch, the
    # partial row groups at the batches' ends are merged and written again by the next checkpoint
    # (1M rows: 3.8 CPU-s this way, 4.7-6.6 otherwise); in one transaction for all rows, DuckDB
    # holds what the transaction appended in memory until it commits (10M rows: 7 GB). A writer
    # thread appends each batch while this one reads and types the next (DuckDB and polars both
    # release the GIL), so the two cores both work. The loading table only replaces
    # clean.<table> once complete; if anything fails it is dropped.
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    try:
        con.execute("SET threads = 1")
        con.execute("BEGIN")
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="clean-writer") as writer:
                appending, uncommitted = None, 0
                for number, derived in enumerate(_derived_batches(con, spec, context, lineage)):
                    raw_rows += derived.height
                    flagged_parts.append(derived.filter(HAS_PROBLEMS).select("source_row_number", *WORKING_COLUMNS))
                    if spec.duplicates is not None:
                        key = spec.duplicates.key
                        key_hashes.append(
                            _key_hashes(derived.select(key, "source_row_number", REASONS).filter(USABLE), key)
                        )
                    columns = [c for c in derived.columns if c not in WORKING_COLUMNS]
                    rows = derived.select(c for c in columns if c not in constants).to_arrow()
                    del derived
                    if appending is not None:
                        appending.result()  # one batch in flight: memory stays at two batches
                    commit_first = uncommitted >= CLEAN_COMMIT_ROWS
                    uncommitted = (0 if commit_first else uncommitted) + rows.num_rows
                    appending = writer.submit(
                        _append, con, loading, rows, columns, constants, number == 0, commit_first
                    )
                    del rows
                if appending is not None:
                    appending.result()
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already ended the transaction
                con.execute("ROLLBACK")
            raise
        finally:
            con.execute(f"SET threads = {int(threads)}")
        # Committed first: deleting rows of a table the same transaction appended makes the commit
        # rewrite every appended row group (1M rows: +3.5 CPU-s).
        repeated = _repeated_key_rows(key_hashes)
        del key_hashes
        flagged = _resolve_duplicates_in(con, loading, spec, pl.concat(flagged_parts), repeated).sort(
            "source_row_number"
        )
        del flagged_parts
        with registered(con, "_unusable", flagged.filter(~USABLE).select("source_row_number").to_arrow()):
            con.execute(f"DELETE FROM {loading} WHERE source_row_number IN (SELECT source_row_number FROM _unusable)")
        if spec.duplicates is not None and spec.duplicates.drop_key:
            con.execute(f"ALTER TABLE {loading} DROP COLUMN {quote(spec.duplicates.key)}")
        con.execute("BEGIN")
        con.execute(f"DROP TABLE IF EXISTS clean.{quote(spec.table)}")
        con.execute(f"ALTER TABLE {loading} RENAME TO {quote(spec.table)}")
        con.execute("COMMIT")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {loading}")
    rejected, rejected_cells = quarantine(flagged, spec, _raw_records(con, source))
    ensure_quarantine_table(con)
    con.execute("BEGIN")
    for (schema, table), frame in ((QUARANTINE_TABLE, rejected), (REJECTED_CELLS_TABLE, rejected_cells)):
        con.execute(f"DELETE FROM {schema}.{table} WHERE source = ?", [source])
        with registered(con, "_rejected", frame.to_arrow()):
            con.execute(f"INSERT INTO {schema}.{table} SELECT * FROM _rejected")
    con.execute("COMMIT")
    return raw_rows, rejected, rejected_cells


@dataclass(frozen=True)
class Conservation:
    source: str
    raw_rows: int
    clean_rows: int
    quarantined_rows: int

    @property
    def holds(self) -> bool:
        """Every raw row is either clean or quarantined."""
        return self.raw_rows == self.clean_rows + self.quarantined_rows


def row_conservation(con: duckdb.DuckDBPyConnection, source: str) -> Conservation:
    """raw rows = clean rows + quarantined rows, for one source (the blocking structural check)."""
    spec = CLEANING_SPECS[source]
    schema, table = QUARANTINE_TABLE
    return Conservation(
        source=source,
        raw_rows=count_rows(con, f"raw.{quote(source)}"),
        clean_rows=count_rows(con, f"clean.{quote(spec.table)}"),
        quarantined_rows=count_rows(con, f"{schema}.{table}", "WHERE source = ?", [source]),
    )


# What polars' strip_chars() strips (Unicode White_Space): a raw cell of only these is blank.
_WHITESPACE = "".join(
    map(
        chr,
        (*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000),
    )
)


@dataclass(frozen=True)
class CellConservation:
    source: str
    rejected_cells: int  # entries in quarantine.rejected_cells for the source
    unrecorded: list[tuple[int, str]]  # (row_number, field): a non-blank raw cell, null in clean, not recorded
    unfounded: list[tuple[int, str]]  # (row_number, field): an entry without a raw cell, clean row or null value

    @property
    def holds(self) -> bool:
        """Every unreadable raw cell of a clean row is recorded in quarantine.rejected_cells, and every entry there is founded."""
        return not self.unrecorded and not self.unfounded


def cell_conservation(con: duckdb.DuckDBPyConnection, source: str, examples: int = 10) -> CellConservation:
    """Every unreadable cell of a clean row is in quarantine.rejected_cells, and every entry there points
    at a real raw cell (same column, same text) of a clean row whose value is null.

    Found independently of the cleaning code: a cell of a checked kind (number, integer, date,
    boolean) in an optional column whose raw text is not blank but whose clean value is null.
    """
    spec = CLEANING_SPECS[source]
    schema, table = REJECTED_CELLS_TABLE
    cells_table, clean, raw = f"{schema}.{table}", f"clean.{quote(spec.table)}", f"raw.{quote(source)}"
    checked = [c for c in spec.columns if c.kind in CELL_CHECKED_KINDS and not c.not_null]

    def unreadable(is_null: str, raw_text: str) -> str:
        """A null clean value with a raw cell that is not blank. CASE, so that the costly trim only
        runs on the few cells that are null in clean but not in raw (4x faster than AND)."""
        return (
            f"CASE WHEN {is_null} AND {raw_text} IS NOT NULL "
            f"THEN length(trim({raw_text}, {literal(_WHITESPACE)})) > 0 ELSE false END"
        )

    unrecorded: list[tuple[int, str]] = []
    if checked:
        suspect = " OR ".join(unreadable(f"k.{quote(c.name)} IS NULL", f"r.{quote(c.source)}") for c in checked)
        branches = " UNION ALL ".join(
            f"SELECT row_number, {literal(c.name)} AS field FROM suspects WHERE {unreadable(f'is_null_{i}', f'raw_{i}')}"
            for i, c in enumerate(checked)
        )
        columns = ", ".join(
            f"k.{quote(c.name)} IS NULL AS is_null_{i}, r.{quote(c.source)} AS raw_{i}" for i, c in enumerate(checked)
        )
        unrecorded = con.execute(
            f"""
            WITH suspects AS MATERIALIZED (
                SELECT k.source_row_number AS row_number, {columns}
                FROM {clean} AS k JOIN {raw} AS r ON r._row_number = k.source_row_number
                WHERE {suspect})
            SELECT * FROM ({branches}
                           EXCEPT SELECT row_number, field FROM {cells_table} WHERE source = ?)
            ORDER BY ALL LIMIT {int(examples)}""",
            [source],
        ).fetchall()
    by_field = " ".join(
        f"WHEN {literal(c.name)} THEN c.source_column = {literal(c.source)} "
        f"AND r.{quote(c.source)} IS NOT DISTINCT FROM c.raw_value AND k.{quote(c.name)} IS NULL"
        for c in checked
    )
    valid = f"CASE c.field {by_field} ELSE false END" if checked else "false"
    unfounded = con.execute(
        f"""
        SELECT c.row_number, c.field FROM {cells_table} AS c
        LEFT JOIN {raw} AS r ON r._row_number = c.row_number
        LEFT JOIN {clean} AS k ON k.source_row_number = c.row_number
        WHERE c.source = ? AND (r._row_number IS NULL OR k.source_row_number IS NULL
                                OR c.source_version IS DISTINCT FROM r._source_version OR NOT coalesce({valid}, false))
        ORDER BY ALL LIMIT {int(examples)}""",
        [source],
    ).fetchall()
    return CellConservation(source, count_rows(con, cells_table, "WHERE source = ?", [source]), unrecorded, unfounded)


def clean_table_name(source: str) -> str:
    """The clean.<table> a source's cleaning writes (e.g. epoch_notable_models -> notable_models)."""
    return CLEANING_SPECS[source].table


def validate_clean_table(con: duckdb.DuckDBPyConnection, sources_dir: Path, source: str, checks_dir: Path):
    """Run the great-expectations suite of clean.<table>; the result also goes to checks_dir/<table>.json."""
    from pipelines.lib.suites import SUITES
    from pipelines.lib.validation import run_suite, write_result_json

    table = clean_table_name(source)
    frame = read_table(con, "clean", table, order_by="source_row_number")
    version = frame["source_version"][0] if frame.height else None
    snapshot = load_snapshot(sources_dir, source, version)
    suite = SUITES[table](dt.date.fromisoformat(snapshot.retrieved))
    result = run_suite(frame, suite, table=f"clean.{table}")
    write_result_json(result, checks_dir / f"clean.{table}.json")
    return result


CURATED_IDS_TABLE = "intermediate.curated_model_ids"  # the runs a baseline curated value touches
CURATED_RUNS_TABLE = "intermediate.curated_runs"  # those runs with the curated values applied


def materialize_curated(
    con: duckdb.DuckDBPyConnection, sources_dir: Path, as_of: dt.date | None = None
) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """Validate sources/curated/, keep every curated value in clean.curated_values, apply the
    baseline corrections and new runs to staging.notable_models -> intermediate.notable_models_curated,
    and record each overridden field in marts.value_provenance.

    Returns (curated values, the row count of notable_models_curated, provenance). Only the runs a
    curated value changes or adds pass through polars, into a small table; notable_models_curated
    is a view of the untouched staging rows plus those (a table would copy every run once more
    before marts.training_runs copies them again: at 10M runs a copy is gigabytes).
    """
    from pipelines.lib.curated import BASELINE, apply_curated, curated_files, load_curated

    # The id -> name map is only built when there is something to check against it.
    known = (
        dict(con.sql("SELECT model_id, model FROM staging.notable_models").fetchall())
        if curated_files(sources_dir / "curated")
        else {}
    )
    curated = load_curated(sources_dir / "curated", known, display_root=sources_dir.parent)
    del known
    if as_of is not None:  # as known then: no value curated later, no curated run published later
        curated = curated.filter(pl.col("curated_date").is_null() | (pl.col("curated_date") <= as_of))
    con.execute("CREATE SCHEMA IF NOT EXISTS intermediate")
    write_table(
        con, *CURATED_IDS_TABLE.split("."), curated.filter(pl.col("estimates") == BASELINE).select("model_id").unique()
    )
    touched = pl.from_arrow(
        con.sql(
            f"SELECT * FROM staging.notable_models WHERE model_id IN "
            f"(SELECT model_id FROM {CURATED_IDS_TABLE}) ORDER BY model_id"
        ).to_arrow_table()
    )
    changed, provenance = apply_curated(touched, curated, BASELINE)
    if as_of is not None:
        later = changed.filter(pl.col("publication_date") > as_of)["model_id"]
        changed = changed.filter(~pl.col("model_id").is_in(later.implode()))
        provenance = provenance.filter(~pl.col("model_id").is_in(later.implode()))
    write_table(con, *CURATED_RUNS_TABLE.split("."), changed)
    con.execute("DROP TABLE IF EXISTS intermediate.notable_models_curated")  # a table in builds before this one
    con.execute(
        "CREATE OR REPLACE VIEW intermediate.notable_models_curated AS "
        f"SELECT * FROM staging.notable_models WHERE model_id NOT IN (SELECT model_id FROM {CURATED_IDS_TABLE}) "
        f"UNION ALL BY NAME SELECT * FROM {CURATED_RUNS_TABLE}"
    )
    write_table(con, "clean", "curated_values", curated)
    write_table(con, "marts", "value_provenance", provenance)
    untouched = count_rows(
        con, "staging.notable_models", f"WHERE model_id NOT IN (SELECT model_id FROM {CURATED_IDS_TABLE})"
    )
    return curated, untouched + changed.height, provenance
