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
    rounded = float(f"{value:.15g}")
    if abs(value) > _FLOAT32_MAX:
        return rounded
    as_f32 = np.float32(value)
    if float(as_f32) == value:
        short = np.format_float_positional(as_f32, unique=True, trim="-")
        short_digits = len(short.replace("-", "").replace(".", "").strip("0"))
        long_digits = len(f"{rounded:.15g}".replace("-", "").replace(".", "").split("e")[0].strip("0"))
        if long_digits >= 9 and short_digits <= 7:
            return float(short)
    return rounded


def number(cell: pl.Expr, column: str, *, min_value: float | None = None) -> tuple[pl.Expr, pl.Expr]:
    """A plain decimal or scientific number; NaN, infinities and values below min_value are refused."""
    text = cell.str.strip_chars()
    parsed = text.cast(pl.Float64, strict=False)
    finite = parsed.is_finite()
    problem = (
        pl.when(text.is_null() | (text == ""))
        .then(pl.lit(None, dtype=pl.String))
        .when(parsed.is_null())
        .then(pl.concat_str(pl.lit(f"{column}: cannot read "), _shown(text), pl.lit(" as a number")))
        .when(~finite)
        .then(pl.concat_str(pl.lit(f"{column}: "), _shown(text), pl.lit(" is not a finite number")))
    )
    if min_value is not None:
        problem = problem.when(parsed < min_value).then(
            pl.concat_str(pl.lit(f"{column}: "), _shown(text), pl.lit(f" is below the minimum {min_value:g}"))
        )
    problem = problem.otherwise(pl.lit(None, dtype=pl.String))
    value = (
        pl.when(problem.is_null() & finite)
        .then(parsed)
        .otherwise(None)
        .map_elements(normalize_float_artefacts, return_dtype=pl.Float64, skip_nulls=True)
    )
    return value, problem


def integer(cell: pl.Expr, column: str, *, min_value: float | None = None) -> tuple[pl.Expr, pl.Expr]:
    """A count written as a number ("2048.0" is fine, "2048.5" is not)."""
    value, problem = number(cell, column, min_value=min_value)
    fractional = value.is_not_null() & (value != value.round(0))
    problem = pl.when(problem.is_null() & fractional).then(
        pl.concat_str(pl.lit(f"{column}: "), _shown(cell.str.strip_chars()), pl.lit(" is not a whole number"))
    ).otherwise(problem)
    return pl.when(problem.is_null()).then(value).otherwise(None).cast(pl.Int64), problem


_DAY = r"^\d{4}-\d{2}-\d{2}$"
_MONTH = r"^\d{4}-\d{2}$"
_YEAR = r"^\d{4}$"


def date_with_precision(cell: pl.Expr, column: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """ISO dates at the precision the source uses: YYYY-MM-DD, YYYY-MM or YYYY.

    Returns (first day of the period, precision 'day'|'month'|'year', problem).
    """
    text = cell.str.strip_chars()
    precision = (
        pl.when(text.str.contains(_DAY)).then(pl.lit("day"))
        .when(text.str.contains(_MONTH)).then(pl.lit("month"))
        .when(text.str.contains(_YEAR)).then(pl.lit("year"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    as_day = (
        pl.when(precision == "day").then(text)
        .when(precision == "month").then(pl.concat_str(text, pl.lit("-01")))
        .when(precision == "year").then(pl.concat_str(text, pl.lit("-01-01")))
    )
    parsed = as_day.str.to_date("%Y-%m-%d", strict=False)
    problem = (
        pl.when(text.is_null() | (text == "")).then(pl.lit(None, dtype=pl.String))
        .when(parsed.is_null())
        .then(pl.concat_str(pl.lit(f"{column}: cannot read "), _shown(text), pl.lit(" as a date (YYYY-MM-DD, YYYY-MM or YYYY)")))
        .otherwise(pl.lit(None, dtype=pl.String))
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
        pl.when(precision == "day").then(year + (day_of_year - 0.5) / days_in_year)
        .when(precision == "month").then(year + (day_of_year - 1 + days_in_month / 2) / days_in_year)
        .when(precision == "year").then(year + 0.5)
        .otherwise(None)
    )


def boolean(cell: pl.Expr, column: str, *, true: tuple[str, ...] = ("true", "yes", "1", "1.0"),
            false: tuple[str, ...] = ("false", "no", "0", "0.0")) -> tuple[pl.Expr, pl.Expr]:
    text = cell.str.strip_chars().str.to_lowercase()
    value = pl.when(text.is_in(list(true))).then(True).when(text.is_in(list(false))).then(False).otherwise(None)
    problem = (
        pl.when(text.is_null() | (text == "") | value.is_not_null()).then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.concat_str(pl.lit(f"{column}: cannot read "), _shown(cell), pl.lit(" as yes/no")))
    )
    return value, problem


def clean_name(cell: pl.Expr) -> pl.Expr:
    """Names as people write them: outer whitespace, wrapping quotes and inner runs of blanks removed."""
    text = cell.str.replace_all(r"\s+", " ").str.strip_chars()
    text = pl.when(text.str.starts_with('"') & text.str.ends_with('"') & (text.str.len_chars() >= 2)).then(
        text.str.slice(1, text.str.len_chars() - 2).str.strip_chars()
    ).otherwise(text)
    return pl.when(text == "").then(None).otherwise(text)


def distinct_list(cell: pl.Expr) -> pl.Expr:
    """'United States of America,United States of America' -> 'United States of America' (order kept)."""
    parts = cell.str.split(",").list.eval(pl.element().str.strip_chars()).list.eval(
        pl.element().filter(pl.element() != "")
    )
    joined = parts.list.unique(maintain_order=True).list.join(",")
    return pl.when(joined == "").then(None).otherwise(joined)


def slug(name: str) -> str:
    """A stable identifier from a name: ASCII, lower case, words joined by '-'."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "unnamed"
