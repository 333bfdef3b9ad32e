"""warehouse.held_open: one open database for a build's steps, with each step's connection its own."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.lib import warehouse
from pipelines.lib.warehouse import connect, held_open, release


def test_steps_share_the_open_database_but_not_their_connections(tmp_path):
    db = tmp_path / "build" / "flopcast.duckdb"
    with held_open(db):
        with connect(db) as con:
            con.execute("CREATE TABLE t AS SELECT 1 AS x")
            con.execute("CREATE TEMP TABLE scratch AS SELECT 2 AS y")
            first = warehouse._held[db.resolve()]
        with connect(db) as con:
            assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
            with pytest.raises(duckdb.CatalogException):  # a temporary table ends with its step's connection
                con.execute("SELECT * FROM scratch")
            assert warehouse._held[db.resolve()] is first  # the file was not opened again
        assert db.with_name(db.name + ".wal").exists()  # not checkpointed between steps
    assert db.resolve() not in warehouse._held
    assert not db.with_name(db.name + ".wal").exists()  # closed (and checkpointed) at the end
    with duckdb.connect(str(db), read_only=True) as reader:  # another process could open it now
        assert reader.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_release_closes_the_file_so_it_can_be_copied_whole_and_a_later_step_reopens_it(tmp_path):
    db = tmp_path / "flopcast.duckdb"
    with held_open(db):
        with connect(db) as con:
            con.execute("CREATE TABLE t AS SELECT range AS x FROM range(1000)")
        release(db)
        assert not db.with_name(db.name + ".wal").exists()
        copy = tmp_path / "copy.duckdb"
        copy.write_bytes(db.read_bytes())
        with duckdb.connect(str(copy), read_only=True) as reader:
            assert reader.execute("SELECT count(*) FROM t").fetchone() == (1000,)
        with connect(db) as con:  # a step after publish still works
            assert con.execute("SELECT count(*) FROM t").fetchone() == (1000,)


def test_a_large_database_is_closed_after_each_step(tmp_path, monkeypatch):
    monkeypatch.setattr(warehouse, "HELD_OPEN_MAX_BYTES", 0)
    db = tmp_path / "flopcast.duckdb"
    with held_open(db):
        with connect(db) as con:
            con.execute("CREATE TABLE t AS SELECT 1 AS x")
        assert warehouse._held[db.resolve()] is None  # closed: its buffer pool is not carried over


def test_other_databases_and_read_only_connections_are_not_held(tmp_path):
    held, other = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    with held_open(held):
        with connect(other) as con:
            con.execute("CREATE TABLE t AS SELECT 1 AS x")
        assert other.resolve() not in warehouse._held
        with duckdb.connect(str(other), read_only=True) as reader:  # closed after its step, as always
            assert reader.execute("SELECT x FROM t").fetchall() == [(1,)]
