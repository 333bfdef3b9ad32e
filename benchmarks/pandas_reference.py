"""The same clean-and-fit work written the way an analyst would in plain pandas + numpy.

    python -m benchmarks.pandas_reference --csv notable_ai_models.csv --snapshot-date 2026-07-19 --out result.json

What it does (and what it deliberately leaves out, so the comparison with flopcast is fair):

1. ``read_csv`` of only the columns the analysis needs (``usecols``, as anyone would with a large
   file; flopcast reads and keeps every column as text), with pandas' default type inference;
2. rename to snake_case, ``to_numeric(errors="coerce")`` on the numeric columns, ``to_datetime``
   (ISO 8601: day, month or year precision) on the publication date;
3. drop bad rows: no name, no or unreadable date, a date after the snapshot, a numeric cell that
   has text but no number, a negative number;
4. dedupe on the model name, keeping the most complete row, then the newest;
5. frontier = among the 10 largest by training compute of all models published on or before the
   model's date (ties by name), in one pass over the rows in date order with a 10-element heap;
6. filter to publication dates since 2010; OLS of log10(training compute) on the fractional year
   with the slope's standard error (numpy.linalg.lstsq), for all models and for the frontier.

No quarantine table with reasons, no lineage, no database, no SQL marts, no bootstrap, no other
metrics or sources: flopcast does all of those, so this is a floor for "the same answer", not a
re-implementation of the whole pipeline. numpy.linalg.lstsq rather than statsmodels because the
OLS slope and its standard error are two lines of linear algebra and statsmodels is not a project
dependency (it would add scipy and patsy to the benchmark environment for no extra information).
"""

from __future__ import annotations

import argparse
import heapq
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.child_result import finished, write_result

COLUMNS = {
    "Model": "model",
    "Publication date": "publication_date",
    "Domain": "domain",
    "Parameters": "parameters",
    "Training compute (FLOP)": "training_compute_flop",
    "Training dataset size (total)": "training_dataset_size",
    "Training compute cost (2023 USD)": "training_cost_usd",
    "Training power draw (W)": "training_power_w",
}
NUMERIC = ["parameters", "training_compute_flop", "training_dataset_size", "training_cost_usd", "training_power_w"]


def ols(x: np.ndarray, y: np.ndarray) -> dict:
    """Slope, intercept and the slope's standard error of y = a + b x."""
    design = np.column_stack([np.ones_like(x), x - x.mean()])
    coef, sse, _, _ = np.linalg.lstsq(design, y, rcond=None)
    n = len(x)
    sigma2 = float(sse[0]) / (n - 2) if len(sse) else float(np.sum((y - design @ coef) ** 2)) / (n - 2)
    slope_se = float(np.sqrt(sigma2 * np.linalg.inv(design.T @ design)[1, 1]))
    return {"n": n, "slope": float(coef[1]), "intercept": float(coef[0] - coef[1] * x.mean()), "slope_se": slope_se}


def frontier_flags(df: pd.DataFrame, top: int = 10) -> pd.Series:
    """True where a model is among the `top` largest by compute of everything dated on or before it."""
    known = df[df["training_compute_flop"].notna()].sort_values(["publication_date", "model"])
    name_rank = known["model"].rank(method="first").to_numpy()  # ties in compute go to the smaller name
    flags = pd.Series(False, index=df.index)
    heap: list[tuple[float, float, object]] = []  # the current top, smallest first
    dates = known["publication_date"].to_numpy()
    compute = known["training_compute_flop"].to_numpy()
    index = known.index.to_numpy()
    start = 0
    while start < len(known):
        stop = start
        while stop < len(known) and dates[stop] == dates[start]:
            stop += 1
        for i in range(start, stop):  # everything published that day joins before anyone is judged
            item = (compute[i], -name_rank[i], index[i])
            if len(heap) < top:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
        in_top = {entry[2] for entry in heap}
        for i in range(start, stop):
            if index[i] in in_top:
                flags.at[index[i]] = True
        start = stop
    return flags


def run(csv_path: Path, snapshot_date: str) -> dict:
    times: dict[str, float] = {}
    t = time.perf_counter()

    df = pd.read_csv(csv_path, usecols=list(COLUMNS))
    times["read_csv"] = time.perf_counter() - t
    t = time.perf_counter()

    df = df.rename(columns=COLUMNS)
    rows_read = len(df)
    bad = df["model"].isna()
    for column in NUMERIC:
        text = df[column]
        value = pd.to_numeric(text, errors="coerce")
        bad |= (text.notna() & value.isna()) | (value < 0)
        df[column] = value
    df["publication_date"] = pd.to_datetime(df["publication_date"], format="ISO8601", errors="coerce")
    bad |= df["publication_date"].isna() | (df["publication_date"] > pd.Timestamp(snapshot_date))
    df = df[~bad]
    df["completeness"] = df[NUMERIC].notna().sum(axis=1)
    df = (
        df.sort_values(["completeness", "publication_date"], ascending=False)
        .drop_duplicates("model", keep="first")
        .drop(columns="completeness")
    )
    times["clean"] = time.perf_counter() - t
    t = time.perf_counter()

    df["is_frontier"] = frontier_flags(df)
    times["frontier"] = time.perf_counter() - t
    t = time.perf_counter()

    recent = df[df["publication_date"] >= "2010-01-01"].copy()
    day = recent["publication_date"]
    recent["year"] = day.dt.year + (day.dt.day_of_year - 0.5) / np.where(day.dt.is_leap_year, 366, 365)
    with_compute = recent[recent["training_compute_flop"] > 0]
    fits = {
        "notable_since_2010": ols(
            with_compute["year"].to_numpy(), np.log10(with_compute["training_compute_flop"].to_numpy())
        ),
    }
    frontier = with_compute[with_compute["is_frontier"]]
    fits["frontier"] = ols(frontier["year"].to_numpy(), np.log10(frontier["training_compute_flop"].to_numpy()))
    times["fit"] = time.perf_counter() - t
    return {
        "stages": {name: {"seconds": seconds} for name, seconds in times.items()},
        "total_seconds": sum(times.values()),
        "clean_rows": int(len(df)),
        "rejected_rows": rows_read - int(len(df)),  # bad rows and the duplicates that lost
        "frontier_rows": int(df["is_frontier"].sum()),
        "fits": fits,
        "pandas": pd.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, required=True)
    parser.add_argument("--snapshot-date", default="2026-07-19")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result = finished("pandas_reference", run(args.csv, args.snapshot_date))
    write_result(args.out, result)
    stages = ", ".join(f"{k} {v['seconds']:.2f}s" for k, v in result["stages"].items())
    print(
        f"pandas: {stages}; slope {result['fits']['notable_since_2010']['slope']:.4f} OOM/yr; "
        f"peak RSS {result['peak_rss_bytes'] / 2**20:,.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
