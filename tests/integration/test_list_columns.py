"""List-valued columns are real lists (issue 15, point 4): VARCHAR[] in the published DuckDB file and
lists in Parquet, JSON arrays in `flopcast query --format json` and in CSV exports."""

from __future__ import annotations

import csv
import io
import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.lib.export import export_tables
from pipelines.lib.query import json_lines, open_query

LIST_COLUMNS = {
    "clean.notable_models": ("organization", "country", "organization_category", "domain", "task", "training_hardware"),
    "marts.training_runs": ("organization", "country", "domain", "training_hardware"),
    "marts.frontier_runs": ("organization",),
    "marts.compute_records": ("organization",),
    "clean.gpu_clusters": ("country", "owner"),
}


def test_list_columns_are_varchar_lists_in_duckdb_and_parquet(built):
    con = duckdb.connect(str(built.published_db), read_only=True)
    try:
        for table, columns in LIST_COLUMNS.items():
            schema, name = table.split(".")
            types = dict(
                con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ?",
                    [schema, name],
                ).fetchall()
            )
            for column in columns:
                assert types[column] == "VARCHAR[]", (table, column, types[column])
            parquet = pq.read_schema(built.warehouse_dir / "parquet" / schema / f"{name}.parquet")
            for column in columns:
                assert pa.types.is_list(parquet.field(column).type) or pa.types.is_large_list(
                    parquet.field(column).type
                )
        # No item carries a comma-joined pair or outer blanks, and no list is empty (an empty cell is null).
        bad = con.execute("""select model_id, organization from marts.training_runs
                             where len(organization) = 0
                                or len(list_filter(organization, o -> o like '%,%' or o <> trim(o) or o = '')) > 0""").fetchall()
        assert bad == []
        several = con.execute("select count(*) from marts.training_runs where len(organization) > 1").fetchone()[0]
        assert several > 0  # the bundled data has co-developed models
        # The list functions work on it: the language flag agrees with the domain list.
        assert (
            con.execute(
                "select count(*) from marts.training_runs "
                "where is_language_model <> coalesce(list_contains(domain, 'Language'), false)"
            ).fetchone()[0]
            == 0
        )
    finally:
        con.close()


def test_list_columns_are_json_arrays_in_query_json_and_csv_exports(built, tmp_path):
    sql = "select model_id, organization from marts.training_runs where len(organization) > 1 order by model_id limit 5"
    with open_query(built.published_db, sql, timeout=60) as (columns, batches):
        records = json.loads("".join(json_lines(columns, batches)))
    assert records and all(isinstance(r["organization"], list) and len(r["organization"]) > 1 for r in records)

    export_tables(built, str(tmp_path), tables=["marts.training_runs"], formats=("csv",))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "marts/training_runs.csv").read_text())))
    with_org = [row for row in rows if row["organization"]]
    assert with_org and all(isinstance(json.loads(row["organization"]), list) for row in with_org)
