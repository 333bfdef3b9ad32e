"""`flopcast query` is bounded and private (issue 17, classes 5, 6 and 9): it spills only into a
private temporary folder outside the release (removed afterwards), stops at its timeout, shows at
most --limit rows with a note, streams instead of holding every row, and never lets a cell's control
characters or formulas reach a terminal or a spreadsheet unescaped."""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.lib import query
from pipelines.lib.query import QueryTimeout, csv_lines, open_query
from tests.unit.test_query import run_query


@pytest.fixture
def warehouse(tmp_path) -> Path:
    folder = tmp_path / "warehouse"
    folder.mkdir()
    con = duckdb.connect(str(folder / "flopcast.duckdb"))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.training_runs (model VARCHAR, training_compute_flop DOUBLE)")
    con.executemany(
        "INSERT INTO marts.training_runs VALUES (?, ?)",
        [
            ("Evil\x1b[2J\x1b]0;pwned\x07Name", 1e25),
            ("nul\x00byte", 2e25),
            ('=HYPERLINK("http://x","click")', 3e25),
            ("+cmd|' /C calc'!A0", 4e25),
            ("@SUM(1)", 5e25),
            ("-2+3", 6e25),
            ("plain", 7e25),
        ],
    )
    con.close()
    return folder


def test_a_spilling_query_uses_a_private_temp_folder_outside_the_release_and_removes_it(warehouse, monkeypatch):
    made = []
    real_mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(*args, **kwargs):
        made.append(Path(real_mkdtemp(*args, **kwargs)))
        return str(made[-1])

    monkeypatch.setattr(tempfile, "mkdtemp", recording_mkdtemp)
    before = sorted(p.name for p in warehouse.iterdir())
    spilled = []
    with open_query(
        warehouse / "flopcast.duckdb",
        "select range % 1000003 as k, repeat('x', 40) as pad from range(2000000) order by k desc, pad",
        memory_limit="40MB",
    ) as (_, batches):
        next(iter(batches))
        spilled = [p for p in made[0].rglob("*") if p.is_file()]
        assert not made[0].is_relative_to(warehouse)
        assert oct(made[0].stat().st_mode & 0o777) == "0o700"  # private to this user
        assert sorted(p.name for p in warehouse.iterdir()) == before  # nothing written beside the database
    assert spilled, "the query was meant to spill; raise its size if DuckDB no longer needs to"
    assert not made[0].exists()
    assert sorted(p.name for p in warehouse.iterdir()) == before


@pytest.mark.parametrize(
    "sql",
    [
        "select count(*) from range(10000000000000)",
        "select count(*) from range(100000) a, range(100000) b, range(100000) c, range(100000) d",
        "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r",
    ],
)
def test_runaway_queries_stop_at_the_timeout(warehouse, sql):
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="did not finish within 1 s"):
        run_query(warehouse / "flopcast.duckdb", sql, timeout=1, memory_limit="200MB")
    assert time.monotonic() - started < 15


def test_the_timeout_counts_fetching_too(warehouse):
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        with open_query(warehouse / "flopcast.duckdb", "select * from range(10000000000)", timeout=1) as (_, batches):
            for _ in batches:
                time.sleep(0.01)  # a slow consumer: the query itself is fast, the rows never end
    assert time.monotonic() - started < 15


def test_the_connection_has_a_memory_limit(warehouse):
    ((value,),) = run_query(warehouse / "flopcast.duckdb", "select current_setting('memory_limit')").rows
    assert value.replace(" ", "") in ("953.6MiB", "1.0GiB", "1GB", "1000.0MB", "953.6MB")


def test_rows_are_limited_with_a_note_and_streamed_without_holding_them(warehouse, capsys):
    result = run_query(warehouse / "flopcast.duckdb", "select * from range(5000)", limit=1000)
    assert len(result.rows) == 1000 and result.truncated
    assert not run_query(warehouse / "flopcast.duckdb", "select * from range(10)", limit=1000).truncated
    assert main(["query", "select * from range(5000)", "--warehouse-dir", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1000 + 3 and "first 1000 rows shown; more rows exist" in out
    assert main(["query", "select * from range(1500)", "--no-limit", "--warehouse-dir", str(warehouse)]) == 0
    assert "(1500 rows)" in capsys.readouterr().out
    # 200,000 rows as CSV through a sink: Python holds one batch at a time, not every row (held as
    # tuples they would take about 30 MB).
    tracemalloc.start()
    written = 0
    with open_query(warehouse / "flopcast.duckdb", "select range as n, 'some text' as t from range(200000)") as (
        columns,
        batches,
    ):
        for chunk in csv_lines(columns, batches):
            written += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert written > 200000 * 10 and peak < 10_000_000, peak


def test_terminal_output_escapes_control_characters(warehouse, capsys):
    for fmt in ("table", "json"):
        assert (
            main(["query", "select model from marts.training_runs", "--format", fmt, "--warehouse-dir", str(warehouse)])
            == 0
        )
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x00" not in out and "\x07" not in out, (fmt, out)
    table = query.format_table(["model"], [("Evil\x1b[2J",), ("a\x00b",)])
    assert "Evil\\x1b[2J" in table and "a\\x00b" in table


def _models_as_csv(warehouse, *extra: str) -> int:
    """`flopcast query` of every model name, ordered by compute, as CSV."""
    sql = "select model from marts.training_runs order by training_compute_flop"
    return main(["query", sql, "--format", "csv", *extra, "--warehouse-dir", str(warehouse)])


def test_csv_neutralises_formulas_unless_raw_and_drops_nul(warehouse, capsys):
    assert _models_as_csv(warehouse) == 0
    out = capsys.readouterr().out
    assert out.endswith("plain\n")  # one newline after the last record, no blank line
    lines = out.splitlines()
    assert lines[3:7] == ['"\'=HYPERLINK(""http://x"",""click"")"', "'+cmd|' /C calc'!A0", "'@SUM(1)", "'-2+3"]
    assert lines[2] == "nulbyte" and lines[7] == "plain"
    assert _models_as_csv(warehouse, "--raw-csv") == 0
    assert capsys.readouterr().out.splitlines()[4] == "+cmd|' /C calc'!A0"
    assert query.format_csv(["n"], [(-5,), (-2.5,)]) == "n\n-5\n-2.5"  # numbers are data, not formulas


def test_bad_bounds_are_refused(warehouse, capsys):
    assert main(["query", "select 1", "--timeout", "0", "--warehouse-dir", str(warehouse)]) == 2
    assert "--timeout must be positive" in capsys.readouterr().err
