"""A thin bridge from polars frames to great-expectations 1.x suites.

Suites are plain data (``Suite`` / ``Expectation``) so pipeline modules can declare them
without importing GX, which takes ~3 s; GX is imported only inside ``run_arrow_suite``. During
`flopcast build` that import happens in a helper process started at once, and ``run_suite`` sends
its rows there (pipelines/lib/build_helper.py).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars
    import pyarrow

MAX_EXAMPLES = 10


@dataclass(frozen=True)
class Expectation:
    kind: str  # GX expectation class name, e.g. "ExpectColumnValuesToNotBeNull"
    kwargs: dict  # e.g. {"column": "model_id"}
    why: str = ""  # one-line human reason, shown in failures


@dataclass(frozen=True)
class Suite:
    name: str
    expectations: tuple[Expectation, ...]


@dataclass(frozen=True)
class ExpectationOutcome:
    kind: str
    column: str | None
    kwargs: dict
    success: bool
    why: str
    unexpected_count: int | None
    unexpected_percent: float | None
    examples: list  # up to MAX_EXAMPLES distinct offending values, JSON-safe, sorted by str
    observed_value: object  # aggregate expectations; {"error": ...} when GX could not evaluate


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    table: str
    success: bool
    evaluated: int
    failed: int
    outcomes: tuple[ExpectationOutcome, ...]

    def failures(self) -> list[ExpectationOutcome]:
        """The expectations that failed, in suite order."""
        return [o for o in self.outcomes if not o.success]

    def to_json_dict(self) -> dict:
        """The result as JSON-ready data (what write_result_json writes to checks/<table>.json)."""
        # asdict keeps field order; _jsonable makes kwargs (dates, tuples) serialisable.
        return _jsonable(asdict(self))


# --- helpers so suites read like prose -------------------------------------------------


def not_null(column: str, why: str = "") -> Expectation:
    """Expectation: the column has no null."""
    return Expectation("ExpectColumnValuesToNotBeNull", {"column": column}, why)


def unique(column: str, why: str = "") -> Expectation:
    """Expectation: no value of the column repeats."""
    return Expectation("ExpectColumnValuesToBeUnique", {"column": column}, why)


def between(column: str, min_value: Any = None, max_value: Any = None, why: str = "") -> Expectation:
    """Inclusive; nulls are ignored. A polars Date column takes ``datetime.date`` bounds
    (a Datetime column needs ``datetime.datetime`` ones)."""
    if min_value is None and max_value is None:
        raise ValueError(f"between({column!r}): give min_value and/or max_value")
    bounds = _drop_none(min_value=min_value, max_value=max_value)
    return Expectation("ExpectColumnValuesToBeBetween", {"column": column, **bounds}, why)


def in_set(column: str, values: Any, why: str = "") -> Expectation:
    """Expectation: every non-null value is one of `values` (kept sorted, so reports are deterministic)."""
    # Sorted so a suite declared with a set still gives a deterministic report.
    value_set = sorted(values, key=str)
    return Expectation("ExpectColumnValuesToBeInSet", {"column": column, "value_set": value_set}, why)


def compound_unique(columns: Any, why: str = "") -> Expectation:
    """Expectation: no combination of the columns' values repeats."""
    return Expectation("ExpectCompoundColumnsToBeUnique", {"column_list": list(columns)}, why)


def row_count_between(min_value: int | None = None, max_value: int | None = None, why: str = "") -> Expectation:
    """Expectation: the table's row count is within the bounds given."""
    bounds = _drop_none(min_value=min_value, max_value=max_value)
    return Expectation("ExpectTableRowCountToBeBetween", bounds, why)


def _drop_none(**kwargs: Any) -> dict:
    return {k: v for k, v in kwargs.items() if v is not None}


# --- running ---------------------------------------------------------------------------


def run_suite(df: polars.DataFrame, suite: Suite, *, table: str) -> SuiteResult:
    """Validate ``df`` against ``suite`` with an ephemeral GX context (in the build helper process
    when one runs, else here; the result is the same).

    Raises ValueError for a suite that cannot be built (unknown kind, bad kwargs): that is
    a bug in the pipeline code. Data problems, including a missing column, are outcomes.
    """
    from pipelines.lib.build_helper import BuildHelper, handed_off

    result = handed_off(f"suite {suite.name!r}", BuildHelper.run_suite, df, suite, table=table)
    return result if result is not None else run_arrow_suite(df.to_arrow(), suite, table=table)


def run_arrow_suite(rows: pyarrow.Table, suite: Suite, *, table: str) -> SuiteResult:
    """``run_suite`` on the Arrow form of a polars frame (``frame.to_arrow()``)."""
    import pyarrow as pa

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    to_run = []  # (suite index, GX expectation)
    outcomes: dict[int, ExpectationOutcome] = {}
    for idx, exp in enumerate(suite.expectations):
        cls = getattr(gx.expectations, exp.kind, None)
        if not (isinstance(cls, type) and issubclass(cls, gx.expectations.Expectation)):
            raise ValueError(f"suite {suite.name!r}: unknown expectation kind {exp.kind!r} {exp.kwargs}")
        named = [exp.kwargs.get(k) for k in ("column", "column_A", "column_B")]
        named += list(exp.kwargs.get("column_list") or ())
        missing = [c for c in named if c is not None and c not in rows.column_names]
        if missing:  # checked here: GX would report it as a metric traceback
            err = f"column(s) {missing} not in table {table!r}"
            outcomes[idx] = _outcome(exp, success=False, observed={"error": err})
            continue
        try:
            # GX 1.x does not keep suite order in its results, so tag each with its index.
            to_run.append((idx, cls(**exp.kwargs, meta={"_idx": idx})))
        except Exception as e:  # pydantic validation error: unknown or ill-typed kwargs
            raise ValueError(f"suite {suite.name!r}: invalid {exp.kind}({exp.kwargs}): {e}") from e

    if to_run:
        # progress_bars: the (legacy) Validator reads context.progress_bars and otherwise
        # draws tqdm "Calculating Metrics" bars on stderr for every run.
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            progress_bars=ProgressBarsConfig(globally=False),
            analytics_enabled=False,
        )
        # The context must exist before a suite can be built; it becomes GX's "current" one.
        context = gx.get_context(mode="ephemeral", project_config=config)
        gx_suite = gx.ExpectationSuite(name=suite.name, expectations=[e for _, e in to_run])
        asset = context.data_sources.add_pandas("polars").add_dataframe_asset(table)
        batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
            # GX has no polars backend. Via arrow, Date columns become datetime.date objects
            # (date_as_object), which compare with datetime.date bounds; datetime64 columns
            # would raise "Cannot compare Timestamp with datetime.date" in GX's pandas path.
            batch_parameters={"dataframe": rows.to_pandas(date_as_object=True)}
        )
        # COMPLETE returns every unexpected value, so examples do not depend on row order.
        result = batch.validate(gx_suite, result_format="COMPLETE")
        integer_columns = {f.name for f in rows.schema if pa.types.is_integer(f.type)}
        for r in result.results:
            idx = r.expectation_config.meta["_idx"]
            outcomes[idx] = _from_gx(suite.expectations[idx], r, integer_columns)

    ordered = tuple(outcomes[i] for i in range(len(suite.expectations)))
    failed = sum(not o.success for o in ordered)
    return SuiteResult(suite.name, table, failed == 0, len(ordered), failed, ordered)


def write_result_json(result: SuiteResult, path: Path) -> None:
    """Pretty, sorted, newline-terminated; written atomically so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result.to_json_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- internals -------------------------------------------------------------------------


def _outcome(exp: Expectation, *, success, count=None, percent=None, examples=(), observed=None):
    count = None if count is None else int(count)
    percent = None if percent is None else float(percent)
    return ExpectationOutcome(
        exp.kind,
        exp.kwargs.get("column"),
        dict(exp.kwargs),
        bool(success),
        exp.why,
        count,
        percent,
        list(examples),
        _jsonable(observed),
    )


def _from_gx(exp: Expectation, r: Any, integer_columns: set[str]) -> ExpectationOutcome:
    # GX 1.x nests exception info per metric: {metric_id: {"raised_exception": ...}}.
    info = r.exception_info or {}
    infos = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    errors = [i["exception_message"] for i in infos if i.get("raised_exception")]
    if errors:  # GX could not evaluate, e.g. a numeric bound against a string column
        return _outcome(exp, success=False, observed={"error": "; ".join(sorted(set(errors)))})
    res = r.result or {}
    # Integer columns with nulls arrive in pandas as float64; report 3, not 3.0.
    col = exp.kwargs.get("column")
    int_col = isinstance(col, str) and col in integer_columns
    values = [_jsonable(v, int_floats=int_col) for v in res.get("unexpected_list") or ()]
    distinct = {json.dumps(v, sort_keys=True): v for v in values}
    examples = sorted(distinct.values(), key=str)[:MAX_EXAMPLES]
    return _outcome(
        exp,
        success=r.success,
        count=res.get("unexpected_count"),
        percent=res.get("unexpected_percent"),
        examples=examples,
        observed=res.get("observed_value"),
    )


def _jsonable(v: Any, *, int_floats: bool = False) -> Any:
    """Convert GX/numpy/pandas values to plain JSON: ISO dates, NaN/NaT -> None."""
    if isinstance(v, dict):
        return {str(k): _jsonable(x, int_floats=int_floats) for k, x in v.items()}
    if isinstance(v, (set, frozenset)):
        v = sorted(v, key=str)
    if isinstance(v, (list, tuple)) or type(v).__name__ == "ndarray":
        return [_jsonable(x, int_floats=int_floats) for x in v]
    if hasattr(v, "item") and type(v).__module__ == "numpy":
        v = v.item()  # numpy scalar -> python scalar
    if v is None or isinstance(v, (bool, str)):
        return v
    try:
        if v != v:  # NaN and pd.NaT (which is also a datetime, so test it first)
            return None
    except TypeError:  # pd.NA: its comparison result refuses truthiness
        return None
    if isinstance(v, dt.date):  # also datetime and pd.Timestamp
        return v.isoformat()
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return int(v) if int_floats and v.is_integer() else v
    if isinstance(v, int):
        return v
    return str(v)
