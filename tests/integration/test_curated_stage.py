"""The curated stage sends only the curated runs through polars, and intermediate.notable_models_curated
(a view of the untouched runs plus those) is exactly apply_curated over every run (the plain
in-memory rule)."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from pipelines.lib import stages
from pipelines.lib.curated import BASELINE, apply_curated, load_curated
from pipelines.lib.sources import SOURCES
from pipelines.lib.warehouse import PROJECT_ROOT, connect, read_table

HEADER = "action,model_id,model,publication_date,training_compute_flop,training_cost_usd,training_power_w,citation,note,author,date\n"


@pytest.fixture
def staged(tmp_path):
    """A copy of the bundled sources and a database holding staging.notable_models built from them."""
    sources = tmp_path / "sources"
    shutil.copytree(PROJECT_ROOT / "sources", sources)
    with connect(tmp_path / "c.duckdb") as con:
        for source in SOURCES:
            stages.materialize_raw(con, sources, source.name)
            stages.materialize_clean(con, sources, source.name)
        con.execute("CREATE SCHEMA staging")
        con.execute(
            "CREATE TABLE staging.notable_models AS "
            + (PROJECT_ROOT / "dbt_like_sql" / "staging" / "notable_models.sql").read_text(encoding="utf-8")
        )
        yield sources, con


def test_curated_stage_equals_apply_curated_over_every_run(staged):
    sources, con = staged
    (sources / "curated").mkdir()
    (sources / "curated" / "c.csv").write_text(
        HEADER
        + "correct,gpt-4-mar-2023,,,2.2e25 FLOP,,,https://example.org/a,,ana,2026-08-01\n"
        + "correct,,GPT-3 175B (davinci),2020-06-01,,,,https://example.org/b,,ana,2026-08-01\n"
        + "add,,Colossus Run X,2026-05-01,4e27 FLOP,2e9 USD,300 MW,https://example.org/c,,ana,2026-08-01\n"
    )
    runs = read_table(con, "staging", "notable_models", order_by="model_id")
    curated, rows, provenance = stages.materialize_curated(con, sources)
    expected, expected_provenance = apply_curated(
        runs,
        load_curated(sources / "curated", dict(zip(runs["model_id"], runs["model"])), display_root=sources.parent),
        BASELINE,
    )
    table = pl.from_arrow(
        con.sql("SELECT * FROM intermediate.notable_models_curated ORDER BY model_id").to_arrow_table()
    )
    assert rows == table.height == runs.height + 1
    assert table.schema == expected.schema and table.equals(expected)
    assert provenance.equals(expected_provenance) and provenance.height == 6  # 1 + 1 + the new run's 4 fields
    assert table.filter(pl.col("model_id") == "gpt-4-mar-2023")["training_compute_flop"].to_list() == [2.2e25]


def test_without_curated_files_the_table_is_the_staging_table(staged):
    sources, con = staged
    curated, rows, provenance = stages.materialize_curated(con, sources)
    runs = read_table(con, "staging", "notable_models", order_by="model_id")
    table = pl.from_arrow(
        con.sql("SELECT * FROM intermediate.notable_models_curated ORDER BY model_id").to_arrow_table()
    )
    assert (curated.height, provenance.height, rows) == (0, 0, runs.height)
    assert table.equals(runs)
