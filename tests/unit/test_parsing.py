"""Text cells to typed values with a reason when they cannot be used (pipelines.lib.parsing)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.lib import parsing
from tests.budget import examples


def apply(parser, values: list[str | None], *args, **kwargs) -> list[tuple]:
    """Run a parser over one text column; rows of (value, ..., problem)."""
    outputs = parser(pl.col("cell"), *args, **kwargs)
    frame = pl.DataFrame({"cell": values}, schema={"cell": pl.String})
    return frame.select([expr.alias(f"out{i}") for i, expr in enumerate(outputs)]).rows()


def one(parser, value: str | None, *args, **kwargs) -> tuple:
    return apply(parser, [value], *args, **kwargs)[0]


# --- float artefacts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (354999992320.0, 3.55e11),  # float32 artefact of 3.55e11
        (256999999.99999997, 2.57e8),  # binary noise
        (100598707.0, 100598707.0),  # genuine 9-digit value
        (16384.0, 16384.0),  # genuine power of two
        (-354999992320.0, -3.55e11),
        (0.0, 0.0),
        (None, None),
    ],
)
def test_normalize_float_artefacts(value, expected):
    assert parsing.normalize_float_artefacts(value) == expected


def test_number_cleans_artefacts_in_parsed_cells():
    rows = apply(parsing.number, ["354999992320.0", "256999999.99999997", "100598707.0", "16384.0"], "parameters")
    assert [value for value, _ in rows] == [3.55e11, 2.57e8, 100598707.0, 16384.0]
    assert all(problem is None for _, problem in rows)


# --- numbers ------------------------------------------------------------------------------------


def test_number_reads_scientific_notation_and_surrounding_blanks():
    assert one(parsing.number, "1e25", "training_compute_flop") == (1e25, None)
    assert one(parsing.number, " 3.14e+23 ", "training_compute_flop") == (3.14e23, None)


def test_number_absent_is_null_without_reason():
    assert apply(parsing.number, [None, "", "   "], "parameters") == [(None, None)] * 3


@pytest.mark.parametrize(
    "text, kwargs, words",
    [
        ("abc", {}, ["cannot read", "number"]),
        ("NaN", {}, ["finite"]),
        ("inf", {}, ["finite"]),
        ("-5", {"min_value": 0}, ["below the minimum 0"]),
    ],
)
def test_number_refusals_name_column_and_text(text, kwargs, words):
    value, problem = one(parsing.number, text, "training_compute_flop", **kwargs)
    assert value is None
    assert problem is not None
    assert problem.startswith("training_compute_flop")
    assert f"'{text}'" in problem
    for word in words:
        assert word in problem


def test_number_without_minimum_accepts_negative():
    assert one(parsing.number, "-5", "delta") == (-5.0, None)


def test_a_huge_offending_cell_is_cut_short_in_the_reason():
    _, problem = one(parsing.number, "x" * 10_000, "parameters")
    assert problem is not None and len(problem) < 200


# --- integers -----------------------------------------------------------------------------------


def test_integer_accepts_whole_number_written_as_float():
    assert one(parsing.integer, "2048.0", "hardware_quantity") == (2048, None)
    assert one(parsing.integer, "2048", "hardware_quantity") == (2048, None)


def test_integer_refuses_fraction_naming_column_and_text():
    value, problem = one(parsing.integer, "2048.5", "hardware_quantity")
    assert value is None
    assert problem is not None and "hardware_quantity" in problem and "'2048.5'" in problem
    assert "whole number" in problem


def test_integer_output_is_int64():
    frame = pl.DataFrame({"cell": ["3.0"]}).select(parsing.integer(pl.col("cell"), "n")[0].alias("n"))
    assert frame.schema["n"] == pl.Int64


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, day, precision",
    [
        ("2024-03-05", dt.date(2024, 3, 5), "day"),
        ("2024-03", dt.date(2024, 3, 1), "month"),
        ("2024", dt.date(2024, 1, 1), "year"),
        (" 2024-03 ", dt.date(2024, 3, 1), "month"),
    ],
)
def test_dates_at_source_precision(text, day, precision):
    assert one(parsing.date_with_precision, text, "publication_date") == (day, precision, None)


@pytest.mark.parametrize("text", ["2024-02-30", "March 2024", "2024-13", "24-03-05"])
def test_unreadable_dates_give_reason(text):
    day, precision, problem = one(parsing.date_with_precision, text, "publication_date")
    assert day is None and precision is None
    assert problem is not None
    assert problem.startswith("publication_date")
    assert f"'{text}'" in problem


def test_absent_date_is_null_without_reason():
    assert apply(parsing.date_with_precision, [None, ""], "publication_date") == [(None, None, None)] * 2


def year_fractions(texts: list[str]) -> list[float]:
    day, precision, _ = parsing.date_with_precision(pl.col("cell"), "d")
    frame = pl.DataFrame({"cell": texts}).select(day.alias("day"), precision.alias("precision"))
    return frame.select(parsing.year_fraction(pl.col("day"), pl.col("precision"))).to_series().to_list()


def test_year_fraction_year_only_is_mid_year():
    assert year_fractions(["2024", "1990"]) == [pytest.approx(2024.5), pytest.approx(1990.5)]


def test_year_fraction_month_is_mid_month():
    # March 2024 (leap year): day 61 starts it, 31 days long -> midpoint 60 + 15.5 days into the year.
    assert year_fractions(["2024-03"]) == [pytest.approx(2024 + (60 + 15.5) / 366)]
    # February 2023: 28 days starting after 31 -> midpoint 31 + 14.
    assert year_fractions(["2023-02"]) == [pytest.approx(2023 + (31 + 14) / 365)]


def test_year_fraction_day_is_middle_of_the_day():
    assert year_fractions(["2024-01-01"]) == [pytest.approx(2024 + 0.5 / 366)]
    assert year_fractions(["2023-12-31"]) == [pytest.approx(2023 + 364.5 / 365)]


def test_year_fraction_is_increasing_within_a_period():
    start, month, year_only = year_fractions(["2024-01-01", "2024-01", "2024"])
    assert start < month < year_only


# --- booleans -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected", [("yes", True), ("True", True), ("1.0", True), (" No ", False), ("0", False)]
)
def test_boolean_values(text, expected):
    assert one(parsing.boolean, text, "is_epoch_frontier") == (expected, None)


def test_boolean_unreadable_gives_reason_and_absent_is_null():
    value, problem = one(parsing.boolean, "maybe", "is_epoch_frontier")
    assert value is None
    assert problem is not None and "is_epoch_frontier" in problem and "'maybe'" in problem
    assert one(parsing.boolean, None, "is_epoch_frontier") == (None, None)


# --- names, lists, slugs ------------------------------------------------------------------------


def clean_names(values: list[str | None]) -> list[str | None]:
    return (
        pl.DataFrame({"cell": values}, schema={"cell": pl.String})
        .select(parsing.clean_name(pl.col("cell")))
        .to_series()
        .to_list()
    )


def test_clean_name():
    assert clean_names(["DeepLabv3\n", "GPT  4   o", '"Jupiter, Jülich"', "  Gemini 1.5 Pro ", '  ""  ', None]) == [
        "DeepLabv3",
        "GPT 4 o",
        "Jupiter, Jülich",
        "Gemini 1.5 Pro",
        None,
        None,
    ]


def distinct_lists(values: list[str | None]) -> list[list[str] | None]:
    return (
        pl.DataFrame({"cell": values}, schema={"cell": pl.String})
        .select(parsing.distinct_list(pl.col("cell")))
        .to_series()
        .to_list()
    )


def test_distinct_list():
    """A list cell becomes a real list (VARCHAR[] in DuckDB), not a comma-joined string (issue 15, point 4)."""
    assert distinct_lists(["United States of America,United States of America"]) == [["United States of America"]]
    assert distinct_lists(["Google, DeepMind,Google,,"]) == [["Google", "DeepMind"]]  # order kept, blanks dropped
    assert distinct_lists(["B,A", "  X "]) == [["B", "A"], ["X"]]
    assert distinct_lists([",", None, "", " "]) == [None, None, None, None]


def test_slug():
    assert parsing.slug("GPT-4o (May 2024)") == "gpt-4o-may-2024"
    assert parsing.slug("GPT-4o (May 2024)") == parsing.slug("GPT-4o (May 2024)")
    assert parsing.slug(parsing.slug("GPT-4o (May 2024)")) == "gpt-4o-may-2024"  # idempotent
    assert parsing.slug("Jülich") == "julich"
    assert parsing.slug("DeepLabV3") == parsing.slug("DeepLabv3\n") == "deeplabv3"
    assert parsing.slug("!!!") == "unnamed"


# --- the vectorised artefact normaliser calls the scalar one wherever it could change a value ---


@st.composite
def _spelled_floats(draw):
    value = draw(st.floats(allow_nan=False, allow_infinity=False, width=draw(st.sampled_from([32, 64]))))
    spelling = draw(st.sampled_from(["{!r}", "{:.17g}", "{:.15g}", "{:.9g}", "{:.3e}", "{:f}"]))
    text = spelling.format(value)
    return text, float(text)


@settings(max_examples=examples(500), deadline=None, derandomize=True, database=None)
@given(st.lists(_spelled_floats(), min_size=1, max_size=30))
def test_vectorised_normaliser_matches_the_scalar_one(pairs):
    texts = pl.Series("t", [t for t, _ in pairs] + [None], dtype=pl.String)
    values = pl.Series("v", [v for _, v in pairs] + [None], dtype=pl.Float64)
    got = parsing.normalize_float_artefacts_series(values, texts).to_list()
    assert got == [parsing.normalize_float_artefacts(v) for v in values.to_list()]
