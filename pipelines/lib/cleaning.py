"""The machinery shared by every clean.* table: explicit column mapping, typing, quarantine.

A source's cleaning is declared as a tuple of ``Column``s (source header -> our name and type)
plus a source-specific ``derive`` step. The clean stage that runs them (``stages.materialize_clean``
in the build, ``stages.clean_frame`` on rows in memory: the same code) gives the clean rows, the
rejected rows and the rejected cells: the clean and rejected rows hold every raw row exactly once
(row conservation), and every unusable cell of a clean row is null there and listed among the
rejected cells (cell conservation).

Two levels of problem: a *row* problem makes the whole row unusable (a ``not_null`` column missing
or unreadable, a date after the snapshot, a duplicate); a *cell* problem (an unreadable or
impossible value in an optional column) only nulls that cell, and the row is kept.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import polars as pl
import pyarrow as pa

from pipelines.lib import parsing
from pipelines.lib.raw import LINEAGE_COLUMNS
from pipelines.lib.sources import SourceError

REASONS = "_reasons"  # working column: list of reasons a row cannot be used
USABLE = pl.col(REASONS).list.len() == 0  # a row without reasons goes to clean.*
# Working columns: the cells of the row that were set to null (our column names) and why, as two
# lists of equal length. Two string lists rather than one list of structs: building structs for
# every row doubles the cost of typing.
CELL_FIELDS = "_cell_fields"
CELL_REASONS = "_cell_reasons"
WORKING_COLUMNS = (REASONS, CELL_FIELDS, CELL_REASONS)  # never in a clean table
# A row goes to the quarantine tables when it has row reasons or rejected cells.
HAS_PROBLEMS = ~USABLE | (pl.col(CELL_FIELDS).list.len() > 0)

QUARANTINE_SCHEMA = {
    "source": pl.String,
    "source_version": pl.String,
    "row_number": pl.Int64,
    "reasons": pl.List(pl.String),
    "raw_row": pl.String,  # the raw record as JSON, original headers as keys
}

REJECTED_CELLS_SCHEMA = {
    "source": pl.String,
    "source_version": pl.String,
    "row_number": pl.Int64,  # as in QUARANTINE_SCHEMA: the raw record (clean row's source_row_number)
    "source_column": pl.String,  # the source's header ("column" is a reserved word in SQL)
    "field": pl.String,  # our column, null in the clean row
    "raw_value": pl.String,  # the raw cell's text, exactly as in raw.<source>
    "reason": pl.String,
}


class MissingColumnsError(ValueError):
    """A column the mapping needs is not in the source header (missing or renamed upstream)."""


class CleaningStepError(SourceError):
    """A source's own derive step failed on a value: a gap in its mapping, named by file, row and column.

    A typed value should either be usable or get a reason; when a derivation still trips over one
    (e.g. a cast that overflows), the build stops with this message instead of a bare polars error.
    """


@dataclass(frozen=True)
class Column:
    source: str  # exact header in the source file
    name: str  # our snake_case name, unit as suffix
    kind: str  # text | name | list | number | integer | date | boolean
    # A row without a (readable) value here cannot be used and is quarantined whole; an unreadable
    # value in any other column only sets that cell to null (see quarantine.rejected_cells).
    not_null: bool = False
    min_value: float | None = None  # numbers below this are unusable (e.g. negative FLOP)


@dataclass(frozen=True)
class Duplicates:
    """One clean row per value of `key`; the other rows with that value are quarantined."""

    key: str
    what: str  # for the reason: "duplicate <what>: ..."
    prefer: tuple[pl.Expr, ...] = ()  # orders candidates best first (see resolve_duplicates)
    drop_key: bool = False  # the key is a working column of the derive step, not a clean column

    def resolve(self, frame: pl.DataFrame) -> pl.DataFrame:
        """resolve_duplicates with this rule (the key column is kept)."""
        return resolve_duplicates(frame, self.key, prefer=list(self.prefer), what=self.what)


@dataclass(frozen=True)
class CleaningSpec:
    source: str
    table: str  # clean.<table>
    columns: tuple[Column, ...]
    # Source-specific step on the typed frame: ids and derived columns. It may add row reasons
    # (add_reason) or reject cells (reject_cell) but must keep every row (rejected rows are split
    # off afterwards).
    derive: Callable[[pl.DataFrame, CleanContext], pl.DataFrame]
    key: tuple[str, ...]  # unique in the clean table
    duplicates: Duplicates | None = None  # resolved after derive, over all rows
    # The build derives a large source batch by batch; a derive step that looks across rows (not
    # only within each row) must see them all at once.
    derive_sees_all_rows: bool = False


@dataclass(frozen=True)
class CleanContext:
    source_file: str  # for messages
    snapshot_date: object  # datetime.date: no row may be dated after its snapshot
    # datetime.date or None: a build "as of" an earlier date keeps only what was known then; rows
    # dated after it are left out (quarantined with that reason), whatever else they hold.
    as_of: object = None


def require_columns(header: list[str], columns: tuple[Column, ...], *, source_file: str) -> None:
    """MissingColumnsError naming each mapped column the file lacks (and a close match, if renamed), before any parsing."""
    missing = [c.source for c in columns if c.source not in header]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, header, n=1, cutoff=0.6)
        hints.append(f"{name!r}" + (f" (renamed to {close[0]!r}?)" if close else ""))
    raise MissingColumnsError(
        f"{source_file}: required column(s) missing from the header: {', '.join(hints)}. "
        "The source changed its schema: update the column mapping in pipelines/lib/clean_sources.py."
    )


def _parsed_column(col: Column) -> str:
    return f"_parsed {col.source}"


def _parsers(columns: tuple[Column, ...]) -> list[pl.Expr]:
    """The (value, problem) struct of every number and integer column, each parsed exactly once.

    A parser's value and problem come from one Python batch function; selecting both fields of the
    same expression would run it twice, so the struct is materialised first.
    """
    parsers = []
    for col in columns:
        parse = {"number": parsing.number_struct, "integer": parsing.integer_struct}.get(col.kind)
        if parse is not None:
            parsers.append(parse(pl.col(col.source), col.name, min_value=col.min_value).alias(_parsed_column(col)))
    return parsers


def _typed(col: Column) -> tuple[list[pl.Expr], pl.Expr]:
    """Expressions producing our column(s) from one source column, plus its problem expression."""
    cell = pl.col(col.source)
    no_problem = pl.lit(None, dtype=pl.String)
    if col.kind in ("text", "name", "list"):
        # A NUL byte is never part of a name or a label, and it truncates C strings in the tools
        # analysts open the tables with: removed, like stray whitespace.
        cell = cell.str.replace_all("\x00", "", literal=True)
    if col.kind == "text":
        value = cell.str.strip_chars()
        return [pl.when(value == "").then(None).otherwise(value).alias(col.name)], no_problem
    if col.kind == "name":
        return [parsing.clean_name(cell).alias(col.name)], no_problem
    if col.kind == "list":
        return [parsing.distinct_list(cell).alias(col.name)], no_problem
    if col.kind in ("number", "integer"):  # parsed once into _parsed_column(col) by type_columns
        parsed = pl.col(_parsed_column(col))
        return [parsed.struct.field("value").alias(col.name)], parsed.struct.field("problem")
    if col.kind == "boolean":
        value, problem = parsing.boolean(cell, col.name)
        return [value.alias(col.name)], problem
    if col.kind == "date":
        day, precision, problem = parsing.date_with_precision(cell, col.name)
        return [day.alias(col.name), precision.alias(f"{col.name}_precision")], problem
    raise ValueError(f"unknown column kind {col.kind!r} for {col.name}")


def type_columns(raw: pl.DataFrame, spec: CleaningSpec) -> pl.DataFrame:
    """The typed columns, the row reasons and the rejected cells of raw rows: row by row, so it can
    run on batches. A problem in a not_null column is a row reason; elsewhere the parsers have
    already set the value to null and the problem is recorded as a rejected cell.

    Strict first: a number cell that a plain cast reads as a usable value, or a name with nothing
    to tidy, is taken as it is; only the other cells go through the lenient parser (_typed), and a
    column whose batch repeats values (lists, dates, flags) is parsed once per distinct value. The
    reasons lists are only built for the rows that have a reason. Every cell gets exactly the value
    and the reason of type_columns_lenient (tests/property/test_typing_fast_path.py).
    """
    height = raw.height
    outputs: list[pl.Series] = []
    problems: list[pl.Series] = []
    cell_fields: list[pl.Series] = []
    cell_reasons: list[pl.Series] = []
    for col in spec.columns:
        typed = _typed_column(raw[col.source], col)
        values, problem = [typed[c] for c in typed.columns if c != _PROBLEM], typed[_PROBLEM]
        outputs += values
        if col.not_null:
            missing = pl.select(
                pl.when(values[0].is_null() & problem.is_null()).then(pl.lit(f"{col.name}: missing")).otherwise(None)
            ).to_series()
            problems += [problem, missing]
        elif col.kind in CELL_CHECKED_KINDS:
            cell_fields.append(
                pl.select(pl.when(problem.is_not_null()).then(pl.lit(col.name, dtype=pl.String))).to_series()
            )
            cell_reasons.append(problem)
    return pl.DataFrame(
        [
            raw["_source"].alias("source"),
            raw["_source_version"].alias("source_version"),
            raw["_row_number"].alias("source_row_number"),
            *outputs,
            _sparse_lists(problems, height).alias(REASONS),
            _sparse_lists(cell_fields, height).alias(CELL_FIELDS),
            _sparse_lists(cell_reasons, height).alias(CELL_REASONS),
        ]
    )


_PROBLEM = "_problem"
_KEY = "_cell"
_EMPTY_LIST = pl.Series([[]], dtype=pl.List(pl.String))
# A name the lenient parser would change: outer or doubled blanks, a tab or newline, a leading
# quote, a NUL byte, or nothing at all. Any other name is already clean.
_UNTIDY_NAME = r'^\s|\s$|\s\s|[^\S ]|^"|\x00|^$'
# A text cell the lenient parser would change: outer blanks, a NUL byte, or nothing at all.
_UNTIDY_TEXT = r"^\s|\s$|\x00|^$"


def _lenient(cells: pl.Series, col: Column) -> pl.DataFrame:
    """The lenient parser (_typed) on these cells: the column's output(s), then _PROBLEM."""
    exprs, problem = _typed(col)
    frame = cells.alias(col.source).to_frame().lazy()
    parsers = _parsers((col,))
    if parsers:
        frame = frame.with_columns(parsers)
    return frame.select(*exprs, problem.alias(_PROBLEM)).collect()


def _typed_column(cells: pl.Series, col: Column) -> pl.DataFrame:
    """_lenient(cells, col), computed the short way where that gives the same values and problems."""
    if col.kind == "number":
        return _number_strict_first(cells, col)
    if col.kind == "name":
        return _tidy_first(cells, col, _UNTIDY_NAME)
    if col.kind == "text":
        return _tidy_first(cells, col, _UNTIDY_TEXT)
    if col.kind in ("list", "date", "boolean"):
        return _per_distinct(cells, col)
    return _lenient(cells, col)  # integer (small sources only)


def _with_rows_replaced(full: pl.DataFrame, where: pl.Series, part: pl.DataFrame) -> pl.DataFrame:
    """full with the rows where `where` holds replaced by part's rows (one per such row, in order)."""
    index = where.arg_true()
    return pl.DataFrame([full[name].scatter(index, part[name]) for name in full.columns])


def _number_strict_first(cells: pl.Series, col: Column) -> pl.DataFrame:
    """A cell that a plain cast reads as a finite value at or above the minimum is that value (the
    lenient parser reads it the same way, since a plain decimal or scientific spelling is its first
    try); only the others (blanks, spellings with units, markers or separators, and every unusable
    cell) go through the lenient parser."""
    parsed = cells.cast(pl.Float64, strict=False)
    usable = parsed.is_finite().fill_null(False)
    if col.min_value is not None:
        usable = usable & (parsed >= col.min_value).fill_null(False)
    values = parsing.normalize_float_artefacts_series(pl.select(pl.when(usable).then(parsed)).to_series(), cells)
    typed = pl.DataFrame(
        [values.alias(col.name), pl.Series(_PROBLEM, [None], dtype=pl.String).new_from_index(0, len(cells))]
    )
    rest = cells.is_not_null() & ~usable
    if not rest.any():
        return typed
    return _with_rows_replaced(typed, rest, _lenient(cells.filter(rest), col))


def _tidy_first(cells: pl.Series, col: Column, untidy_pattern: str) -> pl.DataFrame:
    """A name or text cell that untidy_pattern does not match is already what the lenient parser
    would make of it; only the others go through the lenient parser."""
    untidy = cells.str.contains(untidy_pattern).fill_null(False)
    typed = pl.DataFrame(
        [cells.alias(col.name), pl.Series(_PROBLEM, [None], dtype=pl.String).new_from_index(0, len(cells))]
    )
    if not untidy.any():
        return typed
    return _with_rows_replaced(typed, untidy, _lenient(cells.filter(untidy), col))


def _per_distinct(cells: pl.Series, col: Column) -> pl.DataFrame:
    """The lenient parser once per distinct value, joined back to every cell (the parsers look at
    one cell at a time, so a value always types the same way)."""
    distinct = cells.unique()
    if 2 * len(distinct) > len(cells):  # mostly distinct: joining back would cost more than it saves
        return _lenient(cells, col)
    typed = _lenient(distinct, col).with_columns(distinct.alias(_KEY))
    return (
        cells.alias(_KEY)
        .to_frame()
        .join(typed, on=_KEY, how="left", nulls_equal=True, maintain_order="left")
        .drop(_KEY)
    )


def _sparse_lists(items: list[pl.Series], height: int) -> pl.Series:
    """Per row, the non-null items in order, as a list (empty for most rows): concat_list only on
    the rows that have an item."""
    empty = _EMPTY_LIST.new_from_index(0, height)
    if not items:
        return empty
    frame = pl.DataFrame({f"_{i}": item for i, item in enumerate(items)})
    has_item = frame.select(pl.any_horizontal(pl.all().is_not_null())).to_series()
    if not has_item.any():
        return empty
    return _rows_replaced(
        empty, has_item, frame.filter(has_item).select(pl.concat_list(pl.all()).list.drop_nulls()).to_series()
    )


def _rows_replaced(full: pl.Series, where: pl.Series, part: pl.Series) -> pl.Series:
    """full with the rows where `where` holds replaced by part's values, in order.

    For a list column (which Series.scatter does not take) the lists are laid out through Arrow
    offsets, so that only the few non-empty lists are copied: a reasons column is empty on nearly
    every row, and gathering all of it cost more than building it."""
    index = where.arg_true()
    if full.dtype != pl.List(pl.String):
        return full.scatter(index, part.cast(full.dtype))
    replaced = where.to_numpy()
    lengths = full.list.len().fill_null(0).to_numpy().astype(np.int64)
    lengths[index.to_numpy()] = part.list.len().fill_null(0).to_numpy()
    filled = np.flatnonzero(lengths > 0)
    from_full = filled[~replaced[filled]]
    # The filled rows' lists in row order, taken from full (rows not replaced) or part (the others).
    position = np.empty(len(filled), dtype=np.int64)
    position[~replaced[filled]] = np.arange(len(from_full))
    part_rank = np.cumsum(replaced) - 1  # row -> its position in part
    position[replaced[filled]] = len(from_full) + part_rank[filled[replaced[filled]]]
    items = pl.concat([full.gather(from_full), part.cast(full.dtype)]).gather(position).explode()
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), items.to_arrow())
    return pl.Series(full.name, pl.from_arrow(lists), dtype=full.dtype)


def type_columns_lenient(raw: pl.DataFrame, spec: CleaningSpec) -> pl.DataFrame:
    """type_columns the long way: every parser on every cell, and the row reasons and rejected cells
    built for every row. The reference the fast path is tested against (on hostile data too). A problem in a not_null column is a row reason; elsewhere the parsers have
    already set the value to null and the problem is recorded as a rejected cell."""
    columns = spec.columns
    outputs: list[pl.Expr] = []
    problems: list[pl.Expr] = []
    cell_fields: list[pl.Expr] = []
    cell_reasons: list[pl.Expr] = []
    for col in columns:
        exprs, problem = _typed(col)
        outputs += exprs
        if col.not_null:
            problems.append(problem)
            problems.append(
                pl.when(exprs[0].is_null() & problem.is_null()).then(pl.lit(f"{col.name}: missing")).otherwise(None)
            )
        elif col.kind in CELL_CHECKED_KINDS:
            cell_fields.append(pl.when(problem.is_not_null()).then(pl.lit(col.name, dtype=pl.String)))
            cell_reasons.append(problem)

    def listed(items: list[pl.Expr], name: str) -> pl.Expr:  # the non-null items; a null item is null in both lists
        return (pl.concat_list(items).list.drop_nulls() if items else pl.lit([], dtype=pl.List(pl.String))).alias(name)

    reasons = listed(problems, REASONS)
    parsers = _parsers(columns)
    # Lazy, so that polars eliminates the subexpressions the parsers share (eager evaluation
    # recomputes every reuse of an intermediate expression: twice as slow here).
    frame = raw.lazy().with_columns(parsers) if parsers else raw.lazy()
    return frame.select(
        pl.col("_source").alias("source"),
        pl.col("_source_version").alias("source_version"),
        pl.col("_row_number").alias("source_row_number"),
        *outputs,
        reasons,
        listed(cell_fields, CELL_FIELDS),
        listed(cell_reasons, CELL_REASONS),
    ).collect()


# The kinds whose cells can be unreadable (text, names and lists are taken as they are).
CELL_CHECKED_KINDS = ("number", "integer", "date", "boolean")


def add_reason(frame: pl.DataFrame, condition: pl.Expr, reason: pl.Expr | str) -> pl.DataFrame:
    """Append a reason to every row where condition holds (the lists of the other rows are not touched)."""
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    where = _where(frame, condition)
    if not where.any():
        return frame
    appended = frame.filter(where).select(pl.col(REASONS).list.concat(pl.concat_list(reason_expr)))
    return frame.with_columns(_rows_replaced(frame[REASONS], where, appended.to_series()))


def reject_cell(frame: pl.DataFrame, field: str, condition: pl.Expr, reason: pl.Expr | str) -> pl.DataFrame:
    """Set `field` to null where condition holds and record why: the row stays usable, the cell is
    listed in quarantine.rejected_cells. A date's precision is nulled with it."""
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    where = _where(frame, condition)
    if not where.any():
        return frame
    nulled = [field] + ([f"{field}_precision"] if f"{field}_precision" in frame.columns else [])
    appended = frame.filter(where).select(
        pl.col(CELL_FIELDS).list.concat(pl.concat_list(pl.lit(field, dtype=pl.String))),
        pl.col(CELL_REASONS).list.concat(pl.concat_list(reason_expr.cast(pl.String))),
    )
    return frame.with_columns(
        *(_rows_replaced(frame[name], where, appended[name]) for name in (CELL_FIELDS, CELL_REASONS)),
        *(pl.when(where).then(None).otherwise(pl.col(name)).alias(name) for name in nulled),
    )


def _where(frame: pl.DataFrame, condition: pl.Expr) -> pl.Series:
    """condition on every row of frame, null as false."""
    where = frame.select(condition.fill_null(False).alias("_where")).to_series()
    return where if where.len() == frame.height else where.new_from_index(0, frame.height)


def has_rejected_cell(field: str) -> pl.Expr:
    """True where the row's `field` cell was rejected (so a derive step does not fill it with a default)."""
    return pl.col(CELL_FIELDS).list.contains(pl.lit(field, dtype=pl.String)).fill_null(False)


def _raw_as_json(raw: pl.DataFrame) -> pl.Series:
    data_columns = [c for c in raw.columns if c not in LINEAGE_COLUMNS]
    rows = raw.select(data_columns).rows()
    return pl.Series(
        "raw_row", [json.dumps(dict(zip(data_columns, row)), ensure_ascii=False) for row in rows], dtype=pl.String
    )


class Cleaned(NamedTuple):
    clean: pl.DataFrame  # clean rows sorted by key
    rejected_rows: pl.DataFrame  # QUARANTINE_SCHEMA: rows that cannot be used, with every reason
    rejected_cells: pl.DataFrame  # REJECTED_CELLS_SCHEMA: cells set to null in clean rows


def resolve_spec_duplicates(derived: pl.DataFrame, spec: CleaningSpec) -> pl.DataFrame:
    """The spec's duplicate rule applied to the derived rows (losers flagged, not dropped); unchanged without one."""
    rule = spec.duplicates
    if rule is None:
        return derived
    resolved = rule.resolve(derived)
    return resolved.drop(rule.key) if rule.drop_key else resolved


def quarantine(
    flagged: pl.DataFrame, spec: CleaningSpec, full_records: Callable[[pl.Series], pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rejected rows, rejected cells) of the rows with problems (the clean stage's last step).

    flagged: source_row_number and the WORKING_COLUMNS of every row with a row reason or a
    rejected cell. A rejected row lists its row reasons, then its cells' reasons; its cells are not
    in the rejected cells, which only point at rows that are clean.
    """
    records = full_records(flagged["source_row_number"])
    return rejected_rows(flagged, records), rejected_cells(flagged, spec, records)


def rejected_rows(flagged: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """The quarantine rows: every reason and the whole raw record of each rejected row."""
    rejected_numbers = flagged.filter(~USABLE).select(
        "source_row_number", pl.col(REASONS).list.concat(pl.col(CELL_REASONS)).alias(REASONS)
    )
    rejected_raw = records.join(
        rejected_numbers, left_on="_row_number", right_on="source_row_number", how="inner"
    ).sort("_row_number")
    return pl.DataFrame(
        {
            "source": rejected_raw["_source"],
            "source_version": rejected_raw["_source_version"],
            "row_number": rejected_raw["_row_number"],
            "reasons": rejected_raw[REASONS],
            "raw_row": _raw_as_json(rejected_raw.drop(REASONS)),
        },
        schema=QUARANTINE_SCHEMA,
    )


def rejected_cells(flagged: pl.DataFrame, spec: CleaningSpec, records: pl.DataFrame) -> pl.DataFrame:
    """One row per cell set to null in a clean row: where it is, its raw text and why."""
    headers = {col.name: col.source for col in spec.columns}
    order = {col.name: position for position, col in enumerate(spec.columns)}
    cells = (
        flagged.filter(USABLE)
        .select("source_row_number", pl.col(CELL_FIELDS).alias("field"), pl.col(CELL_REASONS).alias("reason"))
        .explode("field", "reason")
        .drop_nulls("field")
    )
    unknown = sorted(set(cells["field"].to_list()) - set(headers))
    if unknown:  # a derive step rejected a column the mapping does not have: a bug in clean_sources
        raise ValueError(f"{spec.table}: rejected cells of unmapped columns {unknown}")
    cells = cells.with_columns(
        pl.col("field").replace_strict(headers, return_dtype=pl.String).alias("source_column"),
        pl.col("field").replace_strict(order, return_dtype=pl.Int64).alias("_position"),
    )
    wanted = sorted(set(cells["source_column"].to_list()), key=list(headers.values()).index)
    raw_cells = records.select(
        "_source",
        "_source_version",
        "_row_number",
        *(pl.col(header).cast(pl.String) for header in wanted),
    ).unpivot(
        index=["_source", "_source_version", "_row_number"],
        on=wanted,
        variable_name="source_column",
        value_name="raw_value",
    )
    joined = cells.join(
        raw_cells,
        left_on=["source_row_number", "source_column"],
        right_on=["_row_number", "source_column"],
        how="inner",
    )
    return (
        joined.sort("source_row_number", "_position")
        .select(
            pl.col("_source").alias("source"),
            pl.col("_source_version").alias("source_version"),
            pl.col("source_row_number").alias("row_number"),
            "source_column",
            "field",
            "raw_value",
            "reason",
        )
        .cast(REJECTED_CELLS_SCHEMA)
    )


def _fails(frame: pl.DataFrame, spec: CleaningSpec, context: CleanContext) -> bool:
    try:
        spec.derive(frame, context)
    except pl.exceptions.PolarsError:
        return True
    return False


def _failing_row(typed: pl.DataFrame, spec: CleaningSpec, context: CleanContext) -> pl.DataFrame | None:
    """The single typed row the derive step fails on (by bisection), or None if no one row does."""
    frame = typed
    while frame.height > 1:
        half = frame.height // 2
        first, second = frame.head(half), frame.slice(half)
        if _fails(first, spec, context):
            frame = first
        elif _fails(second, spec, context):
            frame = second
        else:
            return None  # only a combination of rows fails
    return frame if frame.height == 1 and _fails(frame, spec, context) else None


def _failing_column(row: pl.DataFrame, spec: CleaningSpec, context: CleanContext) -> str | None:
    """Which mapped column's value the derive step fails on, for a row it fails on, as 'header (name = value)'."""
    for col in spec.columns:
        if col.name in row.columns and row[col.name][0] is not None:
            without = row.with_columns(pl.lit(None, dtype=row.schema[col.name]).alias(col.name))
            if not _fails(without, spec, context):
                return f"column {col.source!r} ({col.name} = {str(row[col.name][0])[:60]!r})"
    return None


def derive_rows(typed: pl.DataFrame, spec: CleaningSpec, context: CleanContext) -> pl.DataFrame:
    """The source's derive step on all typed rows (rows with reasons stay in, marked: see USABLE),
    turning a polars error into a message naming the file, row and column it came from.

    Only runs the search (a few derive calls on parts of the frame) when the step has already failed.
    """
    try:
        return spec.derive(typed, context)
    except pl.exceptions.PolarsError as exc:
        lines = str(exc).strip().splitlines()
        error = f"{type(exc).__name__}: {lines[0] if lines else ''}"
        where = "no single row is to blame"
        row = _failing_row(typed, spec, context)
        if row is not None:
            where = f"row {row['source_row_number'][0]}"
            column = _failing_column(row, spec, context)
            if column is not None:
                where += f", {column}"
        raise CleaningStepError(
            f"{context.source_file}: {where}: the {spec.table} cleaning step failed ({error})"
        ) from None


def resolve_duplicates(frame: pl.DataFrame, key: str, *, prefer: list[pl.Expr], what: str) -> pl.DataFrame:
    """Keep one row per key deterministically; the others get a reason saying which row won.

    ``prefer`` orders candidates best first (ascending: e.g. minus completeness). Remaining ties
    are broken by the row's values, not its position, so shuffling a source never changes which
    row is kept; the reason names the kept row by its key, not by a row number, for the same reason.
    """
    candidates = frame.filter(USABLE).filter(
        pl.col(key).is_duplicated()
    )  # only these can lose; sorting them all is costly
    values = [c for c in frame.columns if c not in (*WORKING_COLUMNS, "source_row_number")]
    parts = [
        (pl.col(c).list.join("\x1e") if isinstance(frame.schema[c], pl.List) else pl.col(c).cast(pl.String)).fill_null(
            "\x00"
        )
        for c in values
    ]  # a list column (organization) by its items
    if CELL_REASONS in frame.columns:  # rejected cells are content too (their raw text is in the reason)
        parts.append(pl.col(CELL_REASONS).list.join("\x1e"))
    content = pl.concat_str(parts, separator="\x1f")
    ranked = candidates.sort([*prefer, content, pl.col("source_row_number")]).with_columns(
        (pl.int_range(pl.len()).over(key) > 0).alias("_is_duplicate"),
    )
    losers = ranked.filter(pl.col("_is_duplicate"))["source_row_number"]
    # A flag column instead of a join: joining would copy every column of every row.
    out = frame.with_columns(pl.col("source_row_number").is_in(losers.implode()).alias("_is_duplicate"))
    out = add_reason(
        out,
        pl.col("_is_duplicate"),
        pl.concat_str(
            pl.lit(f"duplicate {what}: another row with {key} '"),
            pl.col(key),
            pl.lit("' is more complete (or equal and first by value) and is kept"),
        ),
    )
    return out.drop("_is_duplicate")


def completeness(columns: list[str]) -> pl.Expr:
    """How many of these columns hold a value (more complete duplicates win)."""
    return pl.sum_horizontal([pl.col(c).is_not_null().cast(pl.Int32) for c in columns])
