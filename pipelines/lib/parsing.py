"""Text cells to typed values, as polars expressions that also say why a cell cannot be used.

Every parser returns ``(value_expr, problem_expr)``: the typed value (null when absent or
unusable) and a string expression that is null when the cell is fine, or a human reason naming
the column and the offending text. The cleaning step collects the reasons per row.
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np
import polars as pl

DATE_PRECISIONS = ("day", "month", "year")
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_INT64_LIMIT = 2.0**63


def _shown(cell: pl.Expr) -> pl.Expr:
    """The offending text, cut short so one enormous field cannot flood a reason."""
    return pl.concat_str(pl.lit("'"), cell.str.slice(0, 60), pl.lit("'"))


def normalize_float_artefacts(value: float | None) -> float | None:
    """Undo the noise of values that went through float32 or binary rounding.

    Epoch stores some figures as float32 artefacts (3.55e11 becomes 354999992320.0) or with
    binary noise (257000000 becomes 256999999.99999997). A value that is exactly a float32 and
    whose shortest float32 spelling is much shorter is replaced by that spelling; everything else
    is rounded to 15 significant digits, which float64 always represents exactly.
    """
    if value is None or not math.isfinite(value) or value == 0:
        return value
    spelled = f"{value:.15g}"
    rounded = float(spelled)
    if abs(value) > _FLOAT32_MAX:
        return rounded
    long_digits = len(spelled.replace("-", "").replace(".", "").split("e")[0].strip("0"))
    if long_digits < 9:  # checked first: the float32 formatting below is the slow part
        return rounded
    as_f32 = np.float32(value)
    if float(as_f32) == value:
        short = np.format_float_positional(as_f32, unique=True, trim="-")
        short_digits = len(short.replace("-", "").replace(".", "").strip("0"))
        if short_digits <= 7:
            return float(short)
    return rounded


def normalize_float_artefacts_series(values: pl.Series, texts: pl.Series) -> pl.Series:
    """normalize_float_artefacts on a column, calling it only where it can change the value.

    ``texts`` are the spellings the values were parsed from. A value written with at most 15
    significant digits is already what 15-digit rounding gives (float64 holds any 15-digit decimal
    exactly), and then has exactly that many significant digits after the rounding too. So only
    two kinds of value can change: those written with more than 15 significant digits (rounded),
    and exact float32 values written with 9 or more (the float32 artefacts, which need the scalar
    function). A text cannot hold more significant digits than it has characters once its trailing
    zeros and points are left off, so digits are only counted where that bound allows a change.
    """
    array = values.to_numpy()  # nulls as NaN
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(array) & (array != 0)
        small = finite & (np.abs(array) <= _FLOAT32_MAX)
        is_float32 = np.zeros(len(array), dtype=bool)
        is_float32[small] = array[small].astype(np.float32).astype(np.float64) == array[small]
    lengths = texts.str.len_bytes().fill_null(0).to_numpy()
    candidates = np.flatnonzero(finite & (lengths >= np.where(is_float32, 9, 16)))
    if len(candidates):
        bound = texts.gather(candidates).str.strip_chars_end("0.").str.len_bytes().fill_null(0).to_numpy()
        candidates = candidates[bound >= np.where(is_float32[candidates], 9, 16)]
    if len(candidates) == 0:
        return values
    counted = texts.gather(candidates)
    mantissa = counted.str.replace(r"[eE].*$", "")
    significant = mantissa.str.replace_all(r"[^0-9]", "").str.strip_chars("0").str.len_bytes().fill_null(0).to_numpy()
    float32 = is_float32[candidates]
    artefacts = candidates[float32 & (significant >= 9)]
    long_only = candidates[~float32 & (significant > 15)]  # only the 15-digit rounding applies
    if len(artefacts) == 0 and len(long_only) == 0:
        return values
    fixed = array.copy()
    fixed[artefacts] = [normalize_float_artefacts(v) for v in array[artefacts].tolist()]
    fixed[long_only] = [float(f"{v:.15g}") for v in array[long_only].tolist()]
    return pl.Series(values.name, fixed, dtype=pl.Float64, nan_to_null=True)  # values hold no NaN, only nulls


# Spellings a download may use for a plain number; everything else stays a quarantine reason.
# An approximate marker in front ("~3e24", "≈3e24", "approx. 3e24") is dropped: the value is an
# estimate either way and the sources say how confident they are in other columns.
_APPROXIMATE = r"^(?:[~≈]|(?i:approx\.|approx\b|approximately\b))\s*"
# The unit our column name ends in may follow the number, spelled exactly (case matters: mW is not
# MW); a different unit ("3e24 FLOP/s" for FLOP, "80 GB" for bytes) is not converted but refused.
_UNIT_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("_flop_per_s", ("FLOP/s", "FLOPs/s", "FLOPS")),
    ("_op_per_s", ("OP/s", "OPS")),
    ("_bytes_per_s", ("bytes/s", "byte/s", "B/s")),
    ("_flop", ("FLOP", "FLOPs", "flop")),  # not "FLOPS": that usually means per second
    ("_usd", ("USD",)),
    ("_twh", ("TWh",)),
    ("_mw", ("MW",)),
    ("_w", ("W",)),
    ("_hours", ("hours", "hour", "hrs", "h")),
    ("_bytes", ("bytes", "B")),
)
_CURRENCY = r"^(?:US)?\$\s*"  # "$1,200,000" in a *_usd column
# Thousands separators only where they cannot be a decimal comma: two or more groups of exactly
# three digits ("1,200,000"), or one group followed by a decimal point ("1,200.5"). "1,200" alone
# could be 1200 or 1.2 and is refused as ambiguous.
_THOUSANDS = r"^[+-]?\d{1,3}(?:(?:,\d{3}){2,}(?:\.\d+)?|,\d{3}\.\d+)$"
_ONE_COMMA_GROUP = r"^[+-]?\d{1,3},\d{3}$"
# Mantissa times a power of ten: "3.8×10^24", "3.8x10^24", "3.8*10^24", "3.8 × 10^24", "10^24".
_TIMES_TEN = r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*[×xX*·]\s*10\s*\^\s*([+-]?\d+)$"
_POWER_OF_TEN = r"^10\s*\^\s*([+-]?\d+)$"


def _unit_words(column: str) -> tuple[str, ...]:
    for suffix, words in _UNIT_WORDS:
        if column.endswith(suffix):
            return words
    return ()


def _with_rewritten(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Adds 'body': the 'text' rewritten as a plain decimal or scientific number where an accepted
    spelling allows (anything else is left for the cast to refuse)."""
    body = pl.col("text").str.replace(_APPROXIMATE, "")
    if column.endswith("_usd"):
        body = body.str.replace(_CURRENCY, "")
    words = _unit_words(column)
    if words:
        alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
        body = body.str.replace(rf"\s*(?:{alternatives})$", "")
    frame = frame.with_columns(body.alias("body"))
    body = pl.col("body")
    return frame.with_columns(
        pl.when(body.str.contains(_THOUSANDS))
        .then(body.str.replace_all(",", "", literal=True))
        .otherwise(body)
        .str.replace(_TIMES_TEN, "${1}e${2}")
        .str.replace(_POWER_OF_TEN, "1e${1}")
        .alias("body")
    )


def _number_frame(cells: pl.Series, column: str, min_value: float | None) -> pl.DataFrame:
    """Columns text, body, parsed, problem and value for a batch of cells, each computed once.

    Step by step on a frame rather than as one expression because the value and the problem share
    their inputs, and an expression tree would re-evaluate the string rewriting for every use.
    """
    frame = pl.DataFrame({"text": cells.cast(pl.String).str.strip_chars()})
    text = pl.col("text")
    frame = frame.with_columns(text.cast(pl.Float64, strict=False).alias("parsed"))
    unread = frame["parsed"].is_null() & frame["text"].is_not_null() & (frame["text"] != "")
    if unread.any():  # only then are the lenient spellings worth looking for, and only in those cells
        unread_text = frame.select(pl.when(unread).then(text).alias("text"))
        body = _with_rewritten(unread_text, column)["body"]
        frame = frame.with_columns(pl.when(unread).then(body).otherwise(text).alias("body")).with_columns(
            pl.coalesce("parsed", pl.col("body").cast(pl.Float64, strict=False)).alias("parsed")
        )
    else:
        frame = frame.with_columns(text.alias("body"))
    parsed = pl.col("parsed")
    # The reasons are built from "suspect": the text of cells that are not a plain usable number,
    # null elsewhere, so the string work below costs nothing on the (nearly all) good cells.
    suspect = ~parsed.is_finite().fill_null(False)
    if min_value is not None:
        suspect = suspect | (parsed < min_value).fill_null(False)
    frame = frame.with_columns(pl.when(suspect & (text != "")).then(text).alias("suspect"))
    text = pl.col("suspect")
    problem = (
        pl.when(text.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(parsed.is_null() & pl.col("body").str.contains(_ONE_COMMA_GROUP))
        .then(
            pl.concat_str(
                pl.lit(f"{column}: "), _shown(text), pl.lit(" is ambiguous (a thousands separator or a decimal comma?)")
            )
        )
        .when(parsed.is_null())
        .then(pl.concat_str(pl.lit(f"{column}: cannot read "), _shown(text), pl.lit(" as a number")))
        .when(~parsed.is_finite())
        .then(pl.concat_str(pl.lit(f"{column}: "), _shown(text), pl.lit(" is not a finite number")))
    )
    if min_value is not None:
        problem = problem.when(parsed < min_value).then(
            pl.concat_str(pl.lit(f"{column}: "), _shown(text), pl.lit(f" is below the minimum {min_value:g}"))
        )
    frame = frame.with_columns(problem.otherwise(pl.lit(None, dtype=pl.String)).alias("problem"))
    frame = frame.with_columns(
        pl.when(pl.col("problem").is_null() & parsed.is_finite()).then(parsed).otherwise(None).alias("value")
    ).drop("suspect")
    return frame.with_columns(normalize_float_artefacts_series(frame["value"], frame["body"]))


def number(cell: pl.Expr, column: str, *, min_value: float | None = None) -> tuple[pl.Expr, pl.Expr]:
    """(value, problem) of number_struct. Selecting both evaluates the parser twice; the cleaning
    step materialises number_struct once instead."""
    both = number_struct(cell, column, min_value=min_value)
    return both.struct.field("value"), both.struct.field("problem")


def integer(cell: pl.Expr, column: str, *, min_value: float | None = None) -> tuple[pl.Expr, pl.Expr]:
    """(value, problem) of integer_struct (see number)."""
    both = integer_struct(cell, column, min_value=min_value)
    return both.struct.field("value"), both.struct.field("problem")


def number_struct(cell: pl.Expr, column: str, *, min_value: float | None = None) -> pl.Expr:
    """A decimal or scientific number; NaN, infinities and values below min_value are refused.

    Also accepted (see the patterns above): an approximate marker in front, the column's own unit
    after the number, a "$" in front for *_usd columns, unambiguous thousands separators and
    "M×10^E". Ranges ("1e24-3e24"), two numbers, other units and words stay a reason.
    """

    def evaluate(cells: pl.Series) -> pl.Series:
        return _number_frame(cells, column, min_value).select(pl.struct("value", "problem")).to_series()

    return cell.map_batches(
        evaluate, return_dtype=pl.Struct({"value": pl.Float64, "problem": pl.String}), is_elementwise=True
    )


def integer_struct(cell: pl.Expr, column: str, *, min_value: float | None = None) -> pl.Expr:
    """A count written as a number ("2048.0" is fine, "2048.5" is not): a struct (value, problem)."""

    def evaluate(cells: pl.Series) -> pl.Series:
        frame = _number_frame(cells, column, min_value)
        value, problem = pl.col("value"), pl.col("problem")
        fractional = value.is_not_null() & (value != value.round(0))
        too_large = value.is_not_null() & (value.abs() >= _INT64_LIMIT)  # would not fit the Int64 column
        shown = _shown(pl.when(fractional | too_large).then(pl.col("text")))  # string work only where needed
        frame = frame.with_columns(
            pl.when(problem.is_null() & fractional)
            .then(pl.concat_str(pl.lit(f"{column}: "), shown, pl.lit(" is not a whole number")))
            .when(problem.is_null() & too_large)
            .then(pl.concat_str(pl.lit(f"{column}: "), shown, pl.lit(" is too large for a whole number")))
            .otherwise(problem)
            .alias("problem")
        )
        return frame.select(
            pl.struct(pl.when(problem.is_null()).then(value).otherwise(None).cast(pl.Int64).alias("value"), problem)
        ).to_series()

    return cell.map_batches(
        evaluate, return_dtype=pl.Struct({"value": pl.Int64, "problem": pl.String}), is_elementwise=True
    )


_DAY = r"^\d{4}-\d{2}-\d{2}$"
_MONTH = r"^\d{4}-\d{2}$"
_YEAR = r"^\d{4}$"


def date_with_precision(cell: pl.Expr, column: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """ISO dates at the precision the source uses: YYYY-MM-DD, YYYY-MM or YYYY.

    Returns (first day of the period, precision 'day'|'month'|'year', problem).
    """
    text = cell.str.strip_chars()
    precision = (
        pl.when(text.str.contains(_DAY))
        .then(pl.lit("day"))
        .when(text.str.contains(_MONTH))
        .then(pl.lit("month"))
        .when(text.str.contains(_YEAR))
        .then(pl.lit("year"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    as_day = (
        pl.when(precision == "day")
        .then(text)
        .when(precision == "month")
        .then(pl.concat_str(text, pl.lit("-01")))
        .when(precision == "year")
        .then(pl.concat_str(text, pl.lit("-01-01")))
    )
    parsed = as_day.str.to_date("%Y-%m-%d", strict=False)
    unreadable = _only_where(parsed.is_null() & (text != ""), text)
    problem = pl.concat_str(
        pl.lit(f"{column}: cannot read "), _shown(unreadable), pl.lit(" as a date (YYYY-MM-DD, YYYY-MM or YYYY)")
    )
    ok = problem.is_null()
    return (
        pl.when(ok).then(parsed).otherwise(None),
        pl.when(ok & parsed.is_not_null()).then(precision).otherwise(None),
        problem,
    )


def year_fraction(day: pl.Expr, precision: pl.Expr) -> pl.Expr:
    """The time axis of every fit: the midpoint of the period the date stands for, in years.

    A day counts from its middle (2024-01-01 is 2024 + 0.5/366); a month or a year-only date
    counts from the middle of that month or year, so a date known only to the year is not pulled
    towards January.
    """
    year = day.dt.year().cast(pl.Float64)
    days_in_year = pl.when(day.dt.is_leap_year()).then(366.0).otherwise(365.0)
    day_of_year = day.dt.ordinal_day().cast(pl.Float64)
    days_in_month = day.dt.month_end().dt.day().cast(pl.Float64)
    return (
        pl.when(precision == "day")
        .then(year + (day_of_year - 0.5) / days_in_year)
        .when(precision == "month")
        .then(year + (day_of_year - 1 + days_in_month / 2) / days_in_year)
        .when(precision == "year")
        .then(year + 0.5)
        .otherwise(None)
    )


def boolean(
    cell: pl.Expr,
    column: str,
    *,
    true: tuple[str, ...] = ("true", "yes", "1", "1.0"),
    false: tuple[str, ...] = ("false", "no", "0", "0.0"),
) -> tuple[pl.Expr, pl.Expr]:
    """(value, problem) expressions for a yes/no cell: True/False/null, and a reason where the text is neither."""
    text = cell.str.strip_chars().str.to_lowercase()
    value = pl.when(text.is_in(list(true))).then(True).when(text.is_in(list(false))).then(False).otherwise(None)
    problem = (
        pl.when(text.is_null() | (text == "") | value.is_not_null())
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.concat_str(pl.lit(f"{column}: cannot read "), _shown(cell), pl.lit(" as yes/no")))
    )
    return value, problem


def _only_where(condition: pl.Expr, cell: pl.Expr) -> pl.Expr:
    """cell where condition holds, null elsewhere: polars evaluates every when/then branch on every
    row, so costly string work is given this (mostly null, nearly free) input instead of the column."""
    return pl.when(condition.fill_null(False)).then(cell)


def clean_name(cell: pl.Expr) -> pl.Expr:
    """Names as people write them: outer whitespace, wrapping quotes and inner runs of blanks removed."""
    odd_blanks = cell.str.contains(r"\s\s|[^\S ]")  # a run of blanks, or a tab/newline: the rare rows to rewrite
    text = pl.coalesce(_only_where(odd_blanks, cell).str.replace_all(r"\s+", " "), cell).str.strip_chars()
    quoted = text.str.starts_with('"') & text.str.ends_with('"') & (text.str.len_chars() >= 2)
    inner = _only_where(quoted, text)
    text = pl.coalesce(inner.str.slice(1, inner.str.len_chars() - 2).str.strip_chars(), text)
    return pl.when(text == "").then(None).otherwise(text)


def distinct_list(cell: pl.Expr) -> pl.Expr:
    """A comma-separated cell as a list of its distinct items, in order, blanks dropped:
    'Google, DeepMind,Google' -> ['Google', 'DeepMind']; a cell with no item is null (a list column
    is VARCHAR[] in DuckDB and Parquet, a JSON array in exports)."""
    listed = _only_where(cell.str.contains(",", literal=True), cell)  # cells without a comma are one value
    parts = (
        listed.str.split(",")
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.unique(maintain_order=True)
    )
    single = cell.str.strip_chars()
    items = pl.coalesce(parts, pl.when(single != "").then(pl.concat_list(single)))
    return pl.when(items.list.len() > 0).then(items)


# Symbols that are part of a name, spelled as words in an id: DeepLabV3 and DeepLabV3+, PointNet and
# PointNet++, RNNsearch-50 and RNNsearch-50* are different models, and C# is not C. A '#' only counts
# right after a letter (C#, F#); before a number ('Gigafactory #1') it is a number sign and, like
# every other symbol, only separates words.
SLUG_SHARP = (r"([a-z])#", "sharp")
SLUG_SYMBOLS = (("+", "plus"), ("*", "star"))


def slug(name: str) -> str:
    """A stable identifier from a name: ASCII, lower case, words joined by '-', with '+', '*' and a
    '#' after a letter spelled 'plus', 'star' and 'sharp' ('DeepLabV3+' -> 'deeplabv3-plus')."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = re.sub(SLUG_SHARP[0], rf"\1-{SLUG_SHARP[1]}-", ascii_text.lower())
    for symbol, word in SLUG_SYMBOLS:
        text = text.replace(symbol, f"-{word}-")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "unnamed"
