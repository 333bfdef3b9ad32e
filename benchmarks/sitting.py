"""When, on what code and on how busy a machine a measurement ran (its sitting).

`benchmarks.run --merge` keeps the sizes and results a run does not redo, so one BENCHMARKS.md can
hold measurements from several sittings; each entry carries its own sitting and the report says
which sitting measured what, instead of describing only the latest run.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


PROBE_BYTES = 1 << 28  # 256 MiB of fresh memory


def host_probe() -> dict:
    """CPU seconds to touch 256 MiB of fresh memory and to run a pure Python loop, in this process.

    The load average does not see a shared host's other guests: on this kind of VM a page touched
    for the first time costs several times more when the host is busy (3 s of system time per GiB
    against under 0.3 s), and memory-heavy work (DuckDB, polars, pyarrow) slows far more than
    Python-bound work. Two sittings' probes tell whether their times can be compared."""
    start = time.process_time()
    block = bytearray(PROBE_BYTES)  # zero-filled: every page is touched
    fresh = time.process_time() - start
    del block
    start = time.process_time()
    sum(range(10_000_000))
    return {
        "fresh_memory_cpu_seconds": round(fresh, 3),
        "python_loop_cpu_seconds": round(time.process_time() - start, 3),
    }


def sitting(project_root: Path = PROJECT_ROOT) -> dict:
    """This moment's sitting: UTC date and time, commit (and whether pipeline code differs from
    it), the 1-minute load average, and host_probe()."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], cwd=project_root, capture_output=True, text=True
    ).stdout.strip()
    modified = bool(
        subprocess.run(
            # the code that runs; not the results files a run itself rewrites
            [
                "git",
                "status",
                "--porcelain",
                "--",
                "pipelines",
                "dbt_like_sql",
                "benchmarks",
                ":!benchmarks/results.json",
            ],
            cwd=project_root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    now = dt.datetime.now(dt.UTC)
    return {
        "date": now.date().isoformat(),
        "time": now.strftime("%H:%M"),
        "commit": commit,
        "modified": modified,
        "loadavg_at_start": round(os.getloadavg()[0], 1),
        "probe": host_probe(),
    }


def from_machine(run_date: str | None, machine: dict | None) -> dict:
    """The sitting of an entry written before entries carried one: the run that wrote the file."""
    machine = machine or {}
    return {
        "date": run_date or "?",
        "time": None,
        "commit": (machine.get("git_commit") or "?")[:12],
        "modified": bool(machine.get("pipeline_code_modified_since_commit")),
        "loadavg_at_start": round((machine.get("loadavg_at_start") or [float("nan")])[0], 1),
    }


def describe(s: dict) -> str:
    """'2026-11-30 13:05 UTC, commit abc123def456 (load average 1.2 at the start)'."""
    when = f"{s['date']} {s['time']} UTC" if s.get("time") else s["date"]
    code = (f"commit {s['commit']}" if s.get("commit") not in (None, "", "?") else "commit not recorded") + (
        " with uncommitted changes" if s.get("modified") else ""
    )
    probe = s.get("probe")
    speed = (
        f"; {probe['fresh_memory_cpu_seconds']:.2f} CPU-s to touch 256 MiB of fresh memory, "
        f"{probe['python_loop_cpu_seconds']:.2f} for a Python loop"
        if probe
        else ""
    )
    return f"{when}, {code} (load average {s['loadavg_at_start']} at the start{speed})"


def sittings_lines(measured: list[tuple[str, dict]]) -> list[str]:
    """One bullet per sitting, oldest first, naming what it measured; `measured` is (what, sitting)."""
    grouped: dict[tuple, tuple[dict, list[str]]] = {}
    for what, s in measured:
        key = (s["date"], s.get("time") or "", s["commit"], bool(s.get("modified")), s["loadavg_at_start"])
        grouped.setdefault(key, (s, []))[1].append(what)
    return [f"- {describe(s)}: {', '.join(whats)}" for _, (s, whats) in sorted(grouped.items(), key=lambda kv: kv[0])]
