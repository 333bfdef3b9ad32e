"""The bundled build against its import floor, and a cold `flopcast query "select 1"`, side by side.

Part of `python -m benchmarks.run` (`make bench`; alone: `python -m benchmarks.run --sizes "" --merge
--skip-bootstrap`). Each command is its own child process, measured by `run.measure` (wall time
around the child; CPU = user + system time of the child and of every process it waited for, so the
build's great-expectations helper counts; peak RSS of the whole process tree, sampled).

- **Import floor, recorded**: a script importing every module the build imports, in the order it
  imports them, once: the warm-up build runs with PYTHONPROFILEIMPORTTIME=1 (its helper process
  inherits it), and every module named in that log except the project's own (`pipelines.*`) goes
  into the script. This is "exactly what the build imports", including what the libraries load
  lazily (Dagster's SQLite storage, pyarrow.dataset and pandas, matplotlib's Agg backend).
- **Import floor, listed libraries**: `python -c "import dagster, polars, duckdb, numpy, pyarrow,
  great_expectations, matplotlib, sqlglot"`, the floor as earlier runs measured it (without those
  lazy imports), kept for comparison.
- The build may overlap its imports (it imports great-expectations and matplotlib in a helper
  process, on another core), so on an idle machine with two cores its wall time may come closer to
  the floor than its CPU time does.
- **Build**: `flopcast build --sources-dir sources --warehouse-dir <fresh folder>` on the bundled
  snapshots (about 1,000 runs), with the defaults (2,000 bootstrap resamples per fit).
- The floors and the build alternate (floor, recorded floor, build, ...) after one warm-up of each,
  so drifting load on the machine hits all alike; the ratio is of the medians, and the smallest
  build / floor ratio of a round is given beside it (the least disturbed round on a shared machine).
- **Cold query**: `flopcast query "select 1" --warehouse-dir <the warehouse built above>`, a new
  process each time, beside its own floor, `python -c "import duckdb"`, alternating likewise.
"""

from __future__ import annotations

import shutil
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks.sitting import describe
from benchmarks.sitting import sitting as measured_sitting

FLOOR_IMPORTS = "import dagster, polars, duckdb, numpy, pyarrow, great_expectations, matplotlib, sqlglot"
QUERY_FLOOR_IMPORTS = "import duckdb"
BUILD_OVER_FLOOR_TARGET = 2.0  # issue 14
COLD_QUERY_TARGET_SECONDS = 1.0


def _flopcast(project_root: Path) -> list[str]:
    script = Path(sys.executable).with_name("flopcast")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pipelines.cli"]


def _medians(runs: list[dict]) -> tuple[float | None, float | None]:
    ok = [r for r in runs if r["status"] == "ok"]
    if not ok:
        return None, None
    return statistics.median(r["wall_seconds"] for r in ok), statistics.median(r["cpu_seconds"] for r in ok)


def recorded_modules(importtime_log: Path) -> list[str]:
    """Every module an importtime log (PYTHONPROFILEIMPORTTIME=1) names, in order, without the project's."""
    names = []
    for line in importtime_log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name and "[us]" not in line and not name.startswith(("pipelines", "benchmarks")):
                names.append(name)
    return list(dict.fromkeys(names))


def _floor_script(modules: list[str], path: Path) -> Path:
    path.write_text(
        "import importlib\n"
        f"MODULES = {modules!r}\n"
        "failed = []\n"
        "for name in MODULES:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:  # a module a library loads in a way a plain import cannot repeat\n"
        "        failed.append(name)\n"
        "print(len(MODULES), 'modules;', len(failed), 'not importable alone:', failed)\n",
        encoding="utf-8",
    )
    return path


def bench_build_vs_floor(
    root: Path, repeats: int, measure: Callable[..., dict], limits: dict, project_root: Path
) -> dict:
    logs = root / "logs"
    listed_cmd = [sys.executable, "-c", FLOOR_IMPORTS]

    def build(name: str, env: dict | None = None) -> dict:
        warehouse = root / f"build-{name}"
        run = measure(
            [
                *_flopcast(project_root),
                "build",
                "--sources-dir",
                str(project_root / "sources"),
                "--warehouse-dir",
                str(warehouse),
            ],
            log=logs / f"build-{name}.log",
            env=env,
            **limits,
        )
        if name != "warm-up":
            shutil.rmtree(warehouse, ignore_errors=True)
        return run

    sitting = measured_sitting(project_root)
    print("[build] import floors and the bundled build, alternating", flush=True)
    measure(listed_cmd, log=logs / "floor-warm-up.log", **limits)  # the page cache and .pyc files
    warm = build("warm-up", env={"PYTHONPROFILEIMPORTTIME": "1"})  # kept: the cold queries read its warehouse
    modules = recorded_modules(logs / "build-warm-up.log")
    recorded_cmd = [sys.executable, str(_floor_script(modules, root / "floor_recorded.py"))]
    measure(recorded_cmd, log=logs / "floor-recorded-warm-up.log", **limits)
    listed, recorded, builds = [], [], []
    for i in range(repeats):
        listed.append(measure(listed_cmd, log=logs / f"floor-{i}.log", **limits))
        recorded.append(measure(recorded_cmd, log=logs / f"floor-recorded-{i}.log", **limits))
        builds.append(build(str(i)))
    result = {
        "floor_command": f'python -c "{FLOOR_IMPORTS}"',
        "recorded_floor_command": f"python floor_recorded.py ({len(modules)} modules the build imported)",
        "recorded_modules": modules,
        "build_command": "flopcast build --sources-dir sources --warehouse-dir <new folder>",
        "floor_runs": listed,
        "recorded_floor_runs": recorded,
        "build_runs": builds,
        "warm_up_build": warm,
        "warehouse": str(root / "build-warm-up"),
        "sitting": sitting,
    }
    result["floor_seconds"], result["floor_cpu_seconds"] = _medians(listed)
    result["recorded_floor_seconds"], result["recorded_floor_cpu_seconds"] = _medians(recorded)
    result["build_seconds"], result["build_cpu_seconds"] = _medians(builds)
    if result["recorded_floor_seconds"] and result["build_seconds"]:
        result["ratio"] = result["build_seconds"] / result["recorded_floor_seconds"]
        result["cpu_ratio"] = result["build_cpu_seconds"] / result["recorded_floor_cpu_seconds"]
        result["listed_ratio"] = result["build_seconds"] / result["floor_seconds"]
        rounds = [
            b["wall_seconds"] / f["wall_seconds"]
            for b, f in zip(builds, recorded)
            if b["status"] == "ok" and f["status"] == "ok"
        ]
        result["best_round_ratio"] = min(rounds) if rounds else None
    return result


def bench_cold_query(
    root: Path, warehouse: Path, repeats: int, measure: Callable[..., dict], limits: dict, project_root: Path
) -> dict:
    logs = root / "logs"
    floor_cmd = [sys.executable, "-c", QUERY_FLOOR_IMPORTS]
    query_cmd = [*_flopcast(project_root), "query", "select 1", "--warehouse-dir", str(warehouse)]
    print('[query] cold `flopcast query "select 1"` and `import duckdb`, alternating', flush=True)
    measure(query_cmd, log=logs / "query-warm-up.log", **limits)
    floors, queries = [], []
    for i in range(repeats):
        floors.append(measure(floor_cmd, log=logs / f"query-floor-{i}.log", **limits))
        queries.append(measure(query_cmd, log=logs / f"query-{i}.log", **limits))
    result = {
        "floor_command": f'python -c "{QUERY_FLOOR_IMPORTS}"',
        "query_command": 'flopcast query "select 1"',
        "floor_runs": floors,
        "query_runs": queries,
        "sitting": measured_sitting(project_root),
    }
    result["floor_seconds"], result["floor_cpu_seconds"] = _medians(floors)
    result["query_seconds"], result["query_cpu_seconds"] = _medians(queries)
    return result


def _s(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.2f} s"


def target_rows(results: dict) -> list[dict]:
    rows = []
    b = results.get("build_vs_floor", {})
    if b.get("ratio") and b.get("recorded_floor_seconds"):
        rows.append(
            {
                "measurement": "bundled `flopcast build` / import floor (wall, medians of one run)",
                "target": f"≤ {BUILD_OVER_FLOOR_TARGET:g}×",
                "measured": f"{b['ratio']:.2f}× ({_s(b['build_seconds'])} / {_s(b['recorded_floor_seconds'])}, the "
                f"recorded floor; best round {b['best_round_ratio']:.2f}×); against the listed libraries "
                f"only {b['listed_ratio']:.2f}× ({_s(b['floor_seconds'])}); CPU {b['cpu_ratio']:.2f}×",
                "met": b["ratio"] <= BUILD_OVER_FLOOR_TARGET,
            }
        )
    elif b.get("ratio"):  # a results file from before the recorded floor
        rows.append(
            {
                "measurement": "bundled `flopcast build` / import floor",
                "target": f"≤ {BUILD_OVER_FLOOR_TARGET:g}×",
                "measured": f"{b['ratio']:.2f}× ({_s(b['build_seconds'])} / {_s(b['floor_seconds'])})",
                "met": b["ratio"] <= BUILD_OVER_FLOOR_TARGET,
            }
        )
    elif b:
        first = next((r for r in b.get("build_runs", []) if r["status"] != "ok"), None)
        rows.append(
            {
                "measurement": "bundled `flopcast build` / import floor",
                "target": f"≤ {BUILD_OVER_FLOOR_TARGET:g}×",
                "measured": f"build: {first['status'] if first else 'not run'}",
                "met": False,
            }
        )
    q = results.get("cold_query", {})
    if q.get("query_seconds") is not None:
        rows.append(
            {
                "measurement": 'cold `flopcast query "select 1"`',
                "target": f"< {COLD_QUERY_TARGET_SECONDS:g} s",
                "measured": f"{_s(q['query_seconds'])} (CPU {_s(q['query_cpu_seconds'])}; `import duckdb` alone "
                f"{_s(q['floor_seconds'])})",
                "met": q["query_seconds"] < COLD_QUERY_TARGET_SECONDS,
            }
        )
    return rows


def markdown(results: dict) -> list[str]:
    b, q = results.get("build_vs_floor", {}), results.get("cold_query", {})
    if not b and not q:
        return []
    sitting = b.get("sitting") or q.get("sitting")
    when = f" Measured {describe(sitting)}." if sitting else ""
    lines = [
        "",
        "## Bundled build against the import floor; cold query",
        "",
        "Measured side by side, alternating (`benchmarks/build_floor.py`): medians of "
        f"{len(b.get('build_runs', []))} runs each. CPU is user + system time of the process and of the "
        "processes it waited for (the build's great-expectations helper); peak RSS is of the whole process tree."
        + when,
        "",
        "| Command | Wall | CPU | Peak RSS |",
        "| --- | --- | --- | --- |",
    ]

    def peak(runs: list[dict]) -> str:
        value = max((r.get("sampled_peak_rss_bytes") or 0 for r in runs), default=0)
        return f"{value / 1e9:.2f} GB" if value else "—"

    if b:
        lines.append(
            f"| `{b['floor_command']}` | {_s(b.get('floor_seconds'))} | {_s(b.get('floor_cpu_seconds'))} | {peak(b['floor_runs'])} |"
        )
        if b.get("recorded_floor_runs"):
            lines.append(
                f"| `{b['recorded_floor_command']}` | {_s(b.get('recorded_floor_seconds'))} | "
                f"{_s(b.get('recorded_floor_cpu_seconds'))} | {peak(b['recorded_floor_runs'])} |"
            )
        lines.append(
            f"| `{b['build_command']}` | {_s(b.get('build_seconds'))} | {_s(b.get('build_cpu_seconds'))} | {peak(b['build_runs'])} |"
        )
    if q:
        lines.append(
            f"| `{q['floor_command']}` | {_s(q.get('floor_seconds'))} | {_s(q.get('floor_cpu_seconds'))} | {peak(q['floor_runs'])} |"
        )
        lines.append(
            f"| `{q['query_command']}` | {_s(q.get('query_seconds'))} | {_s(q.get('query_cpu_seconds'))} | {peak(q['query_runs'])} |"
        )
    if b.get("ratio") and not b.get("recorded_floor_runs"):  # a results file from before the recorded floor
        lines += ["", f"Build / floor (the listed libraries): {b['ratio']:.2f}× wall."]
    elif b.get("ratio"):
        per_round = [
            f"{bb['wall_seconds'] / ff['wall_seconds']:.2f}×"
            for bb, ff in zip(b["build_runs"], b.get("recorded_floor_runs", b["floor_runs"]))
            if bb["status"] == "ok" and ff["status"] == "ok"
        ]
        lines += [
            "",
            f"Build / recorded floor: {b['ratio']:.2f}× wall (rounds: {', '.join(per_round)}), "
            f"{b.get('cpu_ratio', float('nan')):.2f}× CPU; against the listed libraries {b.get('listed_ratio', float('nan')):.2f}×. "
            f"Load average (1 min) before each build: {', '.join(format(r['loadavg_1min_before'], '.1f') for r in b['build_runs'])}.",
        ]
    return lines
