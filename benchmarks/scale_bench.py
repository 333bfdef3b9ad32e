"""Scale work against its yardsticks (issue 14, point 3), run by benchmarks/run.py at --scale-sizes.

At each of those sizes, right after the pipeline run on the same synthetic sources, more child
processes, so that every ratio is measured in one run on the same machine state: SCALE_ROUNDS (run.py: --repeats)
interleaved rounds (every other one in reverse order, so that the host's drift within a round does
not always favour the same side; benchmarks/sitting.py's host probe before each) of

  baseline          raw + clean of the pipeline as it was before the scale work (BASELINE_COMMIT,
                    extracted with `git archive` into the scratch folder and run by the current
                    benchmarks/pipeline_bench.py with --stop-after clean, the extracted package first
                    on PYTHONPATH)
  now               raw + clean of the current pipeline (the same script, this checkout)
  floor             benchmarks/scale_floor.py: the smallest script doing the same raw + clean work
                    with the same guarantees (main source only, one connection, no batches)

then once

  pandas_same_work  benchmarks/pandas_same_work.py: the same work in plain pandas

The ratios use CPU seconds (user + system of every thread of the process, stage by stage:
benchmarks/pipeline_bench.py records them with time.process_time), which other work on a shared
machine disturbs less than wall time; wall seconds are reported beside them. The old pandas
reference (benchmarks/pandas_reference.py: 8 of 47 columns, nothing kept) stays as a lower bound.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

from benchmarks.sitting import host_probe

# The commit before issue 14's scale work: "today" in its targets.
BASELINE_COMMIT = "9ff4e743d5b7ce94afe9a268f6b7d7191adffef7"
SCALE_SIZES = (1_000_000,)
SCALE_ROUNDS = 3  # interleaved rounds of before, now and the floor (see bench_scale)
TARGETS = {
    "raw_clean_vs_baseline": 0.45,  # CPU-time ratio, at most
    "pandas_same_work_speedup": 2.0,  # pandas CPU / flopcast raw + clean CPU, at least
    "time_10m": 250.0,  # seconds, 10M rows end to end (raw + clean + SQL + fits), idle two cores
    "rss_10m": 4e9,
    "growth_exponent": 1.05,
}
RAW_CLEAN = ("raw", "clean")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def extract_baseline(project_root: Path, folder: Path, commit: str = BASELINE_COMMIT) -> Path:
    """The pipelines/ package of `commit` in folder (a plain copy: no worktree, nothing in .git changes)."""
    if (folder / "pipelines").is_dir():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / "baseline.tar"
    with open(archive, "wb") as out:
        subprocess.run(
            ["git", "-C", str(project_root), "archive", "--format=tar", commit, "pipelines", "dbt_like_sql"],
            stdout=out,
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    archive.unlink()
    return folder


def raw_clean_cpu(result: dict) -> float | None:
    stages = result.get("stages", {})
    if not all(s in stages and "cpu_seconds" in stages[s] for s in RAW_CLEAN):
        return None
    return sum(stages[s]["cpu_seconds"] for s in RAW_CLEAN)


def raw_clean_wall(result: dict) -> float | None:
    stages = result.get("stages", {})
    return sum(stages[s]["seconds"] for s in RAW_CLEAN) if all(s in stages for s in RAW_CLEAN) else None


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def bench_scale(
    n: int,
    sources: Path,
    root: Path,
    logs: Path,
    *,
    measure,
    limits: dict,
    env: dict,
    project_root: Path,
    baseline_commit: str = BASELINE_COMMIT,
    rounds: int = SCALE_ROUNDS,
) -> dict:
    """The baseline's raw + clean, today's and the floor, in `rounds` interleaved rounds (before,
    now, the floor; the next round in reverse order), then pandas doing the same work once, all on `sources`.

    Interleaved because this machine's speed drifts by 5-10% from one minute to the next (a shared
    virtual machine): a ratio of two runs made seconds apart is steadier than one of runs made
    minutes apart, and the median of the rounds' ratios is what the targets use."""
    manifest = _read_json(sources / "epoch_notable_models" / "2026-07-19" / "manifest.json")
    csv = sources / "epoch_notable_models" / "2026-07-19" / "notable_ai_models.csv"
    entry: dict = {"baseline_commit": baseline_commit, "rounds": []}
    tree = extract_baseline(project_root, root / f"baseline-{baseline_commit[:12]}", baseline_commit)

    def raw_and_clean(label: str, number: int, path_first: Path | None) -> dict:
        out = root / f"{label}-{n}-{number}.json"
        run = measure(
            [
                sys.executable,
                str(project_root / "benchmarks" / "pipeline_bench.py"),
                "--sources",
                str(sources),
                "--work",
                str(root / f"work-{label}-{n}"),
                "--out",
                str(out),
                "--stop-after",
                "clean",
                "--no-sql-tests",
            ],
            log=logs / f"{label}-{n}-{number}.log",
            env={**env, "PYTHONPATH": str(path_first)} if path_first else env,
            **limits,
        )
        subprocess.run(["rm", "-rf", str(root / f"work-{label}-{n}")], check=False)
        return {**run, "result": _read_json(out)}

    def floor(number: int) -> dict:
        out = root / f"floor-{n}-{number}.json"
        run = measure(
            [
                sys.executable,
                "-m",
                "benchmarks.scale_floor",
                "--sources",
                str(sources),
                "--work",
                str(root / f"work-floor-{n}"),
                "--out",
                str(out),
            ],
            log=logs / f"floor-{n}-{number}.log",
            env=env,
            **limits,
        )
        subprocess.run(["rm", "-rf", str(root / f"work-floor-{n}")], check=False)
        return {**run, "result": _read_json(out)}

    sides = {
        "baseline": (
            f"raw + clean of {baseline_commit[:12]} (before the scale work)",
            lambda k: raw_and_clean("baseline", k, tree),
        ),
        "now": ("raw + clean now", lambda k: raw_and_clean("now", k, None)),
        "floor": ("the floor of raw + clean", floor),
    }
    for number in range(1, rounds + 1):
        probe = host_probe()  # how dear fresh memory is on the host right now (benchmarks/sitting.py)
        print(
            f"[{n:,}] round {number}/{rounds}: host probe {probe['fresh_memory_cpu_seconds']:.2f} CPU-s for 256 MiB of fresh memory",
            flush=True,
        )
        # Every other round in reverse order (before, now, the floor; then the floor, now, before), so
        # that the host's drift within a round does not always favour the same side.
        order = list(sides) if number % 2 else list(reversed(sides))
        done = {}
        for side in order:
            label, run_side = sides[side]
            print(f"[{n:,}] round {number}/{rounds}: {label}", flush=True)
            done[side] = run_side(number)
        entry["rounds"].append({"probe": probe, "order": order, **done})

    print(f"[{n:,}] pandas doing the same work", flush=True)
    out = root / f"pandas-same-work-{n}.json"
    cmd = [sys.executable, "-m", "benchmarks.pandas_same_work", "--csv", str(csv), "--out", str(out)]
    if manifest.get("file", {}).get("sha256"):
        cmd += ["--sha256", manifest["file"]["sha256"]]
    run = measure(cmd, log=logs / f"pandas-same-work-{n}.log", **limits)
    entry["pandas_same_work"] = {**run, "result": _read_json(out)}
    return entry


def round_ratios(scale: dict) -> list[dict]:
    """Per complete round: the CPU seconds of before, now and the floor, and now's and the floor's ratio to before."""
    ratios = []
    for number, entry in enumerate(scale.get("rounds", []), start=1):
        before = raw_clean_cpu(entry.get("baseline", {}).get("result", {}))
        now = raw_clean_cpu(entry.get("now", {}).get("result", {}))
        floor = entry.get("floor", {}).get("result", {}).get("total_cpu_seconds")
        if before and now and floor:
            ratios.append(
                {
                    "round": number,
                    "before": before,
                    "now": now,
                    "floor": floor,
                    "now_ratio": now / before,
                    "floor_ratio": floor / before,
                    "probe": entry.get("probe"),
                }
            )
    return ratios


def median_round(scale: dict) -> dict | None:
    """The round whose now / before ratio is the median (the lower middle one of an even count)."""
    ratios = sorted(round_ratios(scale), key=lambda r: r["now_ratio"])
    return ratios[(len(ratios) - 1) // 2] if ratios else None


def _fmt(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.1f} s"


def target_rows(results: dict) -> list[dict]:
    """The issue-14 scale rows of the targets table: medians of the interleaved rounds' ratios."""
    rows = []
    for key, entry in sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        scale = entry.get("scale")
        if not scale:
            continue
        ratios = round_ratios(scale)
        pandas = scale.get("pandas_same_work", {}).get("result", {}).get("total_cpu_seconds")
        n = f"{int(key):,}"
        if ratios:
            ratio = _median([r["now_ratio"] for r in ratios])
            floor_ratio = _median([r["floor_ratio"] for r in ratios])
            each = ", ".join(f"{r['now_ratio']:.3f}" for r in ratios)
            middle = median_round(scale)
            rows.append(
                {
                    "measurement": f"{n} rows: raw + clean CPU time, vs {scale['baseline_commit'][:7]} (before), "
                    f"median of {len(ratios)} interleaved rounds",
                    "target": f"≤ {TARGETS['raw_clean_vs_baseline']:.2f}×",
                    "measured": f"{ratio:.3f}× (rounds {each}; median round {middle['now']:.1f} / "
                    f"{middle['before']:.1f} CPU-s); the floor {floor_ratio:.3f}×",
                    "met": ratio <= TARGETS["raw_clean_vs_baseline"],
                }
            )
            if pandas:
                now = _median([r["now"] for r in ratios])
                floor = _median([r["floor"] for r in ratios])
                speedup = pandas / now
                rows.append(
                    {
                        "measurement": f"{n} rows: raw + clean vs pandas doing the same work (CPU time)",
                        "target": f"≥ {TARGETS['pandas_same_work_speedup']:.0f}× faster",
                        "measured": f"{speedup:.2f}× ({now:.1f} vs pandas {pandas:.1f} CPU-s; flopcast the median of "
                        f"{len(ratios)} runs); the floor {pandas / floor:.2f}×",
                        "met": speedup >= TARGETS["pandas_same_work_speedup"],
                    }
                )
    return rows


def revise_targets(rows: list[dict], results: dict) -> list[dict]:
    """benchmarks/run.py's target rows with issue 14's scale targets: 10M rows end to end in at most
    250 s (was 60 s) and a growth exponent of at most 1.05 (was 1.1); the old pandas reference
    shown as the lower bound it is, with no target; and the rows of target_rows."""
    revised = []
    for row in rows:
        row = dict(row)
        name = row["measurement"]
        if name.startswith("10M rows: clean + load + fits"):
            big = results.get("sizes", {}).get("10000000", {}).get("pipeline", {})
            total = sum(
                v.get("seconds", 0) for k, v in big.get("result", {}).get("stages", {}).items() if k != "sql_tests"
            )
            row.update(
                measurement="10M rows end to end: raw + clean + SQL + fits (in-process total)",
                target=f"≤ {TARGETS['time_10m']:.0f} s (idle two cores)",
            )
            if big.get("status") == "ok":
                row.update(
                    measured=f"{total:.1f} s (child's wall {big.get('wall_seconds', float('nan')):.1f} s, load average "
                    f"{big.get('loadavg_1min_before', float('nan')):.1f} at its start)",
                    met=total <= TARGETS["time_10m"],
                )
        elif name.startswith("time growth exponent"):
            row["target"] = f"≤ {TARGETS['growth_exponent']}"
            if isinstance(row.get("measured"), str) and row["measured"][:1].isdigit():
                row["met"] = float(row["measured"].split()[0]) <= TARGETS["growth_exponent"]
        elif name.startswith("speed-up over the pandas reference"):
            row.update(
                measurement=name.replace(
                    "speed-up over the pandas reference",
                    "vs pandas_reference.py (8 of 47 columns, nothing kept: a lower bound)",
                ),
                target="none (a lower bound)",
                met=None,
            )
        revised.append(row)
    return revised + target_rows(results)


def markdown(results: dict) -> list[str]:
    """A section per scale size: before, now, the floor (the median round) and pandas, step by step."""
    lines = []
    for key, entry in sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        scale = entry.get("scale")
        if not scale:
            continue
        middle = median_round(scale)
        chosen = scale["rounds"][middle["round"] - 1] if middle else {}
        pandas = scale.get("pandas_same_work", {}).get("result", {})
        lines += [
            "",
            f"## Raw + clean at {int(key):,} rows: before, now, the floor, pandas doing the same work",
            "",
            "CPU seconds (every thread of the process) and wall seconds of the raw and clean work on the same "
            f"synthetic file, each in its own child process. Before = commit {scale['baseline_commit'][:12]} "
            f"(`benchmarks/scale_bench.py`). Before, now and the floor ran in {len(scale.get('rounds', []))} "
            "interleaved rounds ("
            + (
                "every other one in reverse order"
                if any("order" in r for r in scale.get("rounds", []))
                else "before, now, the floor in every round"
            )
            + "); the table shows the round with the median now / before ratio, the list under it every round.",
            "",
            "| Run | Steps (CPU-s) | CPU total | Wall | Peak RSS | Clean / rejected rows / rejected cells |",
            "| --- | --- | --- | --- | --- | --- |",
        ]

        def counts(details: dict) -> str:
            c = details.get("clean", {}).get("epoch_notable_models", {}) if "clean" in details else details
            if not c:
                return "—"
            cells = c.get("rejected_cells")  # None: the run did not count them
            return (
                f"{c.get('clean_rows', 0):,} / {c.get('rejected_rows', 0):,} / {'—' if cells is None else f'{cells:,}'}"
            )

        runs = []
        for label, name in (("before (raw, clean stages)", "baseline"), ("now (raw, clean stages)", "now")):
            run = chosen.get(name, {})
            result = run.get("result", {})
            runs.append((label, run, result, result.get("stages", {}), raw_clean_cpu(result), raw_clean_wall(result)))
        floor_run = chosen.get("floor", {})
        floor = floor_run.get("result", {})
        runs.append(
            (
                "the floor (scale_floor.py)",
                floor_run,
                floor,
                floor.get("stages", {}),
                floor.get("total_cpu_seconds"),
                floor.get("total_seconds"),
            )
        )
        runs.append(
            (
                "pandas, same work",
                scale.get("pandas_same_work", {}),
                pandas,
                pandas.get("stages", {}),
                pandas.get("total_cpu_seconds"),
                pandas.get("total_seconds"),
            )
        )
        for label, run, result, steps, total, wall in runs:
            shown = {k: v for k, v in steps.items() if k not in ("sql_models", "trend_fits", "sql_tests")}
            step_text = ", ".join(f"{k} {v.get('cpu_seconds', float('nan')):.1f}" for k, v in shown.items()) or run.get(
                "status", "not run"
            )
            rss = run.get("peak_rss_bytes")
            lines.append(
                f"| {label} | {step_text} | {_fmt(total).replace(' s', ' CPU-s')} | {_fmt(wall)} | "
                f"{f'{rss / 1e9:.2f} GB' if rss else '—'} | "
                f"{counts(result.get('details', result)) if result else '—'} |"
            )
        lines.append("")
        for r in round_ratios(scale):
            lines.append(
                f"- Round {r['round']}: before {r['before']:.1f}, now {r['now']:.1f} ({r['now_ratio']:.3f}×), "
                f"the floor {r['floor']:.1f} CPU-s ({r['floor_ratio']:.3f}×)"
                + (
                    f"; host probe before the round {r['probe']['fresh_memory_cpu_seconds']:.2f} CPU-s for 256 MiB "
                    "of fresh memory"
                    if r.get("probe")
                    else ""
                )
            )
    return lines
