"""Strict-first typing gives exactly what the lenient parser gives, cell for cell, on hostile data.

``cleaning.type_columns`` (the build's) takes a number cell that a plain cast reads as a usable
value as it is, leaves a name with nothing to tidy alone, parses list, date and flag columns once
per distinct value, and builds the reasons lists only for the rows that have one.
``cleaning.type_columns_lenient`` runs every parser on every cell and builds every row's lists. For
batches of hostile cells (the spellings of tests/property/test_hostile_input.py, any text, floats
in every spelling, huge cells, blanks; repeated so that the per-distinct path is taken, or mostly
distinct so that it is not) both must return the same frame: values, precisions, row reasons and
rejected cells, with the same types. The same for every source's column mapping.

``add_reason`` and ``reject_cell`` (which only rebuild the lists of the rows they touch) are
checked against the plain when/then expressions they replaced.
"""

from __future__ import annotations

import os

import polars as pl
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from pipelines.lib.clean_sources import CLEANING_SPECS
from pipelines.lib.cleaning import (
    CELL_FIELDS,
    CELL_REASONS,
    REASONS,
    add_reason,
    reject_cell,
    type_columns,
    type_columns_lenient,
)
from tests.budget import examples
from tests.property.test_hostile_input import DATE_SPELLINGS, NUMBER_SPELLINGS, TEXT_VALUES, _float_spelling

# `make reliability` (FLOPCAST_FULL_STRENGTH=1) runs the full count; `make test` a fifth of it.
TYPING = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=int(os.environ.get("FLOPCAST_TYPING_EXAMPLES", examples(200))),
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Spellings that sit right at the edges of the strict cast and the per-value shortcuts.
EDGE_VALUES = [
    "0",
    "-0",
    "-0.0",
    "0.0",
    "+1",
    ".5",
    "5.",
    "1e5",
    "1E5",
    "1e+05",
    "1e-400",
    "4.9e-324",
    "1.7976931348623157e308",
    "1.8e308",
    "354999992320.0",
    "3.55e11",
    "256999999.99999997",
    "111200000.00000001",
    "1000000000.0",
    "123456789012345678901234567890",
    "0.10000000149011612",
    "16777217",
    "2048.5",
    "9223372036854775807",
    "9.3e18",
    "1",
    "2",
    "1900",
    "1899",
    " 1",
    "1 ",
    "\u00a01",
    "1\u2028",
    "١",
    "0x1p3",
    "1_000",
    "inf",
    "Infinity",
    "NaN",
    "-nan",
    "+inf",
    "1e",
    "e5",
    "--1",
    "1..2",
    "Model",
    " Model",
    "Model ",
    "Mo  del",
    "Mo\tdel",
    '"Model"',
    '""',
    '"',
    "\x00",
    "a\x00",
    "\u0085Model",
    "\u200bModel",
    "Model\u3000",
    "Language,Language,,",
    ",,",
    " , ",
    "Vision , Language",
    "a,b,a",
    "A,a",
    "True",
    "TRUE",
    "yes",
    "Yes",
    "1.0",
    "0.0",
    "no",
    "false",
    "checked",
    "",
    "2024-02-29",
    "2023-02-29",
    "2024-00-10",
    "2024-1-05",
    "+2024-01-05",
    "2024-01-05T00:00",
    "0000",
    "2024-12",
]

cells = st.one_of(
    st.none(),
    st.sampled_from(NUMBER_SPELLINGS),
    st.sampled_from(DATE_SPELLINGS),
    st.sampled_from(TEXT_VALUES),
    st.sampled_from(EDGE_VALUES),
    st.text(max_size=25),
    st.builds(
        _float_spelling,
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["repr", "e", "E", "times", "x", "approx", "unit"]),
    ),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),  # float32 artefacts
    st.integers(-(10**20), 10**20).map(str),
    st.builds(lambda day, length: day.isoformat()[:length], st.dates(), st.sampled_from([4, 7, 10])),
    st.text(alphabet="x\n", min_size=60, max_size=200),  # longer than the 60 characters a reason shows
)


@st.composite
def batches(draw, headers: list[str]) -> pl.DataFrame:
    """A raw batch: every mapped column drawn from a small pool (values repeat) or freely (they mostly do not)."""
    height = draw(st.integers(0, 40))
    columns = {}
    for header in headers:
        if draw(st.booleans()):
            pool = draw(st.lists(cells, min_size=1, max_size=6))
            columns[header] = [draw(st.sampled_from(pool)) for _ in range(height)]
        else:
            columns[header] = [draw(cells) for _ in range(height)]
    frame = pl.DataFrame(columns, schema={h: pl.String for h in headers})
    return frame.with_columns(
        pl.lit("source", dtype=pl.String).alias("_source"),
        pl.lit("2026-07-19", dtype=pl.String).alias("_source_version"),
        pl.int_range(1, height + 1, dtype=pl.Int64).alias("_row_number"),
    )


def _assert_same_typing(spec, raw: pl.DataFrame) -> None:
    fast, lenient = type_columns(raw, spec), type_columns_lenient(raw, spec)
    assert fast.schema == lenient.schema
    for name in lenient.columns:
        assert fast[name].equals(lenient[name]), (
            name,
            [(cell, a, b) for cell, a, b in zip(raw.rows(), fast[name].to_list(), lenient[name].to_list()) if a != b][
                :3
            ],
        )


@TYPING
@given(data=st.data(), source=st.sampled_from(sorted(CLEANING_SPECS)))
def test_strict_first_typing_equals_the_lenient_parser(data, source):
    spec = CLEANING_SPECS[source]
    raw = data.draw(batches([c.source for c in spec.columns]))
    note(raw.to_dicts()[:5])
    _assert_same_typing(spec, raw)


def test_the_edge_values_in_every_column_of_every_source():
    for spec in CLEANING_SPECS.values():
        for repeat in (1, 3):  # each value once (mostly distinct) and three times (per distinct value)
            values = EDGE_VALUES * repeat + [None] * repeat
            raw = pl.DataFrame(
                {c.source: values for c in spec.columns}, schema={c.source: pl.String for c in spec.columns}
            )
            raw = raw.with_columns(
                pl.lit("s").alias("_source"),
                pl.lit("v").alias("_source_version"),
                pl.int_range(1, raw.height + 1, dtype=pl.Int64).alias("_row_number"),
            )
            _assert_same_typing(spec, raw)


# --- add_reason and reject_cell against the expressions they replaced -------------------------------


def _add_reason_reference(frame, condition, reason):
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    return frame.with_columns(
        pl.when(condition.fill_null(False))
        .then(pl.col(REASONS).list.concat(pl.concat_list(reason_expr)))
        .otherwise(pl.col(REASONS))
        .alias(REASONS)
    )


def _reject_cell_reference(frame, field, condition, reason):
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    where = condition.fill_null(False)
    nulled = [field] + ([f"{field}_precision"] if f"{field}_precision" in frame.columns else [])
    appended = {CELL_FIELDS: pl.lit(field, dtype=pl.String), CELL_REASONS: reason_expr.cast(pl.String)}
    return frame.with_columns(
        *(
            pl.when(where).then(pl.col(name).list.concat(pl.concat_list(item))).otherwise(pl.col(name)).alias(name)
            for name, item in appended.items()
        ),
        *(pl.when(where).then(None).otherwise(pl.col(name)).alias(name) for name in nulled),
    )


reason_lists = st.lists(st.lists(st.sampled_from(["a", "b: 'x'", "c"]), max_size=3), min_size=0, max_size=30)


@TYPING
@given(lists=reason_lists, data=st.data())
def test_add_reason_and_reject_cell_touch_only_the_rows_they_match(lists, data):
    height = len(lists)
    values = data.draw(st.lists(st.one_of(st.none(), st.floats(-2, 3)), min_size=height, max_size=height))
    fields = data.draw(st.lists(st.lists(st.sampled_from(["x", "y"]), max_size=2), min_size=height, max_size=height))
    frame = pl.DataFrame(
        {
            "x": values,
            "x_precision": ["day" if v is not None else None for v in values],
            REASONS: lists,
            CELL_FIELDS: fields,
            CELL_REASONS: [[f"{f}: why" for f in row] for row in fields],
        },
        schema={
            "x": pl.Float64,
            "x_precision": pl.String,
            REASONS: pl.List(pl.String),
            CELL_FIELDS: pl.List(pl.String),
            CELL_REASONS: pl.List(pl.String),
        },
    )
    condition = pl.col("x") > data.draw(st.sampled_from([-1.0, 0.5, 2.5, 10.0]))
    reason = data.draw(st.sampled_from(["fixed reason", pl.concat_str(pl.lit("x: "), pl.col("x").cast(pl.String))]))
    assert add_reason(frame, condition, reason).equals(_add_reason_reference(frame, condition, reason))
    assert reject_cell(frame, "x", condition, reason).equals(_reject_cell_reference(frame, "x", condition, reason))
