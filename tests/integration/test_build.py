"""The real Dagster definitions, materialized into temporary folders."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pytest

from pipelines.lib.sources import SOURCES, load_snapshot, write_snapshot
from pipelines.lib.warehouse import Locations
from tests.conftest import build, manifest, published_state

pytestmark = pytest.mark.integration

CONTRACT_COLUMNS = {
    "model_id",
    "model",
    "organization",
    "country",
    "domain",
    "publication_date",
    "parameters",
    "training_compute_flop",
    "training_tokens",
    "training_cost_usd",
    "training_power_w",
    "training_hardware",
    "hardware_quantity",
    "training_time_hours",
    "is_frontier",
    "is_large_scale",
    "source",
    "source_version",
}


def test_publishes_contract_tables_with_parquet_and_manifest(built):
    info = manifest(built)
    assert {
        "marts.training_runs",
        "marts.frontier_runs",
        "marts.compute_records",
        "marts.yearly_summary",
        "quarantine.rejected_rows",
        "quarantine.rejected_cells",
    } <= set(info["tables"])
    with duckdb.connect(str(built.published_db), read_only=True) as con:
        columns = {
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema='marts' and table_name='training_runs'"
            ).fetchall()
        }
        assert CONTRACT_COLUMNS <= columns
        for name, table in info["tables"].items():
            assert con.execute(f"select count(*) from {name}").fetchone()[0] == table["rows"]
            parquet = pl.read_parquet(built.warehouse_dir / table["parquet"])
            assert parquet.height == table["rows"] and parquet.columns == [c for c, _ in table["columns"]]
    assert {s.name for s in SOURCES} == set(info["sources"])
    for name, used in info["sources"].items():
        assert used["sha256"] == load_snapshot(built.sources_dir, name, used["version"]).sha256


def test_every_raw_row_is_clean_or_quarantined_with_reasons(built):
    with duckdb.connect(str(built.published_db), read_only=True) as con:
        for spec in SOURCES:
            raw = con.execute(f"select count(*) from raw.{spec.name}").fetchone()[0]
            quarantined = con.execute(
                "select count(*) from quarantine.rejected_rows where source = ?", [spec.name]
            ).fetchone()[0]
            table = {
                "epoch_notable_models": "notable_models",
                "epoch_ml_hardware": "ml_hardware",
                "epoch_gpu_clusters": "gpu_clusters",
                "fred_ppi_data_processing": "price_index",
                "ember_country_electricity": "country_electricity",
            }[spec.name]
            clean = con.execute(f"select count(*) from clean.{table}").fetchone()[0]
            assert raw == clean + quarantined, spec.name
        # Every quarantined row says why, and points back at its raw record.
        missing = con.execute("""
            select count(*) from quarantine.rejected_rows q
            where len(q.reasons) = 0 or not exists (
                select 1 from raw.epoch_notable_models r where r._row_number = q.row_number and q.source = 'epoch_notable_models')
        """).fetchone()[0]
        assert missing == 0
        # Models without a compute estimate stay in the mart (they are usable, just not for compute fits).
        assert (
            con.execute("select count(*) from marts.training_runs where training_compute_flop is null").fetchone()[0]
            > 0
        )


def test_an_unreadable_optional_cell_loses_the_cell_not_the_run(built):
    """Masked Autoencoders ViT-H, EfficientNetV2-XL and AbLang have two numbers in 'Training dataset size
    (total)': that cell is null and in quarantine.rejected_cells, the runs (and their compute) are kept."""
    with duckdb.connect(str(built.published_db), read_only=True) as con:
        runs = dict(
            con.execute("""select model, training_compute_flop from marts.training_runs
            where model in ('Masked Autoencoders ViT-H', 'EfficientNetV2-XL', 'AbLang (heavy sequences)')""").fetchall()
        )
        assert runs.keys() == {"Masked Autoencoders ViT-H", "EfficientNetV2-XL", "AbLang (heavy sequences)"}
        assert runs["Masked Autoencoders ViT-H"] == pytest.approx(4.6e20) and runs["EfficientNetV2-XL"] > 0
        cells = con.execute("""select c.row_number, c.source_column, c.field, c.raw_value, r."Model",
                                      r."Training dataset size (total)", k.training_dataset_size
            from quarantine.rejected_cells c
            join raw.epoch_notable_models r on r._row_number = c.row_number
            join clean.notable_models k on k.source_row_number = c.row_number
            where c.source = 'epoch_notable_models' order by c.row_number""").fetchall()
        assert [(model, value) for _, _, _, value, model, _, _ in cells] == [
            ("AbLang (heavy sequences)", "2260275840,2290000001"),
            ("Masked Autoencoders ViT-H", "327978752,192851506176"),
            ("EfficientNetV2-XL", "14180000,14180000"),
        ]
        for _, column, field, value, _, raw_value, clean_value in cells:
            assert (column, field, clean_value) == ("Training dataset size (total)", "training_dataset_size", None)
            assert raw_value == value
        # Only rows without a usable date are rejected whole in the bundled snapshot.
        assert con.execute("select distinct reasons from quarantine.rejected_rows").fetchall() == [
            (["publication_date: missing"],)
        ]


def test_models_whose_names_differ_by_a_symbol_are_distinct(built):
    with duckdb.connect(str(built.published_db), read_only=True) as con:
        ids = dict(
            con.execute("""select model, model_id from marts.training_runs
            where model in ('DeepLabV3', 'DeepLabV3+', 'PointNet', 'PointNet++', 'RNNsearch-50*')""").fetchall()
        )
        assert ids == {
            "DeepLabV3": "deeplabv3",
            "DeepLabV3+": "deeplabv3-plus",
            "PointNet": "pointnet",
            "PointNet++": "pointnet-plus-plus",
            "RNNsearch-50*": "rnnsearch-50-star",
        }
        kept = {
            m
            for (m,) in con.execute("""select model_id from marts.training_runs
            where model_id in ('gpt-4-mar-2023', 'gpt-3-175b-davinci', 'llama-3-1-405b')""").fetchall()
        }
        assert kept == {"gpt-4-mar-2023", "gpt-3-175b-davinci", "llama-3-1-405b"}  # ids used elsewhere unchanged


def test_frontier_flags_are_top_ten_at_release(built):
    with duckdb.connect(str(built.published_db), read_only=True) as con:
        runs = con.execute("""
            select model_id, publication_date, training_compute_flop, is_frontier
            from marts.training_runs where training_compute_flop is not null""").fetchall()
    # Recompute the rule in Python, independently of the SQL.
    for model_id, day, flop, is_frontier in runs:
        larger = sum(1 for m, d, f, _ in runs if d <= day and (f > flop or (f == flop and m < model_id)))
        assert is_frontier == (larger < 10), model_id


def test_two_builds_from_the_same_inputs_have_identical_hashes(built, tmp_path):
    again = Locations(sources_dir=built.sources_dir, warehouse_dir=tmp_path / "again")
    assert build(again).success
    assert again.manifest.read_bytes() == built.manifest.read_bytes()


def _new_version(locations: Locations, edit, version: str = "2026-07-20") -> None:
    """A newer snapshot of the main source, edited by `edit(text) -> text`, with a correct manifest."""
    current = load_snapshot(locations.sources_dir, "epoch_notable_models")
    data = edit(current.data_path.read_text(encoding="utf-8")).encode("utf-8")
    origin = dict(current.manifest["origin"], retrieved=version)
    write_snapshot(locations.sources_dir, "epoch_notable_models", version, data, origin)


def test_failing_expectation_blocks_publish(published_copy):
    before = published_state(published_copy)
    # GPT-3's compute becomes 1e40 FLOP: parseable, but far outside the physical bounds.
    _new_version(published_copy, lambda text: text.replace(",3.14e+23,", ",1e+40,", 1))
    outcome = build(published_copy)
    assert not outcome.success and not outcome.published
    assert "clean/notable_models:expectations" in outcome.checks_failed
    assert published_state(published_copy) == before
    report = json.loads((published_copy.checks_dir / "clean.notable_models.json").read_text())
    failed = [o for o in report["outcomes"] if not o["success"]]
    assert [o["column"] for o in failed] == ["training_compute_flop"]
    assert failed[0]["examples"] == [1e40]


def test_checksum_mismatch_fails_before_anything_is_published(published_copy):
    before = published_state(published_copy)
    snapshot = load_snapshot(published_copy.sources_dir, "epoch_ml_hardware")
    data = bytearray(snapshot.data_path.read_bytes())
    data[-2] = ord("7") if data[-2] != ord("7") else ord("8")
    snapshot.data_path.write_bytes(bytes(data))
    outcome = build(published_copy)
    assert not outcome.success
    failure = "\n".join(outcome.failures)
    assert "checksum mismatch" in failure and str(snapshot.data_path) in failure and snapshot.sha256 in failure
    assert published_state(published_copy) == before


def test_renamed_source_column_fails_loudly(published_copy):
    before = published_state(published_copy)
    _new_version(published_copy, lambda text: text.replace("Training compute (FLOP)", "Training compute (FLOPs)", 1))
    outcome = build(published_copy)
    assert not outcome.success
    failure = "\n".join(outcome.failures)
    assert "'Training compute (FLOP)'" in failure and "Training compute (FLOPs)" in failure
    assert published_state(published_copy) == before


def test_reader_holding_the_published_file_never_blocks_or_sees_a_half_build(published_copy):
    with duckdb.connect(str(published_copy.published_db), read_only=True) as reader:
        old_count = reader.execute("select count(*) from marts.training_runs").fetchone()[0]
        # The next snapshot drops the first model row: a build that must publish a different count.
        _new_version(published_copy, _drop_first_record)
        outcome = build(published_copy)
        assert outcome.success, outcome.summary(0)
        # The open connection still reads the complete old build...
        assert reader.execute("select count(*) from marts.training_runs").fetchone()[0] == old_count
        assert reader.execute("select count(*) from marts.frontier_runs").fetchone()[0] > 0
    # ...and a new connection sees the new one.
    with duckdb.connect(str(published_copy.published_db), read_only=True) as fresh:
        assert fresh.execute("select count(*) from marts.training_runs").fetchone()[0] == old_count - 1
        assert fresh.execute("select distinct source_version from marts.training_runs").fetchall() == [("2026-07-20",)]
        # The release diff names exactly the dropped model, against the previous snapshot version.
        assert fresh.execute(
            "select change, model_id, old_version, new_version from marts.release_diff"
        ).fetchall() == [("removed", "inkling", "2026-07-19", "2026-07-20")]
    assert any("removed 1" in line for line in outcome.headline)
    report = (published_copy.report_dir / "index.html").read_text()
    assert "What changed since the previous snapshot" in report and "Inkling" in report


def _drop_first_record(text: str) -> str:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text, newline="")))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([rows[0], *rows[2:]])
    return out.getvalue()
