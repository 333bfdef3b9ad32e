"""Every column a real build publishes is documented, and the data card is complete for it.

If a test here fails after you added or renamed a column, describe it in the YAML beside what makes
the table: dbt_like_sql/<schema>/schema.yml for a SQL model, pipelines/lib/schemas/<schema>.yml for a
table made in Python (unit + description; columns shared by several tables go in
pipelines/lib/schemas/common.yml and are listed by name only).
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from pipelines.lib.column_docs import apply_comments, public_columns, stale_docs, undocumented, undocumented_tables
from pipelines.lib.datacard import EPOCH_ATTRIBUTION, write_data_card

pytestmark = pytest.mark.integration


def test_every_published_column_is_documented(built):
    with duckdb.connect(str(built.published_db), read_only=True) as con:
        assert undocumented(con) == []
        assert undocumented_tables(con) == []


def test_no_documentation_for_columns_that_are_gone(built):
    with duckdb.connect(str(built.published_db), read_only=True) as con:
        assert stale_docs(con) == []


def test_comments_cover_every_public_column(built, tmp_path):
    copy = tmp_path / "flopcast.duckdb"
    shutil.copyfile(built.published_db, copy)
    with duckdb.connect(str(copy)) as con:
        apply_comments(con)
        missing = con.execute(
            "select c.schema_name || '.' || c.table_name || '.' || c.column_name from duckdb_columns() c "
            "join duckdb_tables() t using (database_name, schema_name, table_name) "
            "where c.schema_name in ('clean', 'marts', 'quarantine') and (c.comment is null or t.comment is null)"
        ).fetchall()
        assert missing == []
        assert len(public_columns(con)) > 200


def test_data_card_of_the_real_build(built, tmp_path):
    manifest = json.loads(built.manifest.read_text(encoding="utf-8"))
    shutil.copytree(built.parquet_dir, tmp_path / "parquet")
    with duckdb.connect(str(built.published_db), read_only=True) as con:
        card_path, package_path = write_data_card(con, manifest, tmp_path)
    card = card_path.read_text(encoding="utf-8")
    assert EPOCH_ATTRIBUTION in card and "(undocumented)" not in card and "?" not in card.split("## Known caveats")[1]
    assert "Frontier training compute grows" in card
    for name in manifest["tables"]:
        assert f"### `{name}`" in card
    package = json.loads(package_path.read_text(encoding="utf-8"))
    assert len(package["resources"]) == len(manifest["tables"])
    assert all(r["hash"].startswith("sha256:") and r["schema"]["fields"] for r in package["resources"])
    assert all("description" in f for r in package["resources"] for f in r["schema"]["fields"])
