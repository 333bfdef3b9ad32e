"""Dependency inference for the plain-SQL models folder (pipelines.lib.sql_graph)."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.sql_graph import (
    SqlGraphError,
    SqlModel,
    load_sql_project,
    table_references,
    topological_order,
)
from tests.conftest import write_tree

EXTERNAL = ("clean.notable_models", "quarantine.rejected_rows")


def names(models) -> list[str]:
    return [m.qualified_name for m in models]


# --- table_references -------------------------------------------------------------------


def test_cte_is_not_a_table_even_when_it_shadows_one():
    sql = """
        with orders as (select * from staging.orders where amount > 0)
        select * from orders join staging.customers c using (customer_id)
    """
    assert table_references(sql) == {"staging.orders", "staging.customers"}


def test_nested_ctes_and_ctes_inside_subqueries():
    sql = """
        with a as (
            with b as (select * from s.t1)
            select * from b
        ), c as (select * from a join s.t2 using (id))
        select * from c
        where id in (with d as (select id from s.t3) select id from d)
    """
    assert table_references(sql) == {"s.t1", "s.t2", "s.t3"}


def test_subqueries_and_joins():
    sql = """
        select x.id, (select max(v) from s.scalar_src) as top
        from (select * from s.derived) as x
        left join s.lefty l on l.id = x.id
        semi join s.semi_src on semi_src.id = x.id
        anti join s.anti_src on anti_src.id = x.id
        cross join range(3) r
        where exists (select 1 from s.exists_src e where e.id = x.id)
    """
    assert table_references(sql) == {
        "s.scalar_src",
        "s.derived",
        "s.lefty",
        "s.semi_src",
        "s.anti_src",
        "s.exists_src",
    }


def test_union_branches_are_all_followed():
    sql = """
        select id from s.a
        union all (select id from s.b)
        union select id from (with c as (select id from s.c) select * from c)
        except select id from s.d
    """
    assert table_references(sql) == {"s.a", "s.b", "s.c", "s.d"}


def test_names_are_lower_cased():
    assert table_references('select * from Staging."Orders"') == {"staging.orders"}


def test_unqualified_table_is_rejected_naming_the_file():
    with pytest.raises(SqlGraphError, match=r"marts/x\.sql: table 'orders' .*schema\.table"):
        table_references("select * from orders", path=Path("marts/x.sql"))


def test_catalog_qualified_table_is_rejected():
    with pytest.raises(SqlGraphError, match=r"m\.sql: .*catalog"):
        table_references("select * from db.s.t", path=Path("m.sql"))


def test_parse_error_names_the_file_and_sqlglot_message():
    expected = r"^staging/bad\.sql: cannot parse SQL: .*Line 1"
    with pytest.raises(SqlGraphError, match=expected) as info:
        table_references("select * from s.a where", path=Path("staging/bad.sql"))
    assert "\x1b[" not in str(info.value)  # colour codes stripped


@pytest.mark.parametrize(
    "sql, message",
    [
        ("", "file holds no SQL statement"),
        ("-- only a comment\n", "file holds no SQL statement"),
        ("select 1; select 2", "expected one statement"),
        ("create table s.t as select 1", "expected a SELECT query, found CREATE"),
        ("insert into s.t select 1", "expected a SELECT query, found INSERT"),
    ],
)
def test_only_a_single_select_is_accepted(sql, message):
    with pytest.raises(SqlGraphError, match=rf"^m\.sql: {message}"):
        table_references(sql, path=Path("m.sql"))


# --- load_sql_project -------------------------------------------------------------------


def test_loads_models_tests_and_external_tables(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "staging/models.sql": "select * from clean.notable_models;\n",
            "marts/summary.sql": "select count(*) as n from staging.models",
            "tests/no_rejects.sql": "select * from quarantine.rejected_rows",
            "tests/a_positive.sql": "select * from marts.summary where n < 0",
            ".hidden/x.sql": "this is not sql",
            "staging/.scratch.sql": "neither is this",
            "staging/README.md": "not a model",
        },
    )
    models, tests = load_sql_project(root, external_tables=EXTERNAL)

    assert names(models) == ["staging.models", "marts.summary"]
    assert models[0].depends_on == ("clean.notable_models",)
    assert models[0].sql == "select * from clean.notable_models"  # final ";" dropped
    assert models[0].path == root / "staging/models.sql"
    assert [t.name for t in tests] == ["a_positive", "no_rejects"]
    assert tests[0].depends_on == ("marts.summary",)
    assert tests[1].depends_on == ("quarantine.rejected_rows",)


@pytest.mark.parametrize(
    "reference, suggestion",
    [
        ("staging.ordrs", "'staging.orders'"),  # typo
        ("marts.orders", "'staging.orders'"),  # right table, wrong schema
        ("marts.zzz", None),
    ],
)
def test_unknown_table_names_the_file_and_suggests(tmp_path, reference, suggestion):
    root = write_tree(
        tmp_path,
        {
            "staging/orders.sql": "select 1 as id",
            "staging/a.sql": "select 1 as id",  # shares only the schema prefix: never suggested
            "marts/report.sql": f"select * from {reference}",
        },
    )
    with pytest.raises(SqlGraphError) as info:
        load_sql_project(root, external_tables=EXTERNAL)
    hint = f" (did you mean {suggestion}?)" if suggestion else ""
    assert str(info.value) == f"marts/report.sql: unknown table '{reference}'{hint}"


def test_test_may_not_read_an_unknown_table(tmp_path):
    root = write_tree(tmp_path, {"tests/check.sql": "select * from clean.notable_model"})
    with pytest.raises(SqlGraphError, match=r"^tests/check\.sql: .*'clean\.notable_models'"):
        load_sql_project(root, external_tables=EXTERNAL)


def test_external_tables_are_required_to_be_declared(tmp_path):
    root = write_tree(tmp_path, {"staging/m.sql": "select * from clean.notable_models"})
    with pytest.raises(SqlGraphError, match="unknown table 'clean.notable_models'"):
        load_sql_project(root, external_tables=[])


def test_model_may_not_redefine_an_external_table(tmp_path):
    root = write_tree(tmp_path, {"clean/notable_models.sql": "select 1"})
    with pytest.raises(SqlGraphError, match=r"^clean/notable_models\.sql: .*outside"):
        load_sql_project(root, external_tables=EXTERNAL)


def test_cycle_of_two_files_names_both(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "staging/a.sql": "select * from staging.b",
            "staging/b.sql": "select * from staging.a",
            "marts/downstream.sql": "select * from staging.a",  # blocked, but not in the cycle
        },
    )
    with pytest.raises(SqlGraphError) as info:
        load_sql_project(root, external_tables=EXTERNAL)
    message = str(info.value)
    assert "cycle" in message
    assert "staging/a.sql" in message and "staging/b.sql" in message
    assert "downstream" not in message


def test_self_reference_is_rejected(tmp_path):
    root = write_tree(tmp_path, {"staging/a.sql": "select * from staging.a"})
    with pytest.raises(SqlGraphError, match=r"^staging/a\.sql \(staging\.a\) references itself"):
        load_sql_project(root, external_tables=EXTERNAL)


def test_parse_error_in_project_names_the_relative_path(tmp_path):
    root = write_tree(tmp_path, {"staging/broken.sql": "select from from"})
    with pytest.raises(SqlGraphError, match=r"^staging/broken\.sql: cannot parse SQL"):
        load_sql_project(root, external_tables=EXTERNAL)


@pytest.mark.parametrize("rel", ["loose.sql", "staging/sub/deep.sql", "staging/bad-name.sql"])
def test_misplaced_or_misnamed_files_are_rejected(tmp_path, rel):
    root = write_tree(tmp_path, {rel: "select 1"})
    with pytest.raises(SqlGraphError, match=rf"^{rel.replace('.', '[.]')}: "):
        load_sql_project(root, external_tables=EXTERNAL)


def test_missing_root_is_an_error(tmp_path):
    with pytest.raises(SqlGraphError, match="not found"):
        load_sql_project(tmp_path / "nope", external_tables=EXTERNAL)


# --- ordering ---------------------------------------------------------------------------

DIAMOND = {
    "staging/b_src.sql": "select 1 as id",
    "staging/a_src.sql": "select 2 as id",
    "intermediate/left.sql": "select * from staging.a_src",
    "intermediate/right.sql": "select * from staging.b_src join staging.a_src using (id)",
    "marts/joined.sql": "select * from intermediate.left join intermediate.right using (id)",
    "marts/alone.sql": "select * from clean.notable_models",
}


def test_topological_order_is_deterministic(tmp_path):
    models, _ = load_sql_project(write_tree(tmp_path, DIAMOND), external_tables=EXTERNAL)
    expected = [
        "marts.alone",
        "staging.a_src",
        "intermediate.left",
        "staging.b_src",
        "intermediate.right",
        "marts.joined",
    ]
    assert names(models) == expected
    shuffled = list(models)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert names(topological_order(shuffled)) == expected


def test_topological_order_ignores_external_references():
    m = SqlModel("s", "m", Path("s/m.sql"), "select 1", ("x.external",))
    assert topological_order([m]) == [m]


def test_inferred_order_builds_in_duckdb(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "marts/by_org.sql": """
            with per_org as (  -- CTE named like the intermediate model it reads
                select organization, sum(flop) as flop from intermediate.per_org group by 1
            )
            select * from per_org order by flop desc
        """,
            "intermediate/per_org.sql": """
            select organization, flop from staging.models
            union all
            select 'rejected' as organization, 0.0 as flop
            from quarantine.rejected_rows having count(*) > 0
        """,
            "staging/models.sql": """
            select lower(organization) as organization, flop
            from clean.notable_models where flop is not null
        """,
            "tests/flop_positive.sql": "select * from marts.by_org where flop <= 0",
        },
    )
    models, tests = load_sql_project(root, external_tables=EXTERNAL)
    assert names(models) == ["staging.models", "intermediate.per_org", "marts.by_org"]

    con = duckdb.connect()
    con.execute("create schema clean; create schema quarantine")
    con.execute(
        "create table clean.notable_models as select * from (values ('OpenAI', 1.0), "
        "('Google', 5.0), ('openai', 2.0), ('Meta', null)) t(organization, flop)"
    )
    con.execute("create table quarantine.rejected_rows (row_id integer)")
    for model in models:
        con.execute(f"create schema if not exists {model.schema}")
        con.execute(f"create table {model.qualified_name} as {model.sql}")

    rows = con.execute("select * from marts.by_org").fetchall()
    assert rows == [("google", 5.0), ("openai", 3.0)]
    for test in tests:
        assert con.execute(f"select count(*) from (\n{test.sql}\n)").fetchone() == (0,)


# --- materialization -------------------------------------------------------------------------


def test_a_model_is_a_table_unless_its_leading_comments_say_view(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "staging/models.sql": "-- Pass-through.\n-- Materialized: VIEW  (no copy)\nselect * from clean.notable_models",
            "staging/late.sql": "select * from clean.notable_models\n-- materialized: view",  # after the query: no effect
            "marts/m.sql": "select * from staging.models",
        },
    )
    models, _ = load_sql_project(root, external_tables=EXTERNAL)
    assert {m.qualified_name: m.materialized for m in models} == {
        "staging.models": "view",
        "staging.late": "table",
        "marts.m": "table",
    }


def test_an_unknown_materialization_names_file_and_line(tmp_path):
    root = write_tree(
        tmp_path, {"staging/m.sql": "-- about\n-- materialized: tabel\nselect * from clean.notable_models"}
    )
    with pytest.raises(
        SqlGraphError, match=r"staging/m.sql: line 2: materialized must be one of table, view, got 'tabel'"
    ):
        load_sql_project(root, external_tables=EXTERNAL)


def test_run_model_builds_views_and_switches_kind_between_builds(tmp_path):
    from pipelines.lib.sql_runner import run_model

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema clean; create table clean.notable_models as select 1 as flop union all select 2")
    as_table = SqlModel("staging", "m", Path("staging/m.sql"), "select flop * 10 as flop from clean.notable_models", ())
    as_view = SqlModel("staging", "m", Path("staging/m.sql"), as_table.sql, (), "view")
    kind = "select table_type from information_schema.tables where table_name = 'm'"
    assert run_model(con, as_view).rows == 2 and con.execute(kind).fetchone() == ("VIEW",)
    con.execute("insert into clean.notable_models values (3)")  # a view reads its input when queried
    assert con.execute("select sum(flop) from staging.m").fetchone() == (60,)
    assert run_model(con, as_table).columns == [("flop", "INTEGER")] and con.execute(kind).fetchone() == ("BASE TABLE",)
    assert run_model(con, as_view).rows == 3 and con.execute(kind).fetchone() == ("VIEW",)
