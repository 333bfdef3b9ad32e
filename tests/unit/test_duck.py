"""The DuckDB helpers written once (pipelines.lib.duck), on real in-memory databases."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from pipelines.lib.duck import literal, quote, registered, table_columns


def test_quote_and_literal_survive_any_name_and_text():
    con = duckdb.connect()
    name, text = 'odd "name"; drop', "it's -- not a comment"
    con.execute(f"CREATE TABLE {quote(name)} ({quote(name)} VARCHAR)")
    con.execute(f"INSERT INTO {quote(name)} VALUES ({literal(text)})")
    assert con.execute(f"SELECT {quote(name)} FROM {quote(name)}").fetchall() == [(text,)]


def test_table_columns_in_order_from_the_current_database_only(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.t (b INTEGER, a VARCHAR, c DOUBLE[])")
    con.execute(f"ATTACH {literal(str(tmp_path / 'other.duckdb'))} AS other")
    con.execute("CREATE SCHEMA other.marts; CREATE TABLE other.marts.t (z INTEGER)")
    assert table_columns(con, "marts", "t") == [("b", "INTEGER"), ("a", "VARCHAR"), ("c", "DOUBLE[]")]
    assert table_columns(con, "marts", "missing") == []


def test_registered_is_gone_after_the_block_even_when_the_statement_fails():
    con = duckdb.connect()
    data = pa.table({"x": [1, 2]})
    with registered(con, "_frame", data):
        assert con.execute("SELECT sum(x) FROM _frame").fetchone() == (3,)
    with pytest.raises(duckdb.Error), registered(con, "_frame", data):
        con.execute("SELECT no_such_column FROM _frame")
    with pytest.raises(duckdb.CatalogException):
        con.execute("SELECT * FROM _frame")
