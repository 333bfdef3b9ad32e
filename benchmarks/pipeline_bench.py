"""Time flopcast's own stages on a sources/ folder: ingest, clean, load, SQL models, trend fits.

    python -m benchmarks.pipeline_bench --sources DIR --work DIR --out result.json [--resamples 200]
    python -m benchmarks.pipeline_bench --sources DIR --work DIR --out fits.json --fits-only --resamples 2000

The library functions the Dagster assets call, called directly (no Dagster), in the build's order,
on a fresh file-backed DuckDB database in --work (like the build's private database), each stage
on a connection of its own (as each Dagster asset opens one):

  raw         pipelines.lib.stages.materialize_raw for every source (checksum, CSV -> raw.<source>)
  clean       materialize_clean for every source (typing, derive, quarantine; -> clean.*, quarantine.*)
  sql_models  load_sql_project(dbt_like_sql) and run_model for each model in dependency order,
              with the Python steps the graph puts between them (the curated layer, when the
              library has one: pipelines.lib.stages.materialize_curated)
  trend_fits  pipelines.lib.analysis.materialize_trend_fits (every fit, with --resamples bootstrap
              resamples each; the build's default is 2000)
  sql_tests   run_test for each SQL assertion: timed, but not part of "total"

Each stage records its wall seconds and its CPU seconds (time.process_time: user + system time of
every thread of the process, DuckDB's and polars' included), which other work on a shared machine
disturbs less; benchmarks/scale_bench.py compares raw + clean CPU seconds across code versions.

"total" = raw + clean + sql_models + trend_fits: ingest + clean + load + SQL models + fits. Every
source is ingested and cleaned because the SQL models read all of them; the other four are ~6,000
rows together, so at benchmark sizes the time is the main source's. Not timed: interpreter start
and imports (the wall time measured by benchmarks.run around this process includes them),
great-expectations suites, projections, report, publish.

``--stop-after`` ends the run after a stage (for profiling).

After each stage the result file is rewritten, so a run that is killed (timeout, out of memory)
still says which stages finished and how long they took. ``peak_rss_bytes`` per stage is this
process's peak so far (getrusage(RUSAGE_SELF).ru_maxrss), which shows the stage that set the peak.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import sys
import time
from pathlib import Path

STAGES = ("raw", "clean", "sql_models", "trend_fits")
SQL_DIR = Path(__file__).resolve().parents[1] / "dbt_like_sql"


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


class Recorder:
    """Stage timings, rewritten to `out` after every stage so partial results survive a kill."""

    def __init__(self, out: Path | None, meta: dict, profile_dir: Path | None = None):
        self.out, self.profile_dir = out, profile_dir
        self.result = {**meta, "status": "running", "stages": {}, "details": {}}
        self._flush()

    def _flush(self) -> None:
        if self.out is None:
            return
        self.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.result, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, self.out)

    def stage(self, name: str, fn, *args, **kwargs):
        profiler = cProfile.Profile() if self.profile_dir else None
        self.result["running_stage"] = name
        self._flush()
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        try:
            value = fn(*args, **kwargs)
        finally:
            if profiler:
                profiler.disable()
                self.profile_dir.mkdir(parents=True, exist_ok=True)
                profiler.dump_stats(self.profile_dir / f"{name}.prof")
        self.result["stages"][name] = {
            "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu_started,  # every thread of this process
            "peak_rss_bytes": _peak_rss_bytes(),
        }
        self.result.pop("running_stage", None)
        self._flush()
        return value

    def finish(self, status: str = "ok") -> dict:
        timed = [self.result["stages"][s]["seconds"] for s in STAGES if s in self.result["stages"]]
        self.result["total_seconds"] = sum(timed) if len(timed) == len(STAGES) else None
        self.result["peak_rss_bytes"] = _peak_rss_bytes()
        self.result["status"] = status
        self._flush()
        return self.result


def _raw_all(con, sources_dir: Path, details: dict) -> None:
    from pipelines.lib.sources import SOURCES
    from pipelines.lib.stages import materialize_raw

    for spec in SOURCES:
        started = time.perf_counter()
        result = materialize_raw(con, sources_dir, spec.name)
        details[spec.name] = {"rows": result.rows, "seconds": time.perf_counter() - started}


def _clean_all(con, sources_dir: Path, details: dict) -> None:
    from pipelines.lib.sources import SOURCES
    from pipelines.lib.stages import materialize_clean

    for spec in SOURCES:
        started = time.perf_counter()
        result = materialize_clean(con, sources_dir, spec.name)
        details[spec.name] = {
            "clean_rows": result.clean_rows,
            "rejected_rows": result.rejected_rows,
            "rejected_cells": getattr(result, "rejected_cells", None),
            "seconds": time.perf_counter() - started,
        }


# Python steps that sit between SQL models in the Dagster graph (see pipelines/definitions.py): the
# tables each produces and the tables it reads. A step whose function the library does not have
# (an older or newer pipeline) is left out; a SQL model reading a table nobody here produces fails
# with a message naming it, so a new Python asset cannot be skipped silently.
def _python_steps() -> dict[str, dict]:
    from pipelines.lib import stages

    steps = {}
    if hasattr(stages, "materialize_curated"):
        steps["python:curated"] = {
            "produces": ("clean.curated_values", "intermediate.notable_models_curated", "marts.value_provenance"),
            "depends_on": ("staging.notable_models",),
            "run": lambda con, sources_dir: stages.materialize_curated(con, sources_dir),
        }
    return steps


def external_tables() -> list[str]:
    """What the SQL models may read that Python produces (as in pipelines/definitions.py)."""
    from pipelines.lib import stages
    from pipelines.lib.sources import SOURCES

    quarantine = [stages.QUARANTINE_TABLE] + (
        [stages.REJECTED_CELLS_TABLE] if hasattr(stages, "REJECTED_CELLS_TABLE") else []
    )
    base = (
        [f"raw.{s.name}" for s in SOURCES]
        + [f"clean.{stages.clean_table_name(s.name)}" for s in SOURCES]
        + [".".join(table) for table in quarantine]
    )
    return base + [t for step in _python_steps().values() for t in step["produces"]]


def graph_order(models, steps: dict[str, dict]) -> list[tuple[str, object]]:
    """SQL models and Python steps in one dependency order (ties by name, like sql_graph)."""
    import heapq

    produced_by = {m.qualified_name: m.qualified_name for m in models}
    for name, step in steps.items():
        produced_by.update({table: name for table in step["produces"]})
    nodes = {m.qualified_name: (m.depends_on, m) for m in models} | {n: (s["depends_on"], s) for n, s in steps.items()}
    deps = {n: {produced_by[d] for d in reads if d in produced_by} - {n} for n, (reads, _) in nodes.items()}
    waiting = {n: len(d) for n, d in deps.items()}
    ready = sorted(n for n, count in waiting.items() if count == 0)
    order = []
    while ready:
        name = heapq.heappop(ready)
        order.append((name, nodes[name][1]))
        for other, d in deps.items():
            if name in d:
                waiting[other] -= 1
                if waiting[other] == 0:
                    heapq.heappush(ready, other)
    if len(order) != len(nodes):
        raise RuntimeError(f"benchmark graph has a cycle among {sorted(set(nodes) - {n for n, _ in order})}")
    return order


def _sql_models(con, sources_dir: Path, details: dict):
    """Every SQL model, with the Python steps that sit between them, in graph order."""
    from pipelines.lib.sql_graph import load_sql_project
    from pipelines.lib.sql_runner import run_model

    steps = _python_steps()
    models, tests = load_sql_project(SQL_DIR, external_tables=external_tables())
    for name, node in graph_order(models, steps):
        started = time.perf_counter()
        if name in steps:
            node["run"](con, sources_dir)
            details[name] = {"seconds": time.perf_counter() - started}
        else:
            run = run_model(con, node)
            details[name] = {"rows": run.rows, "seconds": time.perf_counter() - started}
    return tests


def _sql_tests(con, tests, details: dict) -> None:
    from pipelines.lib.sql_runner import run_test

    for test in tests:
        started = time.perf_counter()
        run = run_test(con, test)
        details[test.name] = {"failing_rows": run.failing_rows, "seconds": time.perf_counter() - started}


def _trend_fits(con, resamples: int, details: dict) -> None:
    from pipelines.lib.analysis import AnalysisConfig, materialize_trend_fits

    fits = materialize_trend_fits(con, AnalysisConfig(bootstrap_resamples=resamples))
    details["fits"] = fits.height
    details["largest_n"] = int(fits["n"].max())
    details["bootstrap_resamples"] = resamples


def run_pipeline(
    sources_dir: Path,
    work_dir: Path,
    *,
    resamples: int = 200,
    out: Path | None = None,
    profile_dir: Path | None = None,
    sql_tests: bool = True,
    stop_after: str | None = None,
    breakdown: bool = False,
) -> dict:
    """Every stage on a new database work_dir/bench.duckdb; returns (and writes to out) the timings."""
    import pipelines.lib.analysis  # noqa: F401  (imports are not part of any stage's time)
    import pipelines.lib.sql_runner  # noqa: F401
    import pipelines.lib.stages  # noqa: F401
    from pipelines.lib.warehouse import connect

    work_dir.mkdir(parents=True, exist_ok=True)
    db = work_dir / "bench.duckdb"
    for leftover in (db, db.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    mode = "pipeline"
    rec = Recorder(out, {"mode": mode, "sources_dir": str(sources_dir), "resamples": resamples}, profile_dir)
    details = rec.result["details"]

    def connected(fn):
        """fn on a connection of its own, as each Dagster asset opens one: DuckDB's buffers of one
        stage are released before the next, as in the build."""

        def run(*args):
            with connect(db) as con:
                return fn(con, *args)

        return run

    rec.stage("raw", connected(_raw_all), sources_dir, details.setdefault("raw", {}))
    if stop_after == "raw":
        return rec.finish("stopped")
    rec.stage("clean", connected(_clean_all), sources_dir, details.setdefault("clean", {}))
    if breakdown:
        details["clean_breakdown"] = connected(clean_breakdown)(sources_dir)
        rec._flush()
    if stop_after == "clean":
        return rec.finish("stopped")
    tests = rec.stage("sql_models", connected(_sql_models), sources_dir, details.setdefault("sql_models", {}))
    if stop_after == "sql_models":
        return rec.finish("stopped")
    rec.stage("trend_fits", connected(_trend_fits), resamples, details.setdefault("trend_fits", {}))
    if sql_tests:
        rec.stage("sql_tests", connected(_sql_tests), tests, details.setdefault("sql_tests", {}))
    return rec.finish()


def clean_breakdown(con, sources_dir: Path, source: str = "epoch_notable_models") -> dict:
    """Seconds per step of the clean stage for the main source, each step run alone on raw.<source>.

    cProfile cannot see Python called back from polars' own threads (map_elements), so the clean
    stage's time shows up as one opaque `collect`; this splits it into the typing of each column,
    the derive step, the split into clean and rejected rows, and the quarantine's JSON. It calls
    cleaning.py's private helpers, so it is best-effort: a step that no longer exists is reported
    as an error instead of failing the run.
    """
    import polars as pl

    from pipelines.lib import cleaning
    from pipelines.lib.clean_sources import CLEANING_SPECS
    from pipelines.lib.stages import _raw_frame

    spec = CLEANING_SPECS[source]
    timings: dict[str, float | str] = {}

    def timed(name, fn):
        started = time.perf_counter()
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001  (best effort, see the docstring)
            timings[name] = f"error: {type(exc).__name__}: {exc}"[:200]
            return None
        timings[name] = time.perf_counter() - started
        return value

    raw = timed("read raw.<source> back (_raw_frame)", lambda: _raw_frame(con, source))
    if raw is None:
        return timings
    for col in spec.columns:

        def one(col=col):
            exprs, problem = cleaning._typed(col)
            parsers = cleaning._parsers((col,))  # number and integer columns are parsed into a struct first
            return (raw.with_columns(parsers) if parsers else raw).select(*exprs, problem.alias("_problem"))

        timed(f"type column {col.source!r} ({col.kind})", one)
    typed = timed("type all columns (type_columns)", lambda: cleaning.type_columns(raw, spec))
    snapshot = __import__("pipelines.lib.sources", fromlist=["load_snapshot"]).load_snapshot(sources_dir, source)
    import datetime as dt

    context = cleaning.CleanContext(
        source_file=str(snapshot.data_path), snapshot_date=dt.date.fromisoformat(snapshot.retrieved)
    )
    derived = timed("derive step (spec.derive)", lambda: spec.derive(typed, context)) if typed is not None else None
    if derived is not None:
        usable = pl.col(cleaning.REASONS).list.len() == 0
        timed(
            "split, sort clean rows by key", lambda: derived.filter(usable).drop(cleaning.REASONS).sort(list(spec.key))
        )
        rejected = derived.filter(~usable).select("source_row_number", cleaning.REASONS)
        joined = timed(
            "join rejected rows back to raw",
            lambda: raw.join(rejected, left_on="_row_number", right_on="source_row_number", how="inner").sort(
                "_row_number"
            ),
        )
        if joined is not None:
            timed(
                f"raw rows as JSON for the quarantine ({joined.height:,} rows)",
                lambda: cleaning._raw_as_json(joined.drop(cleaning.REASONS)),
            )
    from pipelines.lib.stages import clean_frame

    timed("whole clean stage in memory (stages.clean_frame)", lambda: clean_frame(raw, spec, context))
    return timings


def run_fits_only(work_dir: Path, *, resamples: int, out: Path | None = None) -> dict:
    """materialize_trend_fits alone on the database a pipeline run left in work_dir."""
    from pipelines.lib.warehouse import connect

    rec = Recorder(out, {"mode": "fits_only", "resamples": resamples})
    with connect(work_dir / "bench.duckdb") as con:
        rec.stage("trend_fits", _trend_fits, con, resamples, rec.result["details"].setdefault("trend_fits", {}))
    result = rec.finish()
    result["total_seconds"] = result["stages"]["trend_fits"]["seconds"]
    rec._flush()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--fits-only", action="store_true", help="only the trend fits, on the database in --work")
    parser.add_argument("--profile-dir", type=Path, help="write a cProfile file per stage here")
    parser.add_argument("--no-sql-tests", action="store_true")
    parser.add_argument("--stop-after", choices=("raw", "clean", "sql_models"))
    parser.add_argument(
        "--clean-breakdown",
        action="store_true",
        help="after the clean stage, time each step of cleaning the main source alone",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    if args.fits_only:
        result = run_fits_only(args.work, resamples=args.resamples, out=args.out)
    else:
        if args.sources is None:
            parser.error("--sources is required unless --fits-only")
        result = run_pipeline(
            args.sources,
            args.work,
            resamples=args.resamples,
            out=args.out,
            profile_dir=args.profile_dir,
            sql_tests=not args.no_sql_tests,
            stop_after=args.stop_after,
            breakdown=args.clean_breakdown,
        )
    stages = ", ".join(
        f"{k} {v['seconds']:.2f}s ({v.get('cpu_seconds', 0):.2f} CPU-s)" for k, v in result["stages"].items()
    )
    print(f"{result['mode']}: {stages}; peak RSS {result['peak_rss_bytes'] / 2**20:,.0f} MiB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
