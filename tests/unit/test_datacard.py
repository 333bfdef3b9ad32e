"""Column docs, DuckDB comments, the data card and datapackage.json, on a small warehouse built inline."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import column_docs
from pipelines.lib.column_docs import (
    COLUMN_DOCS,
    TABLE_DOCS,
    apply_comments,
    stale_docs,
    undocumented,
    undocumented_tables,
)
from pipelines.lib.datacard import (
    DATA_CARD_NAME,
    DATAPACKAGE_NAME,
    EMBER_ATTRIBUTION,
    EPOCH_ATTRIBUTION,
    frictionless_type,
    reason_family,
    write_data_card,
)
from pipelines.lib.publish import build_manifest, table_stats

SOURCES = {
    "epoch_notable_models": {
        "version": "2026-07-19",
        "file": "notable_ai_models.csv",
        "sha256": "a" * 64,
        "rows": 9,
        "license": "CC BY 4.0",
        "citation": "Epoch AI, 'Data on AI Models'. Published online at epoch.ai. Retrieved from 'https://epoch.ai/data/ai-models' [online resource].",
    },
    "ember_country_electricity": {
        "version": "2025-05-21",
        "file": "country_overview_yearly.csv",
        "sha256": "b" * 64,
        "rows": 3,
        "license": "CC BY 4.0",
        "citation": "Ember (2025), Yearly Electricity Data. https://ember-climate.org/data/global-electricity/",
    },
}

SETUP = """
create schema clean; create schema marts; create schema quarantine; create schema staging;
create table clean.notable_models (source varchar, source_version varchar, source_row_number bigint,
    model_id varchar, model varchar, training_compute_flop double);
insert into clean.notable_models values
    ('epoch_notable_models', '2026-07-19', 1, 'gpt-3', 'GPT-3', 3.1e23),
    ('epoch_notable_models', '2026-07-19', 2, 'new-model', 'New model', null),
    ('epoch_notable_models', '2026-07-19', 3, 'old-model', 'Old model', 1e15);
create table marts.training_runs (model_id varchar, model varchar, publication_date date, training_compute_flop double,
    training_tokens double, is_language_model boolean, is_epoch_frontier boolean, is_frontier boolean);
insert into marts.training_runs values
    ('gpt-3', 'GPT-3', '2020-05-28', 3.1e23, 3e11, true, true, true),
    ('new-model', 'New model', '2025-03-01', null, null, true, true, false),
    ('newer-model', 'Newer model', '2025-06-01', 1e25, null, false, false, true),
    ('old-model', 'Old model', '1989-01-01', 1e15, null, false, false, true);
create table marts.yearly_summary (year bigint, n_models bigint, n_with_compute bigint, n_with_cost bigint,
    n_with_tokens bigint, n_with_power bigint, n_frontier hugeint);
insert into marts.yearly_summary values (1989, 1, 1, 0, 0, 0, 1), (2020, 1, 1, 1, 1, 0, 1), (2025, 2, 1, 0, 0, 1, 1);
create table marts.country_electricity_latest (country_or_region varchar, year bigint, demand_twh double, average_power_gw double);
insert into marts.country_electricity_latest values ('Chad', 2022, 1.0, 0.114), ('France', 2024, 449.0, 51.3);
create table quarantine.rejected_rows (source varchar, source_version varchar, row_number bigint, reasons varchar[], raw_row varchar);
insert into quarantine.rejected_rows values
    ('epoch_notable_models', '2026-07-19', 4, ['training_dataset_size: cannot read ''1,2'' as a number'], '{}'),
    ('epoch_notable_models', '2026-07-19', 5, ['training_dataset_size: cannot read ''3,4'' as a number', 'publication_date: missing'], '{}'),
    ('epoch_notable_models', '2026-07-19', 6, ['publication_date: missing'], '{}'),
    ('epoch_notable_models', '2026-07-19', 7, ['duplicate model: model_id ''gpt-3'' is also on row 1, which is kept'], '{}'),
    ('ember_country_electricity', '2025-05-21', 8, ['year: 2031 is after the snapshot year 2025'], '{}');
create table quarantine.rejected_cells (source varchar, source_version varchar, row_number bigint, source_column varchar,
    field varchar, raw_value varchar, reason varchar);
insert into quarantine.rejected_cells values
    ('epoch_notable_models', '2026-07-19', 2, 'Training dataset size (total)', 'training_dataset_size', '1,2',
     'training_dataset_size: cannot read ''1,2'' as a number'),
    ('epoch_notable_models', '2026-07-19', 3, 'Training dataset size (total)', 'training_dataset_size', '5,6',
     'training_dataset_size: cannot read ''5,6'' as a number'),
    ('epoch_notable_models', '2026-07-19', 3, 'Hardware utilization (MFU)', 'hardware_utilization_mfu', '1.7',
     'hardware_utilization_mfu: 1.7 is above 1');
create table staging.scratch (anything varchar);
create view marts.a_view as select 1 as undocumented_view_column;
"""


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute(SETUP)
    yield connection
    connection.close()


def _manifest(con) -> dict:
    return build_manifest(table_stats(con), SOURCES)


def _with_parquet(con, folder: Path, manifest: dict) -> None:
    for name, info in manifest["tables"].items():
        target = folder / info["parquet"]
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY (SELECT * FROM {name} ORDER BY ALL) TO '{target}' (FORMAT parquet)")


# --- column docs and comments ---------------------------------------------------------------------


def test_every_column_of_the_small_warehouse_is_documented(con):
    assert undocumented(con) == []
    assert undocumented_tables(con) == []


def test_undocumented_reports_a_new_public_column_only(con):
    con.execute("alter table marts.training_runs add column shiny_new_metric double")
    con.execute("alter table staging.scratch add column also_new varchar")  # not public: ignored
    assert undocumented(con) == ["marts.training_runs.shiny_new_metric"]
    con.execute("create table marts.brand_new (x bigint)")
    assert undocumented(con) == ["marts.brand_new.x", "marts.training_runs.shiny_new_metric"]
    assert undocumented_tables(con) == ["marts.brand_new"]


def test_stale_docs_lists_documented_columns_the_database_lacks(con):
    stale = stale_docs(con)
    assert "marts.training_runs.parameters" in stale and "marts.trend_fits" in stale
    assert "marts.training_runs.model_id" not in stale


def test_apply_comments_sets_table_and_column_comments(con):
    count = apply_comments(con)
    columns = {
        (s, t, c): comment
        for s, t, c, comment in con.execute(
            "select schema_name, table_name, column_name, comment from duckdb_columns() "
            "where schema_name in ('clean', 'marts', 'quarantine') and table_name <> 'a_view'"
        ).fetchall()
    }
    tables = {
        (s, t): comment
        for s, t, comment in con.execute(
            "select schema_name, table_name, comment from duckdb_tables() where schema_name in ('clean', 'marts', 'quarantine')"
        ).fetchall()
    }
    # The view is not a public table: left alone.
    assert con.execute("select comment from duckdb_views() where view_name = 'a_view'").fetchone()[0] is None
    assert tables[("marts", "training_runs")] == TABLE_DOCS["marts.training_runs"]
    unit, description = COLUMN_DOCS["marts.training_runs"]["training_compute_flop"]
    assert columns[("marts", "training_runs", "training_compute_flop")] == f"[{unit}] {description}"
    # Quotes in a description survive (Epoch's column names are quoted in many of them).
    assert "'Model'" in columns[("clean", "notable_models", "model")]
    assert columns[("quarantine", "rejected_rows", "raw_row")] == COLUMN_DOCS["quarantine.rejected_rows"]["raw_row"][1]
    assert all(comment for comment in columns.values())
    assert all(comment for comment in tables.values())
    assert count == len(columns) + len(tables)
    # Nothing outside the public schemas is touched.
    assert con.execute("select comment from duckdb_columns() where schema_name = 'staging'").fetchone()[0] is None


def test_apply_comments_quotes_identifiers_and_text(con, monkeypatch):
    con.execute('create table marts."odd ""name""" ("it\'s ""x""" bigint)')
    monkeypatch.setitem(TABLE_DOCS, 'marts.odd "name"', "A table with 'quotes' in its name")
    monkeypatch.setitem(COLUMN_DOCS, 'marts.odd "name"', {'it\'s "x"': ("W", 'Don\'t; "really"')})
    apply_comments(con)
    assert (
        con.execute("select comment from duckdb_tables() where table_name = 'odd \"name\"'").fetchone()[0]
        == "A table with 'quotes' in its name"
    )
    assert (
        con.execute("select comment from duckdb_columns() where table_name = 'odd \"name\"'").fetchone()[0]
        == '[W] Don\'t; "really"'
    )


def test_shared_columns_are_written_once():
    # The same column in several tables points at the same COMMON entry, not a copy of its text.
    for table in ("clean.notable_models", "marts.training_runs", "marts.frontier_runs", "marts.compute_records"):
        assert COLUMN_DOCS[table]["training_compute_flop"] is column_docs.COMMON["training_compute_flop"]
    for table in ("clean.notable_models", "clean.gpu_clusters", "quarantine.rejected_rows", "marts.frontier_runs"):
        assert COLUMN_DOCS[table]["source_version"] is column_docs.COMMON["source_version"]
    assert COLUMN_DOCS["marts.training_runs"]["training_cost_usd"][0] == "USD (2023)"
    assert set(COLUMN_DOCS) == set(TABLE_DOCS)


# --- the data card --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason, family",
    [
        (
            "training_dataset_size: cannot read '2260275840,2290000001' as a number",
            "training_dataset_size: cannot read '…' as a number",
        ),
        (
            "training_dataset_size: cannot read 'O'Neil' as a number",
            "training_dataset_size: cannot read '…' as a number",
        ),
        (
            "duplicate model: model_id 'deeplabv3' is also on row 682, which is kept",
            "duplicate model: model_id '…' is also on row …, which is kept",
        ),
        (
            "publication_date: 2027-01-01 is after the snapshot date 2026-07-19",
            "publication_date: … is after the snapshot date …",
        ),
        ("hardware_utilization_mfu: 1.5 is above 1", "hardware_utilization_mfu: … is above …"),
        ("fp16_flop_per_s: '-3' is below the minimum 0", "fp16_flop_per_s: '…' is below the minimum …"),
        ("publication_date: missing", "publication_date: missing"),
    ],
)
def test_reason_family_removes_values(reason, family):
    assert reason_family(reason) == family


def test_data_card_has_every_section_and_the_attribution(con, tmp_path):
    card_path, package_path = write_data_card(con, _manifest(con), tmp_path)
    assert card_path == tmp_path / DATA_CARD_NAME and package_path == tmp_path / DATAPACKAGE_NAME
    card = card_path.read_text(encoding="utf-8")
    for heading in (
        "# flopcast data card",
        "## Attribution",
        "## Sources",
        "## Tables",
        "## Coverage",
        "## Quarantined rows",
        "## Rejected cells",
        "## Headline fits",
        "## Known caveats",
    ):
        assert f"\n{heading}\n" in f"\n{card}", heading
    assert EPOCH_ATTRIBUTION == "Epoch AI, 'Data on AI Models'. Published online at epoch.ai."
    assert EPOCH_ATTRIBUTION in card and EMBER_ATTRIBUTION in card and "CC BY 4.0" in card
    # Sources with version and sha256.
    assert "| `epoch_notable_models` |" in card and "2026-07-19" in card and "a" * 64 in card
    # Each table with its description, rows, content hash and a documented column table.
    manifest = _manifest(con)
    for name, info in manifest["tables"].items():
        assert f"### `{name}`" in card and info["content_hash"] in card
    assert TABLE_DOCS["marts.training_runs"] in card
    unit, description = COLUMN_DOCS["marts.training_runs"]["training_compute_flop"]
    assert f"| `training_compute_flop` | DOUBLE | {unit} | {description} |" in card
    assert "(undocumented)" not in card
    # Coverage per year and overall.
    assert "| 2025 | 2 | 1 | 0 | 0 | 1 |" in card
    assert "| **all years** | 4 | 3 (75.0%) | 1 (25.0%) | 1 (25.0%) | 1 (25.0%) |" in card
    # Quarantine reasons grouped into families: both unreadable sizes fall together.
    assert "| `epoch_notable_models` | training_dataset_size: cannot read '…' as a number | 2 |" in card
    assert "| `epoch_notable_models` | publication_date: missing | 2 |" in card
    assert "| `ember_country_electricity` | year: … is after the snapshot year … | 1 |" in card
    assert "Quarantined rows: 5 (`ember_country_electricity` 1, `epoch_notable_models` 4)." in card
    # Rejected cells (set to null in kept rows), counted and grouped by column and reason family.
    assert "Rejected cells: 3 (`epoch_notable_models` 3)." in card
    assert (
        "| `epoch_notable_models` | `training_dataset_size` | training_dataset_size: cannot read '…' as a number | 2 | "
        "training_dataset_size: cannot read '1,2' as a number |"
    ) in card
    assert (
        "| `epoch_notable_models` | `hardware_utilization_mfu` | hardware_utilization_mfu: … is above … | 1 |" in card
    )
    # No analysis tables here: said so instead of failing.
    assert "are not in this build" in card
    # Caveats, with the counts the build gives.
    assert "1 of the 2 models published since 2025-01-01 have no `training_compute_flop`" in card
    assert "InstructGPT" in card and "Megatron-LM" in card and "2023 US dollars" in card
    assert "2022 to 2024" in card and "planned sites" in card and "trend breaks" in card


def test_data_card_shows_the_headline_when_the_analysis_tables_exist(con, tmp_path, monkeypatch):
    for table in ("trend_fits", "projections", "roadblocks"):
        con.execute(f"create table marts.{table} (metric varchar)")
    monkeypatch.setattr(
        "pipelines.lib.headline.headline_lines",
        lambda c: ["Frontier training compute grows 4.20x per year (a | pipe)."],
    )
    card = write_data_card(con, _manifest(con), tmp_path)[0].read_text(encoding="utf-8")
    assert "```text\nFrontier training compute grows 4.20x per year (a | pipe).\n```" in card


def test_datapackage_has_one_resource_per_table_with_mapped_types(con, tmp_path):
    manifest = _manifest(con)
    _with_parquet(con, tmp_path, manifest)
    package = json.loads(write_data_card(con, manifest, tmp_path)[1].read_text(encoding="utf-8"))
    assert package["name"] == "flopcast" and package["title"]
    assert package["licenses"][0]["name"] == "CC-BY-4.0" and package["licenses"][0]["path"].startswith("https://")
    sources = {s["flopcast:name"]: s for s in package["sources"]}
    assert sources["epoch_notable_models"]["path"] == "https://epoch.ai/data/ai-models"
    assert sources["epoch_notable_models"]["version"] == "2026-07-19" and sources["epoch_notable_models"]["title"]
    assert any(EPOCH_ATTRIBUTION in text for text in package["flopcast:attribution"])

    resources = {r["name"]: r for r in package["resources"]}
    assert sorted(resources) == sorted(manifest["tables"]) == [r["name"] for r in package["resources"]]
    for name, resource in resources.items():
        info = manifest["tables"][name]
        assert resource["path"] == info["parquet"] and not Path(resource["path"]).is_absolute()
        assert resource["format"] == "parquet" and resource["mediatype"] == "application/vnd.apache.parquet"
        assert resource["flopcast:content_hash"] == info["content_hash"] and resource["flopcast:rows"] == info["rows"]
        file = tmp_path / info["parquet"]
        assert resource["hash"] == "sha256:" + hashlib.sha256(file.read_bytes()).hexdigest()
        assert resource["bytes"] == file.stat().st_size
        assert [f["name"] for f in resource["schema"]["fields"]] == [c for c, _ in info["columns"]]
        assert resource["description"] == TABLE_DOCS[name]
    runs = {f["name"]: f for f in resources["marts.training_runs"]["schema"]["fields"]}
    assert runs["model_id"]["type"] == "string" and "unit" not in runs["model_id"]
    assert runs["training_compute_flop"] == {
        "name": "training_compute_flop",
        "type": "number",
        "unit": "FLOP",
        "flopcast:duckdb_type": "DOUBLE",
        "description": COLUMN_DOCS["marts.training_runs"]["training_compute_flop"][1],
    }
    assert runs["publication_date"]["type"] == "date" and runs["is_frontier"]["type"] == "boolean"
    summary = {f["name"]: f["type"] for f in resources["marts.yearly_summary"]["schema"]["fields"]}
    assert summary["year"] == "integer" and summary["n_frontier"] == "integer"  # BIGINT, HUGEINT
    reasons = {f["name"]: f["type"] for f in resources["quarantine.rejected_rows"]["schema"]["fields"]}
    assert reasons["reasons"] == "array"


def test_datapackage_omits_the_file_hash_when_the_parquet_file_is_absent(con, tmp_path):
    package = json.loads(write_data_card(con, _manifest(con), tmp_path)[1].read_text(encoding="utf-8"))
    assert all("hash" not in r and "bytes" not in r and r["flopcast:content_hash"] for r in package["resources"])


@pytest.mark.parametrize(
    "duckdb_type, expected",
    [
        ("VARCHAR", "string"),
        ("DOUBLE", "number"),
        ("FLOAT", "number"),
        ("DECIMAL(18,3)", "number"),
        ("BIGINT", "integer"),
        ("INTEGER", "integer"),
        ("HUGEINT", "integer"),
        ("BOOLEAN", "boolean"),
        ("DATE", "date"),
        ("VARCHAR[]", "array"),
        ("DOUBLE[3]", "array"),
        ("TIMESTAMP WITH TIME ZONE", "datetime"),
        ("BLOB", "any"),
    ],
)
def test_frictionless_type(duckdb_type, expected):
    assert frictionless_type(duckdb_type) == expected


def test_writing_twice_gives_identical_bytes(con, tmp_path):
    manifest = _manifest(con)
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        _with_parquet(con, folder, manifest)
    a = [p.read_bytes() for p in write_data_card(con, manifest, first)]
    b = [p.read_bytes() for p in write_data_card(con, manifest, second)]
    again = [p.read_bytes() for p in write_data_card(con, json.loads(json.dumps(manifest)), first)]
    assert a == b == again
    assert json.loads(a[1]) == json.loads(json.dumps(json.loads(a[1]), sort_keys=True))


def test_data_card_without_rejected_cells_says_so(con, tmp_path):
    con.execute("drop table quarantine.rejected_cells")
    card_path, _ = write_data_card(con, _manifest(con), tmp_path)
    card = card_path.read_text(encoding="utf-8")
    assert "## Rejected cells" in card and "No cell was rejected." in card
