"""`flopcast query`: read-only SQL against the published warehouse (pipelines.lib.query)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.query import (
    DEFAULT_TIMEOUT_SECONDS,
    Limited,
    QueryRefused,
    check_read_only,
    format_csv,
    format_json,
    format_table,
    open_query,
)


class QueryResult(tuple):
    """(columns, rows) as a pair, plus `truncated`: more rows existed than `limit` allowed."""

    def __new__(cls, columns: list[str], rows: list[tuple], truncated: bool = False):
        result = super().__new__(cls, (columns, rows))
        result.truncated = truncated
        return result

    @property
    def columns(self) -> list[str]:
        return self[0]

    @property
    def rows(self) -> list[tuple]:
        return self[1]


def run_query(
    db_path: Path,
    sql: str,
    *,
    limit: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT_SECONDS,
    memory_limit: str | None = None,
) -> QueryResult:
    """What `flopcast query` does (open_query, then Limited), collected: the columns and up to
    `limit` rows, `.truncated` when more rows existed."""
    with open_query(db_path, sql, timeout=timeout, memory_limit=memory_limit) as (columns, batches):
        limited = Limited(batches, limit)
        kept = [row for batch in limited for row in batch]
    return QueryResult(columns, kept, limited.truncated)


ACCEPTED = [
    "select 1",
    "SELECT model_id, training_compute_flop FROM clean.notable_models WHERE training_compute_flop > 1e24;",
    "with big as (select * from clean.notable_models) select count(*) from big",
    "select 1 as x union select 2",
    "select 1 union all select 2 except select 3",
    "describe clean.notable_models",
    "DESCRIBE",
    "show tables",
    "SHOW ALL TABLES",
    "summarize clean.notable_models",
    "  select 1 ;  ",
    "pivot clean.notable_models on publication_date using count(*)",
    "unpivot clean.notable_models on training_compute_flop into name k value v",
    "explain select 1",
    "EXPLAIN ANALYZE select count(*) from clean.notable_models",
    "values (1, 2)",
]

READ_ONLY = "read-only"
# (statement, words the refusal must contain)
REFUSED = [
    ("insert into clean.notable_models values (1)", [READ_ONLY, "INSERT"]),
    ("update clean.notable_models set parameters = 0", [READ_ONLY, "UPDATE"]),
    ("delete from clean.notable_models", [READ_ONLY, "DELETE"]),
    ("create table x (a int)", [READ_ONLY, "CREATE"]),
    ("create table x as select 1", [READ_ONLY, "CREATE"]),
    ("drop table clean.notable_models", [READ_ONLY, "DROP"]),
    ("alter table clean.notable_models add column b int", [READ_ONLY, "ALTER"]),
    ("attach 'other.duckdb' as other", [READ_ONLY, "ATTACH"]),
    ("detach other", [READ_ONLY, "DETACH"]),
    ("copy clean.notable_models to '/tmp/out.csv'", [READ_ONLY, "COPY"]),
    ("copy (select 1) to '/tmp/out.parquet' (format parquet)", [READ_ONLY, "COPY"]),
    ("install httpfs", [READ_ONLY, "INSTALL"]),
    ("load httpfs", [READ_ONLY, "LOAD"]),
    ("set memory_limit = '1GB'", [READ_ONLY, "SET"]),
    ("pragma enable_profiling", [READ_ONLY, "PRAGMA"]),
    ("checkpoint", [READ_ONLY, "CHECKPOINT"]),
    ("select 1; select 2", ["one statement", "2"]),
    ("select 1; drop table clean.notable_models", ["one statement"]),
    ("show tables; drop table clean.notable_models", ["one statement"]),
    ("describe clean.notable_models; delete from clean.notable_models", ["one statement"]),
    ("select * from read_csv('/etc/passwd')", ["read_csv()", "outside the warehouse"]),
    ("select * from '/etc/passwd'", ["/etc/passwd", "refused"]),
    ("from '/etc/passwd'", ["/etc/passwd", "refused"]),
    ("select * from clean.notable_models join 'data.csv' on true", ["data.csv", "refused"]),
    ("describe '/etc/passwd'", ["/etc/passwd", "refused"]),
    ("select * from read_parquet('http://x/y.parquet')", ["read_parquet()", "outside the warehouse"]),
    ("select * from (select * from read_json_auto('s3://bucket/x.json'))", ["read_json_auto()"]),
    ("", ["empty"]),
    ("explain insert into clean.notable_models values (1)", [READ_ONLY, "INSERT"]),
    ("explain analyze copy clean.notable_models to '/tmp/out.csv'", [READ_ONLY, "COPY"]),
    ("pivot read_csv('/etc/passwd') on a using count(*)", ["read_csv()", "outside the warehouse"]),
]


@pytest.mark.parametrize("sql", ACCEPTED)
def test_queries_are_accepted(sql):
    check_read_only(sql)


@pytest.mark.parametrize("sql, words", REFUSED, ids=[sql or "<empty>" for sql, _ in REFUSED])
def test_everything_else_is_refused(sql, words):
    with pytest.raises(QueryRefused) as caught:
        check_read_only(sql)
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_refusal_explains_how_to_change_the_warehouse():
    with pytest.raises(QueryRefused, match="flopcast build"):
        check_read_only("drop table clean.notable_models")


# --- against a real DuckDB file -----------------------------------------------------------------


@pytest.fixture()
def warehouse(tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA clean")
    con.execute(
        "CREATE TABLE clean.notable_models (model_id VARCHAR, training_compute_flop DOUBLE, "
        "hardware_quantity BIGINT, publication_date DATE)"
    )
    con.execute(
        "INSERT INTO clean.notable_models VALUES "
        "('gpt-4', 2.1e25, 25000, DATE '2023-03-15'), ('resnet', 1.1e19, NULL, DATE '2015-12-10'), "
        "('tiny', NULL, 1, NULL)"
    )
    con.close()
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_query_returns_columns_and_rows(warehouse):
    columns, rows = run_query(
        warehouse,
        "select model_id, training_compute_flop, publication_date from clean.notable_models order by model_id",
    )
    assert columns == ["model_id", "training_compute_flop", "publication_date"]
    assert rows == [
        ("gpt-4", 2.1e25, dt.date(2023, 3, 15)),
        ("resnet", 1.1e19, dt.date(2015, 12, 10)),
        ("tiny", None, None),
    ]


def test_run_query_inspection_statements(warehouse):
    columns, rows = run_query(warehouse, "describe clean.notable_models")
    assert "column_name" in columns
    assert [r[columns.index("column_name")] for r in rows] == [
        "model_id",
        "training_compute_flop",
        "hardware_quantity",
        "publication_date",
    ]
    columns, rows = run_query(warehouse, "summarize clean.notable_models")
    assert len(rows) == 4


def test_show_tables_lists_every_schema_and_pivot_and_explain_run(warehouse, capfd):
    columns, rows = run_query(warehouse, "show tables")
    assert columns[:2] == ["schema", "name"]
    assert [r[:2] for r in rows] == [("clean", "notable_models")]
    columns, rows = run_query(
        warehouse, "pivot clean.notable_models on model_id using count(*) group by hardware_quantity"
    )
    assert {"gpt-4", "resnet", "tiny"} <= set(columns)
    columns, rows = run_query(warehouse, "explain select count(*) from clean.notable_models")
    assert columns == ["explain_key", "explain_value"] and rows
    assert capfd.readouterr().err == ""  # no sqlglot "Falling back to parsing as a 'Command'" line


def test_run_query_refuses_before_touching_the_file(warehouse):
    with pytest.raises(QueryRefused):
        run_query(warehouse, "delete from clean.notable_models")
    assert run_query(warehouse, "select count(*) from clean.notable_models")[1] == [(3,)]


def test_missing_warehouse_says_how_to_build_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="build"):
        run_query(tmp_path / "nope.duckdb", "select 1")
    assert not (tmp_path / "nope.duckdb").exists()


def test_works_while_another_program_holds_the_warehouse_open(warehouse):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"con = duckdb.connect({str(warehouse)!r}, read_only=True)\n"
            "print(con.sql('select count(*) from clean.notable_models').fetchone()[0], flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "3"  # the other connection is open now
        assert run_query(warehouse, "select max(training_compute_flop) from clean.notable_models")[1] == [(2.1e25,)]
    finally:
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0


def test_queries_leave_the_file_byte_for_byte_unchanged(warehouse):
    before = sha256(warehouse)
    files_before = sorted(p.name for p in warehouse.parent.iterdir())
    run_query(warehouse, "select * from clean.notable_models")
    run_query(warehouse, "with x as (select * from clean.notable_models) select count(*) from x")
    run_query(warehouse, "summarize clean.notable_models")
    for sql in ("drop table clean.notable_models", "checkpoint", "select * from read_csv('/etc/passwd')"):
        with pytest.raises(QueryRefused):
            run_query(warehouse, sql)
    assert sha256(warehouse) == before
    assert sorted(p.name for p in warehouse.parent.iterdir()) == files_before  # no .wal left behind


# --- output formats -----------------------------------------------------------------------------

COLUMNS = ["model_id", "flop", "date"]
ROWS = [("gpt-4", 2.1e25, dt.date(2023, 3, 15)), ("tiny", None, None)]


def test_format_table():
    assert format_table(COLUMNS, ROWS) == "\n".join(
        [
            "model_id  flop     date",
            "--------  -------  ----------",
            "gpt-4     2.1e+25  2023-03-15",
            "tiny",
            "(2 rows)",
        ]
    )
    assert format_table(["n"], [(1,)]).endswith("(1 row)")
    assert format_table(["n"], []) == "n\n-\n(0 rows)"


def test_format_csv_quotes_and_leaves_nulls_empty():
    assert format_csv(COLUMNS, ROWS) == "model_id,flop,date\ngpt-4,2.1e+25,2023-03-15\ntiny,,"
    assert format_csv(["a,b"], [('say "hi"',)]) == '"a,b"\n"say ""hi"""'


def test_format_json():
    assert json.loads(format_json(COLUMNS, ROWS)) == [
        {"model_id": "gpt-4", "flop": 2.1e25, "date": "2023-03-15"},
        {"model_id": "tiny", "flop": None, "date": None},
    ]
    assert json.loads(format_json(["x"], [(float("nan"),), (float("inf"),)])) == [{"x": None}, {"x": None}]
    assert json.loads(format_json(["x"], [])) == []


def test_lists_structs_and_booleans_are_json_and_lowercase():
    """quarantine.rejected_rows.reasons is a VARCHAR[]: a JSON array in every format, never Python's repr."""
    columns, rows = (
        ["reasons", "flag", "pair"],
        [(["publication_date: missing", "it's 'quoted'"], True, {"a": [1, None]})],
    )
    assert json.loads(format_json(columns, rows)) == [
        {"reasons": ["publication_date: missing", "it's 'quoted'"], "flag": True, "pair": {"a": [1, None]}}
    ]
    lines = format_csv(columns, rows).splitlines()
    record = next(csv.reader(io.StringIO(lines[1])))
    assert json.loads(record[0]) == ["publication_date: missing", "it's 'quoted'"]
    assert record[1] == "true" and json.loads(record[2]) == {"a": [1, None]}
    assert format_csv(["b"], [(False,)]) == "b\nfalse"
    assert '["publication_date: missing"' in format_table(columns, rows)
