"""Parsing of the scaling switches: FLOPCAST_EXECUTOR, local warehouse folders, where DuckDB can read exported Parquet."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.executor import executor_definition
from pipelines.lib.executor_choice import ExecutorChoiceError, executor_choice
from pipelines.lib.parquet_views import ViewsError, duckdb_location, views_db_path
from pipelines.lib.warehouse import LocationError, local_folder


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, "in_process"),
        ({"FLOPCAST_EXECUTOR": ""}, "in_process"),
        ({"FLOPCAST_EXECUTOR": "in_process"}, "in_process"),
        ({"FLOPCAST_EXECUTOR": " Multiprocess "}, "multiprocess"),
        ({"FLOPCAST_EXECUTOR": "in-process"}, "in_process"),
    ],
)
def test_executor_choice(environ, expected):
    assert executor_choice(environ) == expected


def test_unknown_executor_names_the_variable_and_the_allowed_values():
    with pytest.raises(
        ExecutorChoiceError,
        match=r"FLOPCAST_EXECUTOR='threads' is not a known executor; "
        r"expected one of: in_process, multiprocess \(default in_process\)",
    ):
        executor_choice({"FLOPCAST_EXECUTOR": "threads"})


def test_k8s_executor_says_what_it_needs():
    with pytest.raises(
        ExecutorChoiceError, match=r"FLOPCAST_EXECUTOR='k8s' is not available: .*dagster-k8s.*in_process, multiprocess"
    ):
        executor_choice({"FLOPCAST_EXECUTOR": "k8s"})


def test_executor_definitions():
    assert executor_definition("in_process") is dg.in_process_executor
    multi = executor_definition("multiprocess")
    assert multi.name == "multiprocess_one_at_a_time"
    resolved = multi.config_schema.resolve_config({})
    assert resolved.success
    assert resolved.value.get("config", resolved.value)["max_concurrent"] == 1  # one step process at a time


def test_local_folders(tmp_path):
    assert local_folder(str(tmp_path / "wh"), "X") == tmp_path / "wh"
    assert local_folder(f"file://{tmp_path}/wh", "X") == tmp_path / "wh"
    assert local_folder(tmp_path / "a:b", "X") == tmp_path / "a:b"  # a colon inside a path is fine
    assert local_folder("./md:x", "X") == Path("md:x").resolve()
    assert local_folder("data:2024/wh", "X") == Path("data:2024/wh").resolve()  # no "://": a relative folder


@pytest.mark.parametrize(
    "value, says",
    [
        ("md:flopcast", "MotherDuck"),
        ("MD:flopcast", "MotherDuck"),
        ("motherduck:x", "MotherDuck"),
        ("s3://bucket/wh", "cannot write to s3://"),
        ("gs://bucket/wh", "cannot write to gs://"),
    ],
)
def test_uris_are_not_local_folders(value, says):
    with pytest.raises(LocationError, match=f"WHERE={value!r}: .*{says}.*SCALING.md"):
        local_folder(value, "WHERE")


def test_where_duckdb_reads_exported_parquet(tmp_path):
    assert duckdb_location(str(tmp_path / "out")) == (str(tmp_path / "out"), None)
    assert duckdb_location(f"file://{tmp_path}/out/") == (str(tmp_path / "out"), None)
    assert duckdb_location("s3://bucket/flopcast/") == ("s3://bucket/flopcast", "httpfs")
    assert duckdb_location("gs://bucket/flopcast") == ("gs://bucket/flopcast", "httpfs")
    assert duckdb_location("https://example.org/flopcast") == ("https://example.org/flopcast", "httpfs")
    assert duckdb_location("abfss://c@a.dfs.core.windows.net/f") == ("abfss://c@a.dfs.core.windows.net/f", "azure")
    for dest in ("memory://x", "sftp://host/x"):
        with pytest.raises(ViewsError, match="DuckDB cannot read"):
            duckdb_location(dest)


def test_views_db_is_a_local_file(tmp_path):
    assert views_db_path(str(tmp_path / "v.duckdb")) == tmp_path / "v.duckdb"
    assert views_db_path(f"file://{tmp_path}/v.duckdb") == tmp_path / "v.duckdb"
    for value in ("md:views", "s3://bucket/v.duckdb"):
        with pytest.raises(ViewsError, match="local file path"):
            views_db_path(value)


def test_duckdb_memory_limit_is_applied_and_a_bad_value_names_the_variable(tmp_path, monkeypatch):
    from pipelines.lib.warehouse import connect

    monkeypatch.setenv("FLOPCAST_DUCKDB_MEMORY_LIMIT", "1GB")
    with connect(tmp_path / "limited.duckdb") as con:
        assert con.sql("SELECT current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"
    monkeypatch.setenv("FLOPCAST_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="FLOPCAST_DUCKDB_MEMORY_LIMIT='lots' is not a DuckDB memory size"):
        with connect(tmp_path / "limited.duckdb"):
            pass
