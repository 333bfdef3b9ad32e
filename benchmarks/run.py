"""Run every benchmark, one size at a time in fresh subprocesses, and write BENCHMARKS.md + results.json.

    python -m benchmarks.run [--sizes 10000,100000,1000000,10000000] [--quick] [--timeout-min 20]

For each size: generate a synthetic sources/ folder (benchmarks/generate.py), run the pipeline
stages on it (benchmarks/pipeline_bench.py, --resamples bootstrap resamples per fit), the build's
default 2000 resamples on the resulting database (trend fits alone), and the pandas reference
(benchmarks/pandas_reference.py). Then the full `flopcast build` on the bundled sources against the import floor
and a cold `flopcast query "select 1"` (benchmarks/build_floor.py), and 10,000 bootstrap resamples.

Every measurement is its own child process. Wall time is measured around the child; peak RSS is
the child's ru_maxrss, read with os.wait4 (the per-child form of getrusage(RUSAGE_CHILDREN), which
for a parent of several children would report the largest of them all); CPU time is the user +
system time os.wait4 reports (the child's and that of the processes it waited for), and the sampled
peak is of the whole process tree (a build runs a helper process). A child that exceeds the
per-run timeout is killed and recorded as "timeout"; one whose RSS passes --mem-cap-gb (sampled
from /proc every 0.1 s, so other work on the machine is not pushed into the kernel's OOM killer)
or that dies of SIGKILL or MemoryError is recorded as "out of memory". Nothing crashes the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from benchmarks import build_floor
from benchmarks.sitting import from_machine, sittings_lines
from benchmarks.sitting import sitting as measured_sitting

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_JSON = PROJECT_ROOT / "benchmarks" / "results.json"
BENCHMARKS_MD = PROJECT_ROOT / "BENCHMARKS.md"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
QUICK_SIZES = (10_000, 100_000)
BUILD_DEFAULT_RESAMPLES = 2000
NOTES_MARKER = "<!-- Everything below this line is kept when benchmarks/run.py rewrites this file. -->"
FLOOR_IMPORTS = build_floor.FLOOR_IMPORTS
LIBRARIES = ("polars", "duckdb", "numpy", "pandas", "pyarrow", "dagster", "great-expectations", "sqlglot", "matplotlib")
GB = 1e9

# The targets (2 cores, 24 GiB). "GB" is read as 10^9 bytes (the stricter reading).
TARGETS = {
    "time_10m": 60.0,  # seconds, 10M rows through clean + load + fits
    "rss_10m": 4 * GB,  # bytes, peak
    "growth_exponent": 1.1,  # 1M -> 10M
    "pandas_speedup": 5.0,  # at >= 1M rows
    "build_over_floor": build_floor.BUILD_OVER_FLOOR_TARGET,  # issue 14 (was 3.0)
    "cold_query_seconds": build_floor.COLD_QUERY_TARGET_SECONDS,
    "bootstrap_seconds": 1.0,  # 10,000 resamples
}


# --- running a child --------------------------------------------------------------------------


def _rss_bytes(pid: int) -> int:
    """RSS of pid and of its descendants (a build imports great-expectations in a helper process)."""
    total = 0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    total = int(line.split()[1]) * 1024
                    break
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                total += sum(_rss_bytes(int(child)) for child in handle.read().split())
    except (OSError, ValueError):
        pass
    return total


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def measure(cmd: list[str], *, log: Path, timeout: float, mem_cap: float, env: dict | None = None) -> dict:
    """Run cmd to completion (or its limit); wall time, peak RSS, and what became of it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
            env={**os.environ, "GX_ANALYTICS_ENABLED": "false", **(env or {})},
            start_new_session=True,
        )
        killed_for = None
        sampled_peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.perf_counter() - started
            rss = _rss_bytes(proc.pid)
            sampled_peak = max(sampled_peak, rss)
            if killed_for is None and (elapsed > timeout or rss > mem_cap):
                killed_for = "timeout" if elapsed > timeout else "out of memory"
                os.killpg(proc.pid, signal.SIGKILL)  # the child's own process group, started above
            time.sleep(0.1)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; keep Popen consistent
    code = proc.returncode
    text = _tail(log, 40)
    if killed_for == "timeout":
        outcome, detail = "timeout", f"killed after {timeout:.0f}s (the per-run timeout)"
    elif killed_for == "out of memory":
        outcome, detail = "out of memory", f"killed when its RSS passed the {mem_cap / GB:.1f} GB cap"
    elif code == 0:
        outcome, detail = "ok", ""
    elif code == -signal.SIGKILL:
        outcome, detail = "out of memory", "killed by SIGKILL (the kernel's OOM killer)"
    elif "MemoryError" in text or "Out of Memory" in text or "std::bad_alloc" in text:
        outcome, detail = "out of memory", "the process ran out of memory"
    else:
        outcome, detail = "error", f"exit code {code}"
    result = {
        "status": outcome,
        "wall_seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_bytes": usage.ru_maxrss * 1024,
        "sampled_peak_rss_bytes": sampled_peak,
        "exit_code": code,
        "loadavg_1min_before": load_before,
        "loadavg_1min_after": os.getloadavg()[0],
        "log": str(log),
    }
    if detail:
        result["detail"] = detail
    if outcome != "ok":
        result["log_tail"] = _tail(log, 15)
    return result


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _module(name: str, *args) -> list[str]:
    return [sys.executable, "-m", f"benchmarks.{name}", *map(str, args)]


# --- the measurements -------------------------------------------------------------------------


def _pipeline_env(args) -> dict:
    return {"FLOPCAST_DUCKDB_MEMORY_LIMIT": args.duckdb_memory_limit} if args.duckdb_memory_limit else {}


def bench_size(n: int, root: Path, args) -> dict:
    sources, work, logs = root / f"sources-{n}", root / f"work-{n}", root / "logs"
    limits = {"timeout": args.timeout_min * 60, "mem_cap": args.mem_cap_gb * GB}
    entry: dict = {"rows": n, "sitting": measured_sitting()}
    print(f"[{n:,}] generating", flush=True)
    gen = measure(
        _module("generate", "--rows", n, "--out", sources, "--force"), log=logs / f"generate-{n}.log", **limits
    )
    entry["generate"] = gen
    if gen["status"] != "ok":
        return entry
    manifest = _read_json(sources / "epoch_notable_models" / "2026-07-19" / "manifest.json")
    entry["file_bytes"] = manifest.get("file", {}).get("size_bytes")
    csv = sources / "epoch_notable_models" / "2026-07-19" / "notable_ai_models.csv"

    print(f"[{n:,}] pipeline", flush=True)
    out = work / "pipeline.json"
    run = measure(
        _module("pipeline_bench", "--sources", sources, "--work", work, "--out", out, "--resamples", args.resamples),
        log=logs / f"pipeline-{n}.log",
        env=_pipeline_env(args),
        **limits,
    )
    entry["pipeline"] = {**run, "result": _read_json(out)}
    print(f"[{n:,}] pipeline: {_summary(entry['pipeline'])}", flush=True)
    if n in args.scale_sizes and run["status"] == "ok":  # before, the floor, pandas same work: right after it
        from benchmarks import scale_bench

        entry["scale"] = scale_bench.bench_scale(
            n,
            sources,
            root,
            logs,
            measure=measure,
            limits=limits,
            env=_pipeline_env(args),
            project_root=PROJECT_ROOT,
            baseline_commit=args.baseline_commit,
            rounds=args.repeats,
        )

    stages_done = entry["pipeline"]["result"].get("stages", {})
    fits_db_ready = run["status"] == "ok"
    if fits_db_ready and args.default_fits_max_rows is not None and n > args.default_fits_max_rows:
        entry["fits_default_bootstrap"] = {
            "status": "skipped",
            "detail": f"--default-fits-max-rows {args.default_fits_max_rows:,}",
        }
    elif fits_db_ready and args.resamples != BUILD_DEFAULT_RESAMPLES:
        # Bootstrap memory is flat since the resamples are drawn in blocks (fitting.BOOTSTRAP_BLOCK_CELLS);
        # the time is O(resamples x n) and bounded by the per-run timeout.
        print(f"[{n:,}] trend fits with the build's {BUILD_DEFAULT_RESAMPLES} resamples", flush=True)
        out_fits = work / "fits_default.json"
        fits = measure(
            _module(
                "pipeline_bench",
                "--work",
                work,
                "--out",
                out_fits,
                "--fits-only",
                "--resamples",
                BUILD_DEFAULT_RESAMPLES,
            ),
            log=logs / f"fits-default-{n}.log",
            env=_pipeline_env(args),
            **limits,
        )
        entry["fits_default_bootstrap"] = {**fits, "result": _read_json(out_fits)}

    print(f"[{n:,}] pandas reference", flush=True)
    out_pd = root / f"pandas-{n}.json"
    pd_run = measure(_module("pandas_reference", "--csv", csv, "--out", out_pd), log=logs / f"pandas-{n}.log", **limits)
    entry["pandas"] = {**pd_run, "result": _read_json(out_pd)}
    print(f"[{n:,}] pandas: {_summary(entry['pandas'])}", flush=True)

    if n in args.profile_sizes:
        print(f"[{n:,}] cProfile of raw and clean", flush=True)
        prof_dir = root / f"profile-{n}"
        prof = measure(
            _module(
                "pipeline_bench",
                "--sources",
                sources,
                "--work",
                root / f"work-profile-{n}",
                "--out",
                prof_dir / "pipeline.json",
                "--profile-dir",
                prof_dir,
                "--stop-after",
                "clean",
                "--clean-breakdown",
            ),
            log=logs / f"profile-{n}.log",
            **limits,
        )
        entry["profile"] = {
            **prof,
            "stages": profile_summary(prof_dir, args.profile_top),
            "clean_breakdown": _read_json(prof_dir / "pipeline.json").get("details", {}).get("clean_breakdown"),
        }

    if n in args.explain_sizes and "sql_models" in stages_done:
        entry["explain"] = explain_slowest_model(
            root / f"work-{n}" / "bench.duckdb", entry["pipeline"]["result"], logs, limits
        )
    if not args.keep:
        for folder in (sources, root / f"work-{n}", root / f"work-profile-{n}"):
            shutil.rmtree(folder, ignore_errors=True)
    return entry


def explain_slowest_model(db: Path, result: dict, logs: Path, limits: dict) -> dict:
    """EXPLAIN ANALYZE of the slowest SQL model, on the database its run left (in a child process)."""
    models = {k: v for k, v in result.get("details", {}).get("sql_models", {}).items() if not k.startswith("python:")}
    if not models:
        return {}
    name = max(models, key=lambda k: models[k]["seconds"])
    out = logs / f"explain-{name}.txt"
    code = (
        "import sys, duckdb\n"
        "from benchmarks.pipeline_bench import SQL_DIR, external_tables\n"
        "from pipelines.lib.sql_graph import load_sql_project\n"
        f"models, _ = load_sql_project(SQL_DIR, external_tables=external_tables())\n"
        f"model = next(m for m in models if m.qualified_name == {name!r})\n"
        f"con = duckdb.connect({str(db)!r})\n"
        "rows = con.execute('EXPLAIN ANALYZE ' + model.sql).fetchall()\n"
        f"open({str(out)!r}, 'w').write('\\n'.join(r[1] for r in rows))\n"
    )
    run = measure([sys.executable, "-c", code], log=logs / f"explain-{name}.log", **limits)
    return {
        "model": name,
        "seconds_in_pipeline": models[name]["seconds"],
        **run,
        "plan": out.read_text(encoding="utf-8") if out.exists() else None,
    }


def profile_summary(prof_dir: Path, top: int) -> dict:
    """The top functions of each profiled stage by own time, as file:line(function)."""
    import pstats

    summary = {}
    for prof in sorted(prof_dir.glob("*.prof")):
        stats = pstats.Stats(str(prof))
        total = stats.total_tt
        rows = []
        for (filename, line, func), (_, nc, tt, ct, _) in sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]:
            rows.append(
                {
                    "where": f"{_short(filename)}:{line}({func})",
                    "calls": nc,
                    "own_seconds": tt,
                    "cumulative_seconds": ct,
                }
            )
        cumulative = []
        for (filename, line, func), (_, nc, tt, ct, _) in sorted(stats.stats.items(), key=lambda kv: -kv[1][3]):
            if _short(filename).startswith("pipelines/") and len(cumulative) < top:
                cumulative.append(
                    {
                        "where": f"{_short(filename)}:{line}({func})",
                        "calls": nc,
                        "own_seconds": tt,
                        "cumulative_seconds": ct,
                    }
                )
        summary[prof.stem] = {"total_seconds": total, "by_own_time": rows, "pipelines_by_cumulative_time": cumulative}
    return summary


def _short(filename: str) -> str:
    path = filename.replace(str(PROJECT_ROOT) + "/", "")
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    return path


def bench_build_vs_floor(root: Path, args) -> dict:
    limits = {"timeout": args.timeout_min * 60, "mem_cap": args.mem_cap_gb * GB}
    return build_floor.bench_build_vs_floor(root, args.repeats, measure, limits, PROJECT_ROOT)


def bench_cold_query(root: Path, args, warehouse: Path) -> dict:
    limits = {"timeout": args.timeout_min * 60, "mem_cap": args.mem_cap_gb * GB}
    return build_floor.bench_cold_query(root, warehouse, max(5, args.repeats), measure, limits, PROJECT_ROOT)


def bench_bootstrap(root: Path, args) -> dict:
    limits = {"timeout": args.timeout_min * 60, "mem_cap": args.mem_cap_gb * GB}
    out = root / "bootstrap.json"
    when = measured_sitting()
    print("[bootstrap] 10,000 resamples", flush=True)
    run = measure(
        _module("bootstrap_bench", "--out", out, "--repeats", args.repeats * 2 + 1),
        log=root / "logs" / "bootstrap.log",
        **limits,
    )
    return {**run, "result": _read_json(out), "sitting": when}


def _summary(run: dict) -> str:
    result = run.get("result", {})
    stages = ", ".join(f"{k} {v['seconds']:.1f}s" for k, v in result.get("stages", {}).items())
    return f"{run['status']} in {run['wall_seconds']:.1f}s, peak {run['peak_rss_bytes'] / GB:.2f} GB ({stages})"


# --- machine and report -----------------------------------------------------------------------


def machine_info() -> dict:
    mem = 0
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo", encoding="utf-8", errors="replace")
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    versions = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = None
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = bool(
        subprocess.run(
            ["git", "status", "--porcelain", "--", "pipelines", "dbt_like_sql"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    return {
        "cores": os.cpu_count(),
        "ram_bytes": mem,
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "libraries": versions,
        "git_commit": commit,
        "pipeline_code_modified_since_commit": dirty,
        "loadavg_at_start": os.getloadavg(),
    }


def _total(entry: dict, key: str = "pipeline") -> float | None:
    run = entry.get(key)
    if not run or run.get("status") != "ok":
        return None
    return run["result"].get("total_seconds")


def growth_exponents(sizes: dict, key: str) -> list[dict]:
    """log(t2/t1)/log(n2/n1) between consecutive sizes, for the total and for each stage."""
    out = []
    ordered = sorted(sizes.values(), key=lambda e: e["rows"])
    for a, b in zip(ordered, ordered[1:]):
        ra, rb = a.get(key, {}), b.get(key, {})
        row = {"from": a["rows"], "to": b["rows"], "stages": {}}
        ta, tb = _total(a, key), _total(b, key)
        scale = math.log(b["rows"] / a["rows"])
        if ta and tb:
            row["total"] = math.log(tb / ta) / scale
        elif ta and rb.get("status") == "timeout":
            row["total_lower_bound"] = math.log(rb["wall_seconds"] / ta) / scale
        sa, sb = ra.get("result", {}).get("stages", {}), rb.get("result", {}).get("stages", {})
        for stage in sa:
            if stage in sb and sa[stage]["seconds"] > 0:
                row["stages"][stage] = math.log(sb[stage]["seconds"] / sa[stage]["seconds"]) / scale
        out.append(row)
    return out


def _fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds:,.1f} s" if seconds >= 10 else f"{seconds:.2f} s"


def _fmt_b(n: float | None) -> str:
    return "—" if not n else f"{n / GB:.2f} GB"


def _outcome(run: dict | None) -> str:
    if not run:
        return "not run"
    if run["status"] == "ok":
        return "ok"
    stage = run.get("result", {}).get("running_stage")
    where = f" in stage {stage}" if stage else ""
    return f"{run['status']}{where} ({run.get('detail', '')})"


def evaluate_targets(results: dict) -> list[dict]:
    sizes = results["sizes"]
    rows = []
    big = sizes.get("10000000")
    if big:
        run = big.get("pipeline", {})
        total = _total(big)
        measured = (
            _fmt_s(total)
            if total is not None
            else f"did not finish: {_outcome(run)} after {_fmt_s(run.get('wall_seconds'))}"
        )
        rows.append(
            {
                "measurement": "10M rows: clean + load + fits (in-process total)",
                "target": "< 60 s",
                "measured": measured,
                "met": total is not None and total < TARGETS["time_10m"],
            }
        )
        rss = run.get("peak_rss_bytes")
        done = run.get("status") == "ok"
        rows.append(
            {
                "measurement": "10M rows: peak RSS",
                "target": "< 4 GB",
                "measured": _fmt_b(rss) + ("" if done else f" when stopped ({run.get('status')})"),
                "met": done and rss is not None and rss < TARGETS["rss_10m"],
            }
        )
    else:
        rows.append(
            {"measurement": "10M rows: clean + load + fits", "target": "< 60 s", "measured": "not run", "met": False}
        )
    exps = {(g["from"], g["to"]): g for g in results["growth_exponents"]}
    g = exps.get((1_000_000, 10_000_000))
    if g and "total" in g:
        rows.append(
            {
                "measurement": "time growth exponent 1M → 10M",
                "target": "≤ 1.1",
                "measured": f"{g['total']:.2f}",
                "met": g["total"] <= TARGETS["growth_exponent"],
            }
        )
    else:
        lower = f" (≥ {g['total_lower_bound']:.2f})" if g and "total_lower_bound" in g else ""
        rows.append(
            {
                "measurement": "time growth exponent 1M → 10M",
                "target": "≤ 1.1",
                "measured": "not measurable: the pipeline did not finish at both sizes" + lower,
                "met": False,
            }
        )
    for key, entry in sorted(sizes.items(), key=lambda kv: int(kv[0])):
        if int(key) < 1_000_000:
            continue
        flop, pdt = _total(entry), entry.get("pandas", {}).get("result", {}).get("total_seconds")
        if flop and pdt:
            ratio = pdt / flop
            measured = f"{ratio:.2f}× ({'flopcast faster' if ratio >= 1 else f'flopcast {1 / ratio:.0f}× slower'}: {_fmt_s(flop)} vs pandas {_fmt_s(pdt)})"
            met = ratio >= TARGETS["pandas_speedup"]
        elif pdt:
            run_ = entry.get("pipeline", {})
            if run_.get("status") == "timeout":
                measured = (
                    f"flopcast did not finish ({_outcome(run_)}): ≥ {run_['wall_seconds'] / pdt:.0f}× slower than "
                    f"pandas' {_fmt_s(pdt)}"
                )
            else:
                measured = f"no ratio: flopcast did not finish ({_outcome(run_)}); pandas {_fmt_s(pdt)}"
            met = False
        else:
            measured, met = f"pandas reference: {_outcome(entry.get('pandas'))}", False
        rows.append(
            {
                "measurement": f"speed-up over the pandas reference at {int(key):,} rows",
                "target": "≥ 5×",
                "measured": measured,
                "met": met,
            }
        )
    rows += build_floor.target_rows(results)
    boot = results.get("bootstrap", {}).get("result", {})
    for name, label in (("synthetic_n500", "synthetic"), ("real_frontier", "real frontier compute")):
        r = boot.get(name)
        if r:
            rows.append(
                {
                    "measurement": f"10,000 bootstrap resamples, {label} (n={r['n']})",
                    "target": "< 1 s",
                    "measured": f"{r['seconds']:.3f} s (median of {r['repeats']})",
                    "met": r["seconds"] < TARGETS["bootstrap_seconds"],
                }
            )
    return rows


def _measured_sittings(results: dict) -> list[tuple[str, dict]]:
    """(what, sitting) for every measurement in results; an entry written before entries carried
    their sitting gets the sitting of the run that wrote the file."""
    fallback = from_machine(results.get("run_date"), results.get("machine"))
    measured = []
    for key, entry in sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        what = f"{int(key):,} rows" + (" with the raw + clean comparison" if entry.get("scale") else "")
        measured.append((what, entry.get("sitting") or fallback))
    for key, what in (
        ("build_vs_floor", "the bundled build and its floor"),
        ("cold_query", "the cold query"),
        ("bootstrap", "the bootstrap"),
    ):
        if key in results:
            measured.append((what, results[key].get("sitting") or fallback))
    return measured


def write_markdown(results: dict, path: Path) -> None:
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python -m benchmarks.run` (`make bench`); machine-readable results in",
        "`benchmarks/results.json`. What each number means is in the docstrings of",
        "`benchmarks/pipeline_bench.py` (stages, what is timed), `benchmarks/pandas_same_work.py` (the",
        "raw + clean work in pandas), `benchmarks/scale_floor.py` (the floor of that work), `benchmarks/scale_bench.py`",
        "(the code before the scale work, the ratios), `benchmarks/pandas_reference.py` (the old reference, a lower",
        "bound: what it leaves out), `benchmarks/generate.py` (the synthetic data) and `benchmarks/run.py` (wall",
        "time, peak RSS, timeouts).",
        "",
        f"Last run {results['run_date']} on {m['cores']} cores, {m['ram_bytes'] / 2**30:.1f} GiB RAM ({m['cpu']}), "
        f"Python {m['python']}, " + ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if v) + ".",
        "Each measurement below comes from the sitting that measured it (`--merge` keeps what a run does not redo):",
        *sittings_lines(_measured_sittings(results)),
        f"Settings: sizes {', '.join(f'{s:,}' for s in results['settings']['sizes'])}; {results['settings']['resamples']} bootstrap resamples per "
        f"fit in the pipeline runs (the build's default, {BUILD_DEFAULT_RESAMPLES}, is timed separately); timeout "
        f"{results['settings']['timeout_min']:g} min and memory cap {results['settings']['mem_cap_gb']:g} GB per run; "
        f"pipeline runs with FLOPCAST_DUCKDB_MEMORY_LIMIT={results['settings'].get('duckdb_memory_limit') or '(unset: DuckDB default, 80% of RAM)'}.",
        "",
        "## Targets",
        "",
        "| Measurement | Target | Measured | Met |",
        "| --- | --- | --- | --- |",
    ]
    for row in results["targets"]:
        met = "—" if row["met"] is None else "yes" if row["met"] else "**no**"  # None: shown, not a target
        lines.append(f"| {row['measurement']} | {row['target']} | {row['measured']} | {met} |")
    lines += [
        "",
        "## Pipeline by size",
        "",
        "In-process stage times of `benchmarks/pipeline_bench.py` (total = raw + clean + sql_models + trend_fits; "
        "sql_tests apart); wall = the whole child process including interpreter start and imports.",
        "",
        "| Rows | File | Outcome | raw | clean | sql_models | trend_fits | Total | Wall | Peak RSS | Fits, 2000 resamples | pandas lower bound | its RSS |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, e in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        p = e.get("pipeline", {})
        st = p.get("result", {}).get("stages", {})
        fd = e.get("fits_default_bootstrap")
        fd_text = (
            "—"
            if not fd
            else f"{_fmt_s(fd['result']['total_seconds'])}, {_fmt_b(fd['peak_rss_bytes'])}"
            if fd.get("status") == "ok"
            else fd.get("status") + (f": {fd.get('detail')}" if fd.get("detail") else "")
        )
        pd_run = e.get("pandas", {})
        lines.append(
            f"| {int(key):,} | {_fmt_b(e.get('file_bytes'))} | {_outcome(p)} | "
            + " | ".join(_fmt_s(st.get(s, {}).get("seconds")) for s in ("raw", "clean", "sql_models", "trend_fits"))
            + f" | {_fmt_s(_total(e))} | {_fmt_s(p.get('wall_seconds'))} | {_fmt_b(p.get('peak_rss_bytes'))} | {fd_text} | "
            f"{_fmt_s(pd_run.get('result', {}).get('total_seconds')) if pd_run.get('status') == 'ok' else _outcome(pd_run)} | "
            f"{_fmt_b(pd_run.get('peak_rss_bytes'))} |"
        )
    lines += [
        "",
        "### Growth exponents of time",
        "",
        "log(t2/t1) / log(n2/n1): 1 is linear, 2 quadratic.",
        "",
        "| From → to | Total | raw | clean | sql_models | trend_fits |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for g in results["growth_exponents"]:
        total = (
            f"{g['total']:.2f}"
            if "total" in g
            else (f"≥ {g['total_lower_bound']:.2f}" if "total_lower_bound" in g else "—")
        )
        lines.append(
            f"| {g['from']:,} → {g['to']:,} | {total} | "
            + " | ".join(
                f"{g['stages'][s]:.2f}" if s in g["stages"] else "—"
                for s in ("raw", "clean", "sql_models", "trend_fits")
            )
            + " |"
        )
    lines += ["", "### Slowest steps by size", ""]
    for key, e in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        steps = []
        details = e.get("pipeline", {}).get("result", {}).get("details", {})
        for stage, items in details.items():
            if isinstance(items, dict):
                steps += [
                    (v["seconds"], f"{stage}/{name}")
                    for name, v in items.items()
                    if isinstance(v, dict) and "seconds" in v
                ]
        top = sorted(steps, reverse=True)[:6]
        if top:
            lines.append(f"- {int(key):,} rows: " + "; ".join(f"{name} {_fmt_s(sec)}" for sec, name in top))
    from benchmarks import scale_bench

    lines += scale_bench.markdown(results)
    for key, e in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        prof = e.get("profile")
        if not prof:
            continue
        lines += [
            "",
            f"## Profile at {int(key):,} rows (cProfile, raw and clean stages)",
            "",
            f"Profiled run: {_outcome(prof)}, {_fmt_s(prof.get('wall_seconds'))} wall (cProfile slows Python code down). "
            "Own time = time in the function itself; cumulative = with everything it calls.",
            "",
        ]
        if prof.get("clean_breakdown"):
            lines += [
                "### clean of the main source, step by step",
                "",
                "Each step run alone after the profiled clean stage (polars runs Python callbacks such as "
                "`map_elements` on its own threads, which cProfile does not see; this splits the opaque `collect`).",
                "",
                "| Step | Time |",
                "| --- | --- |",
            ]
            lines += [
                f"| {step} | {_fmt_s(t) if isinstance(t, (int, float)) else t} |"
                for step, t in prof["clean_breakdown"].items()
            ]
            lines.append("")
        for stage, s in prof.get("stages", {}).items():
            lines += [
                f"### {stage}: {_fmt_s(s['total_seconds'])} profiled",
                "",
                "| Function (by own time) | Calls | Own | Cumulative |",
                "| --- | --- | --- | --- |",
            ]
            lines += [
                f"| `{r['where']}` | {r['calls']:,} | {_fmt_s(r['own_seconds'])} | {_fmt_s(r['cumulative_seconds'])} |"
                for r in s["by_own_time"]
            ]
            lines += [
                "",
                "| pipelines/ function (by cumulative time) | Calls | Own | Cumulative |",
                "| --- | --- | --- | --- |",
            ]
            lines += [
                f"| `{r['where']}` | {r['calls']:,} | {_fmt_s(r['own_seconds'])} | {_fmt_s(r['cumulative_seconds'])} |"
                for r in s["pipelines_by_cumulative_time"]
            ]
            lines.append("")
    for key, e in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        ex = e.get("explain")
        if ex and ex.get("plan"):
            lines += [
                "",
                f"## Slowest SQL model at {int(key):,} rows: {ex['model']} ({_fmt_s(ex['seconds_in_pipeline'])})",
                "",
                "DuckDB `EXPLAIN ANALYZE`:",
                "",
                "```",
                ex["plan"].strip(),
                "```",
            ]
    lines += build_floor.markdown(results)
    notes = ""
    if path.exists():  # hand-written findings after the marker survive a rerun
        _, marker, kept = path.read_text(encoding="utf-8").partition(NOTES_MARKER)
        notes = marker + kept if marker else ""
    path.write_text("\n".join(lines) + "\n" + ("\n" + notes.rstrip("\n") + "\n" if notes else ""), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated row counts (default 10000,100000,1000000,10000000)")
    parser.add_argument(
        "--quick", action="store_true", help=f"sizes {','.join(map(str, QUICK_SIZES))}, one repeat, no profile"
    )
    parser.add_argument("--timeout-min", type=float, default=20.0, help="per child process")
    parser.add_argument(
        "--mem-cap-gb", type=float, default=None, help="per child (default: 16 or 70%% of RAM, the smaller)"
    )
    parser.add_argument("--resamples", type=int, default=200, help="bootstrap resamples per fit in the pipeline runs")
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="repeats of the build and its floor, and rounds of the scale comparison (default 3; 1 with --quick)",
    )
    parser.add_argument(
        "--profile-sizes", default=None, help="sizes to cProfile raw+clean at (default 1000000; none with --quick)"
    )
    parser.add_argument("--profile-top", type=int, default=15)
    parser.add_argument(
        "--scale-sizes",
        default=None,
        help="sizes to run the code before the scale work, the floor and pandas "
        "doing the same work at (default 1000000; none with --quick)",
    )
    parser.add_argument(
        "--baseline-commit", default=None, help="the code before the scale work (default: scale_bench.BASELINE_COMMIT)"
    )
    parser.add_argument(
        "--explain-sizes", default=None, help="sizes to EXPLAIN ANALYZE the slowest SQL model at (default 100000)"
    )
    parser.add_argument(
        "--duckdb-memory-limit",
        default="2GB",
        help="FLOPCAST_DUCKDB_MEMORY_LIMIT for the pipeline runs (default 2GB; '' for DuckDB's own default)",
    )
    parser.add_argument(
        "--default-fits-max-rows",
        type=int,
        default=None,
        help=f"skip the {BUILD_DEFAULT_RESAMPLES}-resample fits above this many rows (their time is O(resamples x n))",
    )
    parser.add_argument(
        "--skip-build", action="store_true", help="skip the bundled build / import floor and the cold query"
    )
    parser.add_argument("--skip-bootstrap", action="store_true")
    parser.add_argument("--workdir", type=Path, help="scratch space (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep generated sources and databases")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the sizes (and build/bootstrap results) of the existing results file that this run does not redo",
    )
    parser.add_argument("--results", type=Path, default=RESULTS_JSON)
    parser.add_argument("--markdown", type=Path, default=BENCHMARKS_MD)
    args = parser.parse_args(argv)

    def sizes_of(text, default):
        return tuple(int(s.replace("_", "")) for s in text.split(",") if s.strip()) if text is not None else default

    args.sizes = sizes_of(args.sizes, QUICK_SIZES if args.quick else DEFAULT_SIZES)
    args.profile_sizes = sizes_of(args.profile_sizes, () if args.quick else (1_000_000,))
    from benchmarks import scale_bench

    args.scale_sizes = sizes_of(args.scale_sizes, () if args.quick else scale_bench.SCALE_SIZES)
    args.baseline_commit = args.baseline_commit or scale_bench.BASELINE_COMMIT
    args.explain_sizes = sizes_of(args.explain_sizes, () if args.quick else (100_000,))
    args.repeats = args.repeats or (1 if args.quick else 3)
    machine = machine_info()
    if args.mem_cap_gb is None:
        args.mem_cap_gb = min(16.0, 0.7 * machine["ram_bytes"] / GB)

    root = args.workdir or Path(tempfile.mkdtemp(prefix="flopcast-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"scratch: {root}", flush=True)
    results = {
        "run_date": dt.date.today().isoformat(),
        "machine": machine,
        "settings": {
            "sizes": list(args.sizes),
            "resamples": args.resamples,
            "build_default_resamples": BUILD_DEFAULT_RESAMPLES,
            "timeout_min": args.timeout_min,
            "mem_cap_gb": args.mem_cap_gb,
            "repeats": args.repeats,
            "quick": args.quick,
            "targets": TARGETS,
            "duckdb_memory_limit": args.duckdb_memory_limit,
        },
        "sizes": {},
    }
    if args.merge and args.results.exists():
        previous = json.loads(args.results.read_text(encoding="utf-8"))
        kept = [k for k in previous.get("sizes", {}) if int(k) not in args.sizes]
        results["sizes"] = {k: previous["sizes"][k] for k in kept}
        # Entries from before entries carried their sitting: the run that measured them, as far as the file says.
        earlier = previous.get("merged_from_previous_run") or {}

        def stamp(entry: dict, key: str, listed_under: str) -> None:
            if "sitting" not in entry:
                by = earlier if key in earlier.get(listed_under, []) else previous
                entry["sitting"] = from_machine(by.get("run_date"), by.get("machine"))

        for k in kept:
            stamp(results["sizes"][k], k, "sizes")
        for key, skipped in (
            ("build_vs_floor", args.skip_build),
            ("cold_query", args.skip_build),
            ("bootstrap", args.skip_bootstrap),
        ):
            if skipped and key in previous:
                results[key] = previous[key]
                stamp(results[key], key, "other")
        results["settings"]["sizes"] = sorted({*map(int, kept), *args.sizes})
    try:
        for n in args.sizes:
            results["sizes"][str(n)] = bench_size(n, root, args)
            _save(results, args)  # a partial file is better than none if a later size takes the machine down
        if not args.skip_build:
            results["build_vs_floor"] = bench_build_vs_floor(root, args)
            _save(results, args)
            results["cold_query"] = bench_cold_query(root, args, Path(results["build_vs_floor"]["warehouse"]))
        if not args.skip_bootstrap:
            results["bootstrap"] = bench_bootstrap(root, args)
    finally:
        _save(results, args)
        if not args.keep and args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    for row in results["targets"]:
        print(
            f"{'    ' if row['met'] is None else 'MET ' if row['met'] else 'MISS'} {row['measurement']}: {row['measured']} (target {row['target']})"
        )
    print(f"wrote {args.markdown} and {args.results}")
    return 0


def _save(results: dict, args) -> None:
    results["growth_exponents"] = growth_exponents(results["sizes"], "pipeline")
    from benchmarks import scale_bench

    results["targets"] = scale_bench.revise_targets(evaluate_targets(results), results)  # issue 14's scale targets
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    write_markdown(results, args.markdown)


if __name__ == "__main__":
    sys.exit(main())
