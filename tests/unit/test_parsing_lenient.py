"""Numbers as downloads spell them (pipelines.lib.parsing.number): which spellings are read, which stay reasons."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.lib import parsing


def parse(text: str | None, column: str = "training_compute_flop", **kwargs) -> tuple:
    value, problem = parsing.number(pl.col("cell"), column, **kwargs)
    return pl.DataFrame({"cell": [text]}, schema={"cell": pl.String}).select(value, problem).row(0)


# --- accepted -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        # the column's unit after the number
        ("1.2e25 FLOP", 1.2e25),
        ("3e24 FLOPs", 3e24),
        ("1.2e25FLOP", 1.2e25),
        ("1.2e25 flop", 1.2e25),
        # an approximate marker in front
        ("~3e24", 3e24),
        ("~ 3e24", 3e24),
        ("≈3e24", 3e24),
        ("approx. 3e24", 3e24),
        ("approx 3e24", 3e24),
        ("Approximately 3e24", 3e24),
        # mantissa times a power of ten
        ("3.8×10^24", 3.8e24),
        ("3.8x10^24", 3.8e24),
        ("3.8X10^24", 3.8e24),
        ("3.8*10^24", 3.8e24),
        ("3.8 × 10^24", 3.8e24),
        ("3.8·10^24", 3.8e24),
        ("3.8×10^-2", 0.038),
        ("10^24", 1e24),
        ("3.8e+24", 3.8e24),
        ("3.8E24", 3.8e24),
        # all at once
        ("~ 3.8 × 10^24 FLOPs", 3.8e24),
        # thousands separators that cannot be a decimal comma
        ("1,200,000", 1.2e6),
        ("12,345,678.5", 12345678.5),
        ("1,200.5", 1200.5),
    ],
)
def test_accepted_spellings(text, expected):
    assert parse(text, min_value=0) == (expected, None)


def test_the_value_is_read_from_the_decimal_text_not_by_multiplying():
    # 3.8 * 10**24 in floating point is not the float nearest to 3.8e24; the text is rewritten instead.
    assert parse("3.8×10^24")[0] == float("3.8e24")


@pytest.mark.parametrize(
    "column, text, expected",
    [
        ("training_cost_usd", "$1,200,000", 1.2e6),
        ("training_cost_usd", "US$ 1.5e6", 1.5e6),
        ("training_cost_usd", "2e6 USD", 2e6),
        ("training_power_w", "500 W", 500.0),
        ("training_power_w", "500W", 500.0),
        ("power_capacity_mw", "150 MW", 150.0),
        ("training_time_hours", "100 hours", 100.0),
        ("training_time_hours", "100 h", 100.0),
        ("tensor_fp16_flop_per_s", "9.9e14 FLOP/s", 9.9e14),
        ("memory_bytes", "8e10 bytes", 8e10),
        ("demand_twh", "4000 TWh", 4000.0),
    ],
)
def test_each_column_accepts_its_own_unit(column, text, expected):
    assert parse(text, column) == (expected, None)


def test_integers_accept_the_same_spellings():
    value, problem = parsing.integer(pl.col("cell"), "hardware_quantity")
    frame = pl.DataFrame({"cell": ["~2,048,000", "1.6×10^4"]}).select(value.alias("v"), problem.alias("p"))
    assert frame.rows() == [(2048000, None), (16000, None)]


def test_plain_numbers_are_unchanged():
    assert parse("354999992320.0") == (3.55e11, None)  # float artefacts still cleaned
    assert parse(" 3.14e+23 ") == (3.14e23, None)
    assert parse("-5", "delta") == (-5.0, None)


# --- refused ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column, text, words",
    [
        # another unit than the column's: never converted
        ("training_compute_flop", "3e24 FLOP/s", ["cannot read"]),
        ("training_compute_flop", "1e24 FLOPS", ["cannot read"]),  # FLOPS usually means per second
        ("training_power_w", "500 kW", ["cannot read"]),
        ("training_power_w", "500 mW", ["cannot read"]),
        ("power_capacity_mw", "150 mW", ["cannot read"]),
        ("parameters", "1e9 FLOP", ["cannot read"]),  # a unit on a column without one
        ("parameters", "175B", ["cannot read"]),
        ("training_time_hours", "100 days", ["cannot read"]),
        # ranges, two numbers, words
        ("training_compute_flop", "1e24-3e24", ["cannot read"]),
        ("training_compute_flop", "1e24 to 3e24", ["cannot read"]),
        ("training_compute_flop", "1e24 or 2e24", ["cannot read"]),
        ("training_compute_flop", "3e24;4e24", ["cannot read"]),
        ("training_compute_flop", "about 3e24", ["cannot read"]),
        ("training_compute_flop", "lots", ["cannot read"]),
        ("training_compute_flop", "~", ["cannot read"]),
        ("training_compute_flop", "FLOP", ["cannot read"]),
        ("training_compute_flop", "~~3e24", ["cannot read"]),
        ("training_compute_flop", "1e24 FLOP FLOP", ["cannot read"]),
        ("training_compute_flop", "3.8×10^", ["cannot read"]),
        ("training_compute_flop", "×10^24", ["cannot read"]),
        # separators that are not thousands groups, or could be a decimal comma
        ("training_cost_usd", "1,200", ["ambiguous"]),
        ("training_cost_usd", "$1,200", ["ambiguous"]),
        ("training_cost_usd", "12,00,000", ["cannot read"]),
        ("training_cost_usd", "1,2000", ["cannot read"]),
        ("training_cost_usd", "1.200.000", ["cannot read"]),
        ("training_cost_usd", "1.200,50", ["cannot read"]),
        # not finite, negative
        ("training_compute_flop", "NaN", ["not a finite number"]),
        ("training_compute_flop", "~NaN", ["not a finite number"]),
        ("training_compute_flop", "inf FLOP", ["not a finite number"]),
        ("training_compute_flop", "1e400", ["not a finite number"]),
        ("training_compute_flop", "-3e24", ["below the minimum 0"]),
        ("training_compute_flop", "~-3e24 FLOP", ["below the minimum 0"]),
        ("training_compute_flop", "-3.8×10^24", ["below the minimum 0"]),
    ],
)
def test_refused_spellings_name_column_and_text(column, text, words):
    value, problem = parse(text, column, min_value=0)
    assert value is None
    assert problem is not None and problem.startswith(f"{column}: ")
    assert f"'{text}'" in problem
    for word in words:
        assert word in problem


def test_absent_stays_absent():
    assert parse(None) == (None, None)
    assert parse("  ") == (None, None)


def test_integer_too_large_for_int64_is_a_reason_not_an_error():
    value, problem = parsing.integer(pl.col("cell"), "year")
    frame = pl.DataFrame({"cell": ["3e24", "-9.3e18", "9.2e18"]}).select(value.alias("v"), problem.alias("p"))
    assert frame.rows() == [
        (None, "year: '3e24' is too large for a whole number"),
        (None, "year: '-9.3e18' is too large for a whole number"),
        (9200000000000000000, None),
    ]
