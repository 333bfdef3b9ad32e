"""A tiny run of the benchmark tools, so they keep working (the real benchmark is `make bench`)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from benchmarks import generate, instruction_count, pandas_reference, pipeline_bench, run, scale_bench
from pipelines.lib.sources import count_csv_records, load_snapshot, sha256_of, verify_snapshot

ROWS = 2_000


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "sources"
    manifest = generate.build_sources(out, ROWS, seed=7)
    return out, manifest


def _csv(sources):
    return sources / "epoch_notable_models" / generate.VERSION / "notable_ai_models.csv"


def test_header_is_the_real_one_and_manifest_matches_the_file(synthetic):
    sources, manifest = synthetic
    with open(generate.REAL_FILE, newline="", encoding="utf-8-sig") as handle:
        real_header = next(csv.reader(handle))
    with open(_csv(sources), newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == real_header
    data = _csv(sources).read_bytes()
    assert manifest["file"]["rows"] == ROWS == count_csv_records(data)
    assert manifest["file"]["size_bytes"] == len(data)
    snapshot = load_snapshot(sources, "epoch_notable_models")
    assert verify_snapshot(snapshot) == sha256_of(_csv(sources)) == manifest["file"]["sha256"]
    for other in ("epoch_ml_hardware", "epoch_gpu_clusters", "fred_ppi_data_processing", "ember_country_electricity"):
        verify_snapshot(load_snapshot(sources, other))  # copied unchanged, checksums hold


def test_dirty_rows_are_present(synthetic):
    sources, _ = synthetic
    frame = pl.read_csv(_csv(sources), infer_schema=False)
    dates = frame["Publication date"]
    compute = frame["Training compute (FLOP)"]
    assert frame["Model"].n_unique() < ROWS  # duplicated names
    assert dates.null_count() > 0  # missing dates
    assert (dates.drop_nulls().str.slice(0, 10) > generate.VERSION).any()  # future dates
    assert (
        compute.drop_nulls().cast(pl.Float64, strict=False).null_count() > 0
        or frame["Parameters"].drop_nulls().cast(pl.Float64, strict=False).null_count() > 0
    )  # unparsable numbers
    assert frame["Domain"].value_counts(sort=True)["Domain"][0] == "Language"


def test_generator_is_deterministic_for_a_seed(synthetic, tmp_path):
    sources, manifest = synthetic
    again = generate.build_sources(tmp_path / "again", ROWS, seed=7)
    assert again["file"]["sha256"] == manifest["file"]["sha256"]
    other = generate.build_sources(tmp_path / "other", ROWS, seed=8)
    assert other["file"]["sha256"] != manifest["file"]["sha256"]


def test_force_keeps_a_folder_holding_the_same_file_and_regenerates_any_other(tmp_path):
    out = tmp_path / "sources"
    first = generate.build_sources(out, 200, seed=7)
    csv = out / "epoch_notable_models" / generate.VERSION / "notable_ai_models.csv"
    written = csv.stat().st_mtime_ns
    assert generate.build_sources(out, 200, seed=7, force=True) == first
    assert csv.stat().st_mtime_ns == written  # not written again
    other = generate.build_sources(out, 200, seed=8, force=True)  # other settings: replaced
    assert other["file"]["sha256"] != first["file"]["sha256"]
    data = csv.read_bytes()
    csv.write_bytes(data[:-1] + (b"x" if data[-1:] != b"x" else b"y"))  # same size, edited: regenerated
    assert generate.build_sources(out, 200, seed=8, force=True)["file"]["sha256"] == other["file"]["sha256"]
    assert csv.read_bytes() == data


def test_pipeline_bench_runs_every_stage_in_process(synthetic, tmp_path):
    sources, _ = synthetic
    out = tmp_path / "pipeline.json"
    result = pipeline_bench.run_pipeline(sources, tmp_path / "work", resamples=20, out=out)
    assert result["status"] == "ok"
    assert set(pipeline_bench.STAGES) <= set(result["stages"])
    assert result["total_seconds"] > 0 and result["peak_rss_bytes"] > 0
    main = result["details"]["clean"]["epoch_notable_models"]
    assert result["details"]["raw"]["epoch_notable_models"]["rows"] == ROWS
    assert main["rejected_rows"] > 0 and main["clean_rows"] + main["rejected_rows"] == ROWS  # quarantine exercised
    assert all(t["failing_rows"] == 0 for t in result["details"]["sql_tests"].values())
    assert json.loads(out.read_text())["status"] == "ok"

    reference = pandas_reference.run(_csv(sources), generate.VERSION)
    assert reference["fits"]["frontier"]["n"] > 3


def test_measure_reports_timeouts_instead_of_crashing(tmp_path):
    done = run.measure(
        [sys.executable, "-c", "x = bytearray(50_000_000)"], log=tmp_path / "ok.log", timeout=60, mem_cap=8e9
    )
    assert done["status"] == "ok" and done["peak_rss_bytes"] > 50_000_000
    slow = run.measure(
        [sys.executable, "-c", "import time; time.sleep(30)"], log=tmp_path / "slow.log", timeout=0.5, mem_cap=8e9
    )
    assert slow["status"] == "timeout" and slow["wall_seconds"] < 10


def test_a_merged_report_names_the_sitting_of_each_measurement(tmp_path):
    """`--merge` keeps what a run does not redo; the report says which sitting measured each
    entry (an entry from before entries carried one gets the sitting of the run that wrote it)."""
    machine = {"git_commit": "a" * 40, "pipeline_code_modified_since_commit": False, "loadavg_at_start": [3.5, 0, 0]}
    stamped = {"date": "2026-11-29", "time": "05:40", "commit": "b" * 12, "modified": False, "loadavg_at_start": 1.2}
    unrecorded = {"rows": 10_000, "pipeline": {"status": "failed"}}
    previous = {
        "run_date": "2026-11-28",
        "machine": machine,
        "sizes": {
            "10000": unrecorded,
            "100000": {"rows": 100_000, "pipeline": {"status": "failed"}, "sitting": stamped},
        },
        "bootstrap": {"status": "failed", "sitting": stamped},
    }
    results, markdown = tmp_path / "results.json", tmp_path / "BENCHMARKS.md"
    results.write_text(json.dumps(previous), encoding="utf-8")
    args = ["--sizes", "", "--skip-build", "--skip-bootstrap", "--merge", "--results", str(results)]
    assert run.main([*args, "--markdown", str(markdown), "--workdir", str(tmp_path / "work")]) == 0
    merged = json.loads(results.read_text(encoding="utf-8"))
    assert merged["sizes"]["10000"]["sitting"]["commit"] == "a" * 12
    assert merged["sizes"]["100000"]["sitting"] == stamped
    text = markdown.read_text(encoding="utf-8")
    assert "- 2026-11-28, commit aaaaaaaaaaaa (load average 3.5 at the start): 10,000 rows\n" in text
    assert (
        "- 2026-11-29 05:40 UTC, commit bbbbbbbbbbbb (load average 1.2 at the start): 100,000 rows, the bootstrap\n"
        in text
    )


def test_each_scale_round_reports_its_ratios_and_the_host_probe_before_it():
    """The 1M comparison runs in interleaved rounds; the report lists every round with its ratios
    and how dear fresh memory was on the host just before it, and the median round is the middle ratio."""

    def side(raw: float, clean: float) -> dict:
        stages = {"raw": {"cpu_seconds": raw, "seconds": raw}, "clean": {"cpu_seconds": clean, "seconds": clean}}
        return {"result": {"stages": stages}}

    def round_(before: float, now: float, floor: float, probe: float | None) -> dict:
        entry = {
            "baseline": side(before, 0.0),
            "now": side(now, 0.0),
            "floor": {"result": {"total_cpu_seconds": floor}},
        }
        return {**entry, "probe": {"fresh_memory_cpu_seconds": probe}} if probe is not None else entry

    scale = {
        "baseline_commit": "c" * 40,
        "rounds": [round_(40, 20, 18, 1.2), round_(40, 18, 17, 0.1), round_(40, 22, 19, None)],
    }
    assert scale_bench.median_round(scale)["round"] == 1
    lines = scale_bench.markdown({"sizes": {"1000000": {"scale": scale}}})
    rounds = [line for line in lines if line.startswith("- Round")]
    assert rounds == [
        "- Round 1: before 40.0, now 20.0 (0.500×), the floor 18.0 CPU-s (0.450×); host probe before the round "
        "1.20 CPU-s for 256 MiB of fresh memory",
        "- Round 2: before 40.0, now 18.0 (0.450×), the floor 17.0 CPU-s (0.425×); host probe before the round "
        "0.10 CPU-s for 256 MiB of fresh memory",
        "- Round 3: before 40.0, now 22.0 (0.550×), the floor 19.0 CPU-s (0.475×)",
    ]


@pytest.mark.slow  # callgrind runs Python 30-60x slower: about 15 s
@pytest.mark.skipif(shutil.which("callgrind_control") is None, reason="valgrind is not installed")
def test_instruction_count_reads_the_dumps_a_child_asks_callgrind_for(tmp_path):
    """The instruction yardstick counts what runs between a child's dumps, under a real callgrind."""
    work, prefix = tmp_path, tmp_path / "callgrind.out"
    code = (
        "from benchmarks.instruction_count import _dump\n"
        "_dump('between-x')\n"
        "_dump('measured-small'); sum(range(10_000))\n"
        "_dump('measured-large'); sum(range(3_000_000))\n"
        "_dump('measured-last')\n"
    )
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}", sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        check=True,
        capture_output=True,
    )
    totals = instruction_count.dump_totals(prefix)
    assert {"between-x", "measured-small", "measured-large", "measured-last"} <= totals.keys()
    # Each dump holds what ran since the one before: the 3-million-step loop sits in "measured-last".
    assert totals["measured-last"] > 10 * totals["measured-large"] > 0
    assert instruction_count._measured(subprocess.Popen(["true"]), work) == sum(
        v for k, v in totals.items() if k.startswith("measured-")
    )
