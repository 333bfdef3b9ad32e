"""The `flopcast` command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def flopcast(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=600
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def cli_warehouse(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("cli") / "warehouse"
    result = flopcast("build", "--warehouse-dir", str(warehouse), check=True)
    return warehouse, result.stdout


def test_build_shows_progress_and_a_summary(cli_warehouse):
    warehouse, out = cli_warehouse
    assert "ok    raw__epoch_notable_models" in out
    assert "ok    check clean/notable_models:row_conservation" in out
    assert "marts.training_runs" in out and "Quarantined rows by source" in out
    assert "Build succeeded" in out and str(warehouse / "flopcast.duckdb") in out


def test_query_answers_from_the_published_file(cli_warehouse):
    warehouse, _ = cli_warehouse
    rows = json.loads((warehouse / "manifest.json").read_text())["tables"]["marts.training_runs"]["rows"]
    result = flopcast(
        "query",
        "select count(*) as n from marts.training_runs",
        "--format",
        "json",
        "--warehouse-dir",
        str(warehouse),
        check=True,
    )
    assert json.loads(result.stdout) == [{"n": rows}]
    csv_out = flopcast(
        "query",
        "select model_id from marts.frontier_runs order by model_id limit 2",
        "--format",
        "csv",
        "--warehouse-dir",
        str(warehouse),
        check=True,
    ).stdout.splitlines()
    assert csv_out[0] == "model_id" and len(csv_out) == 3
    table = flopcast(
        "query", "select reasons from quarantine.rejected_rows", "--warehouse-dir", str(warehouse), check=True
    ).stdout
    assert "publication_date: missing" in table


@pytest.mark.parametrize(
    "sql",
    [
        "delete from marts.training_runs",
        "create table marts.x as select 1",
        "attach 'other.duckdb' as o",
        "copy marts.training_runs to 'out.csv'",
    ],
)
def test_query_refuses_writes(cli_warehouse, sql):
    warehouse, _ = cli_warehouse
    before = (warehouse / "flopcast.duckdb").read_bytes()
    result = flopcast("query", sql, "--warehouse-dir", str(warehouse))
    assert result.returncode == 2 and "refused" in result.stderr
    assert (warehouse / "flopcast.duckdb").read_bytes() == before


def test_export_copies_parquet_and_refuses_to_overwrite(cli_warehouse, tmp_path):
    warehouse, _ = cli_warehouse
    dest = tmp_path / "out"
    flopcast(
        "export",
        "--to",
        str(dest),
        "--tables",
        "marts.training_runs,marts.frontier_runs",
        "--warehouse-dir",
        str(warehouse),
        check=True,
    )
    assert (dest / "marts" / "training_runs.parquet").read_bytes() == (
        warehouse / "parquet/marts/training_runs.parquet"
    ).read_bytes()
    assert (dest / "manifest.json").is_file()
    again = flopcast("export", "--to", str(dest), "--tables", "marts.training_runs", "--warehouse-dir", str(warehouse))
    assert again.returncode == 2 and "--force" in again.stderr
    flopcast(
        "export",
        "--to",
        str(dest),
        "--tables",
        "marts.training_runs",
        "--force",
        "--warehouse-dir",
        str(warehouse),
        check=True,
    )
    unknown = flopcast("export", "--to", str(dest), "--tables", "marts.nope", "--warehouse-dir", str(warehouse))
    assert unknown.returncode == 2 and "marts.nope" in unknown.stderr


def _add_gpt4_compute(sources, value: str, citation: str, *extra: str, check: bool = False):
    """`flopcast curate add` of GPT-4's training compute (the model and field every case here uses)."""
    what = ["--model-id", "gpt-4-mar-2023", "--field", "training_compute_flop"]
    return flopcast(
        "curate",
        "add",
        "--sources-dir",
        str(sources),
        *what,
        "--value",
        value,
        "--citation",
        citation,
        *extra,
        check=check,
    )


def test_curate_check_and_add(tmp_path):
    from tests.conftest import copy_sources

    sources = copy_sources(tmp_path / "sources")
    assert "no curated values" in flopcast("curate", "check", "--sources-dir", str(sources), check=True).stdout
    bad = _add_gpt4_compute(sources, "2.2e25", "https://example.org")
    assert bad.returncode == 1 and "has no unit" in bad.stderr
    assert not (sources / "curated" / "corrections.csv").exists()  # nothing half-added
    _add_gpt4_compute(
        sources, "2.2e25 FLOP", "https://example.org/paper", "--author", "ana", "--date", "2026-08-01", check=True
    )
    text = (sources / "curated" / "corrections.csv").read_text()
    assert text.splitlines()[1].startswith("correct,gpt-4-mar-2023,") and "https://example.org/paper" in text
    assert "baseline: 1 value(s)" in flopcast("curate", "check", "--sources-dir", str(sources), check=True).stdout


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_query_into_a_closed_pipe_exits_quietly(cli_warehouse, fmt):
    """`flopcast query ... | head -2`: no BrokenPipeError traceback, exit status 0."""
    warehouse, _ = cli_warehouse
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "query",
            "select * from range(300000)",
            "--no-limit",
            "--format",
            fmt,
            "--warehouse-dir",
            str(warehouse),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first_lines = [process.stdout.readline() for _ in range(2)]
    process.stdout.close()  # what head does after its two lines
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, stderr
    assert all(first_lines) and "Error" not in stderr and "Traceback" not in stderr, stderr


def test_query_show_tables_and_explain(cli_warehouse):
    warehouse, _ = cli_warehouse
    tables = flopcast("query", "show tables", "--format", "csv", "--warehouse-dir", str(warehouse), check=True)
    assert "marts,training_runs" in tables.stdout and "quarantine,rejected_rows" in tables.stdout
    explain = flopcast(
        "query", "explain select count(*) from marts.training_runs", "--warehouse-dir", str(warehouse), check=True
    )
    assert explain.stderr == ""
    pivot = flopcast(
        "query",
        "pivot marts.yearly_summary on year in (2020, 2021) using sum(n_models)",
        "--format",
        "json",
        "--warehouse-dir",
        str(warehouse),
        check=True,
    )
    assert set(json.loads(pivot.stdout)[0]) >= {"2020", "2021"}
