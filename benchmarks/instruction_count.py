"""Raw + clean in instructions, not seconds: a yardstick that a busy shared machine does not move.

    python -m benchmarks.instruction_count [--rows 100000] [--workdir DIR] [--out result.json]

The scale targets are CPU-time ratios (benchmarks/scale_bench.py), and on this kind of host the
CPU time of the same run moves by 2-3x from one hour to the next: memory-heavy work (DuckDB's CSV
reader and Parquet writer) slows down most when a neighbour uses the memory bandwidth, so even a
ratio measured in one run drifts. This counts the instructions each side executes, under valgrind's
callgrind, which come out the same on a calm host and a loaded one:

  before   raw + clean of BASELINE_COMMIT (scale_bench's baseline, the pipeline before the scale work)
  now      raw + clean of this checkout (benchmarks/pipeline_bench.py --stop-after clean)
  floor    benchmarks/scale_floor.py (the main source only)

each on the same generated sources, counting only between the start of raw and the end of clean
(imports and start-up are left out: the child asks callgrind to dump its counters at those points).

On one thread each (POLARS_MAX_THREADS=1, FLOPCAST_DUCKDB_THREADS=1): callgrind runs a program's
threads one at a time, so a thread that spins while waiting for another would count millions of
instructions it does not execute on a real machine. The count is the work; what two threads add or
save in CPU time is what scale_bench measures. An instruction is not a fixed time (a cache miss
costs more than an add), so this is evidence beside the CPU-time ratio, not a replacement for it;
and valgrind presents a CPU without SHA extensions or AVX-512, so libraries take other code paths
than natively (the snapshot's sha256, which every side computes, counts several times its native cost).

Needs valgrind (callgrind and callgrind_control); about 10 minutes at 100,000 rows on two cores
(callgrind runs a program 30-60x slower).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROWS = 100_000
ONE_THREAD = {"POLARS_MAX_THREADS": "1", "FLOPCAST_DUCKDB_THREADS": "1", "GX_ANALYTICS_ENABLED": "false"}
_DUMP_PREFIX = "measured-"  # the dumps that hold the measured work (the others hold what ran between)


def _dump(label: str) -> None:
    """Ask callgrind to write the counts since the previous dump, labelled, and start again from zero."""
    subprocess.run(["callgrind_control", "-d", label, str(os.getpid())], check=True, stdout=subprocess.DEVNULL)


def _child(which: str, args: list[str]) -> int:
    """Run pipeline_bench (raw and clean measured) or scale_floor (its run measured) under callgrind."""
    sys.path.append(str(PROJECT_ROOT))  # after PYTHONPATH: the baseline's pipelines/ comes first
    if which == "pipeline":
        sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
        import pipeline_bench

        stage = pipeline_bench.Recorder.stage

        def measured_stage(self, name, fn, *a, **k):
            _dump(f"between-{name}")
            try:
                return stage(self, name, fn, *a, **k)
            finally:
                _dump(f"{_DUMP_PREFIX}{name}")

        pipeline_bench.Recorder.stage = measured_stage
        return pipeline_bench.main(args)
    from benchmarks import scale_floor

    run = scale_floor.run

    def measured_run(*a, **k):
        _dump("between-floor")
        try:
            return run(*a, **k)
        finally:
            _dump(f"{_DUMP_PREFIX}floor")

    scale_floor.run = measured_run
    return scale_floor.main(args)


def dump_totals(prefix: Path) -> dict[str, int]:
    """{dump label: instructions} of callgrind's output files prefix, prefix.1, prefix.2, ..."""
    totals = {}
    for path in sorted(prefix.parent.glob(prefix.name + "*")):
        text = path.read_text(encoding="utf-8", errors="replace")
        label = re.search(r"^desc: Trigger: (?:Client Request: )?(?:dump )?(.*)$", text, re.M)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if label and total:
            totals[label.group(1).strip()] = int(total.group(1))
    return totals


def count(which: str, sources: Path, work: Path, *, baseline_tree: Path | None = None) -> subprocess.Popen:
    """Start one measured child under callgrind; its dumps go to work/callgrind.out*."""
    work.mkdir(parents=True, exist_ok=True)
    child_args = ["--sources", str(sources), "--work", str(work / "data")]
    if which == "pipeline":
        child_args += ["--stop-after", "clean", "--no-sql-tests"]
    env = {**os.environ, **ONE_THREAD}
    if baseline_tree is not None:
        env["PYTHONPATH"] = str(baseline_tree)
    command = [
        "valgrind",
        "--tool=callgrind",
        "--cache-sim=no",
        "--branch-sim=no",
        f"--callgrind-out-file={work / 'callgrind.out'}",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        which,
        *child_args,
    ]
    with open(work / "child.log", "wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _measured(proc: subprocess.Popen, work: Path) -> int:
    """The measured instructions of a finished child (the sum of its measured-* dumps)."""
    if proc.wait() != 0:
        raise RuntimeError(f"{' '.join(map(str, proc.args[-6:]))} failed: see {work / 'child.log'}")
    totals = dump_totals(work / "callgrind.out")
    measured = {k: v for k, v in totals.items() if k.startswith(_DUMP_PREFIX)}
    if not measured:
        raise RuntimeError(f"no measured dump in {work}: is callgrind_control on PATH?")
    return sum(measured.values())


def measure(rows: int, workdir: Path) -> dict:
    """Instructions of before, now and the floor on `rows` generated rows, and the two ratios."""
    from benchmarks import generate, scale_bench

    sources = workdir / "sources"
    if not sources.is_dir():
        generate.build_sources(sources, rows, seed=generate.DEFAULT_SEED)
    tree = scale_bench.extract_baseline(PROJECT_ROOT, workdir / "baseline", scale_bench.BASELINE_COMMIT)
    print(f"[{rows:,}] before and now under callgrind (a few minutes)", flush=True)
    before = count("pipeline", sources, workdir / "before", baseline_tree=tree)
    now = count("pipeline", sources, workdir / "now")
    counts = {"before": _measured(before, workdir / "before"), "now": _measured(now, workdir / "now")}
    print(f"[{rows:,}] the floor under callgrind", flush=True)
    counts["floor"] = _measured(count("floor", sources, workdir / "floor"), workdir / "floor")
    return {
        "rows": rows,
        "baseline_commit": scale_bench.BASELINE_COMMIT,
        "instructions": counts,
        "now_ratio": counts["now"] / counts["before"],
        "floor_ratio": counts["floor"] / counts["before"],
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child(argv[1], argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--workdir", type=Path, help="scratch space (default: a temporary directory)")
    parser.add_argument("--out", type=Path, help="write the result here as JSON")
    args = parser.parse_args(argv)
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="flopcast-instructions-") as scratch:
        result = measure(args.rows, args.workdir or Path(scratch))
    counts = result["instructions"]
    print(
        f"[{args.rows:,}] raw + clean in instructions: before {counts['before']:,}, now {counts['now']:,} "
        f"({result['now_ratio']:.3f}x), the floor {counts['floor']:,} ({result['floor_ratio']:.3f}x)"
    )
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
