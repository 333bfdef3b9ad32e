"""Time 10,000 bootstrap resamples of one trend fit (pipelines.lib.fitting.fit_log_linear).

    python -m benchmarks.bootstrap_bench --out result.json [--resamples 10000] [--repeats 7]

Two data sets: n=500 synthetic points (2010-2026, 0.6 OOM/year, 1 OOM scatter), and the real
frontier population of the bundled sources (marts.training_runs where is_frontier, published from
2010 to the newest publication date, with a compute estimate: the trend fits' "frontier" series),
which this script builds first by running raw, clean and the SQL models on the bundled sources into
a temporary database (not timed). Each timing is one call of fit_log_linear(x, values,
resamples=10000): the OLS fit, the t interval and the vectorized pairs bootstrap. One untimed
warm-up call, then --repeats timed calls; the median is the measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BUNDLED_SOURCES = Path(__file__).resolve().parents[1] / "sources"


def frontier_data(sources_dir: Path = BUNDLED_SOURCES) -> tuple[np.ndarray, np.ndarray]:
    from benchmarks.pipeline_bench import _clean_all, _raw_all, _sql_models
    from pipelines.lib.warehouse import connect

    with tempfile.TemporaryDirectory() as tmp, connect(Path(tmp) / "frontier.duckdb") as con:
        _raw_all(con, sources_dir, {})
        _clean_all(con, sources_dir, {})
        _sql_models(con, sources_dir, {})
        rows = con.execute(
            "SELECT publication_year_fraction, training_compute_flop FROM marts.training_runs "
            "WHERE is_frontier AND training_compute_flop > 0 AND publication_year_fraction IS NOT NULL "
            "AND publication_date >= DATE '2010-01-01' "
            "AND publication_date <= (SELECT max(publication_date) FROM marts.training_runs) "
            "ORDER BY model_id"
        ).fetchall()
    x, values = (np.array(column, dtype=float) for column in zip(*rows))
    return x, values


def synthetic_data(n: int = 500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(2010.0, 2026.5, n)
    return x, 10.0 ** (15.0 + 0.6 * (x - 2010.0) + rng.normal(0.0, 1.0, n))


def time_fit(x: np.ndarray, values: np.ndarray, resamples: int, repeats: int) -> dict:
    from pipelines.lib.fitting import fit_log_linear

    fit_log_linear(x, values, resamples=resamples, seed=1)  # warm-up: first-call costs are not the steady state
    times = []
    for repeat in range(repeats):
        started = time.perf_counter()
        fit = fit_log_linear(x, values, resamples=resamples, seed=repeat)
        times.append(time.perf_counter() - started)
    return {
        "n": int(x.size),
        "resamples": resamples,
        "repeats": repeats,
        "seconds": statistics.median(times),
        "min_seconds": min(times),
        "max_seconds": max(times),
        "boot_slopes": int(fit.boot_slopes.size),
        "slope_oom_per_year": fit.slope,
    }


def run(resamples: int = 10_000, repeats: int = 7, sources_dir: Path = BUNDLED_SOURCES) -> dict:
    return {
        "mode": "bootstrap",
        "synthetic_n500": time_fit(*synthetic_data(), resamples, repeats),
        "real_frontier": time_fit(*frontier_data(sources_dir), resamples, repeats),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    result = {**run(args.resamples, args.repeats), "status": "ok"}
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for name in ("synthetic_n500", "real_frontier"):
        r = result[name]
        print(
            f"{name}: n={r['n']}, {r['resamples']:,} resamples: median {r['seconds']:.3f}s (min {r['min_seconds']:.3f}s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
