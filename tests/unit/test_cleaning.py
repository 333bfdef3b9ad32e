"""clean.* tables and the quarantine (pipelines.lib.cleaning + pipelines.lib.clean_sources)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.lib import parsing
from pipelines.lib.clean_sources import CLEANING_SPECS, NOTABLE_MODELS
from pipelines.lib.cleaning import (
    QUARANTINE_SCHEMA,
    REJECTED_CELLS_SCHEMA,
    CleanContext,
    Cleaned,
    MissingColumnsError,
)
from pipelines.lib.raw import read_text_table
from pipelines.lib.sources import load_snapshot, verify_snapshot
from pipelines.lib.stages import clean_frame
from tests.budget import examples

SOURCES_DIR = Path(__file__).resolve().parents[2] / "sources"
NOTABLE_FILE = SOURCES_DIR / "epoch_notable_models" / "2026-07-19" / "notable_ai_models.csv"
SNAPSHOT_DATE = dt.date(2026, 7, 19)


def real_header() -> list[str]:
    with open(NOTABLE_FILE, encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


HEADER = real_header()

GOOD = [
    {
        "Model": "GPT-X",
        "Publication date": "2023-03-14",
        "Domain": "Language",
        "Organization": "OpenAI,OpenAI",
        "Training compute (FLOP)": "2.1e25",
        "Training dataset size (total)": "1.3e13",
        "Parameters": "1e12",
    },
    {
        "Model": "ResNet-152",
        "Publication date": "2015-12",
        "Domain": "Vision",
        "Training compute (FLOP)": "1.1e19",
        "Training dataset size (total)": "1280000",
    },
    {
        "Model": "Flamingo",
        "Publication date": "2022",
        "Domain": "Multimodal,Language,Vision",
        "Training dataset size (total)": "4.3e9",
    },
]
BAD = [
    {"Model": "NoDate", "Training compute (FLOP)": "1e20"},
    {"Model": "FromTheFuture", "Publication date": "2027-01-01"},
    # An unreadable optional cell: the row is kept, the cell set to null and listed in rejected_cells.
    {"Model": "BadCompute", "Publication date": "2020-01-01", "Training compute (FLOP)": "lots"},
    {"Model": "TwoProblems", "Training compute (FLOP)": "lots"},
]
# Same model_id 'deeplabv3'; the second row has more values and must win in any order.
DUPLICATES = [
    {"Model": "DeepLabV3", "Publication date": "2017-06-17", "Domain": "Vision"},
    {
        "Model": "DeepLabv3\n",
        "Publication date": "2017-06-17",
        "Domain": "Vision",
        "Parameters": "4e7",
        "Training compute (FLOP)": "1e18",
    },
]


def write_csv(
    tmp_path: Path, rows: list[dict], header: list[str] = HEADER, name: str = "notable_ai_models.csv"
) -> Path:
    unknown = {key for row in rows for key in row} - set(header)
    assert not unknown, unknown
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    path = tmp_path / name
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def clean(
    tmp_path: Path, rows: list[dict], header: list[str] = HEADER
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    path = write_csv(tmp_path, rows, header)
    raw = read_text_table(path, source="epoch_notable_models", version="2026-07-19")
    clean_rows, rejected, _ = clean_frame(raw, NOTABLE_MODELS, CleanContext(str(path), SNAPSHOT_DATE))
    return raw, clean_rows, rejected


def clean_all(tmp_path: Path, rows: list[dict], header: list[str] = HEADER) -> tuple[pl.DataFrame, Cleaned]:
    path = write_csv(tmp_path, rows, header)
    raw = read_text_table(path, source="epoch_notable_models", version="2026-07-19")
    return raw, clean_frame(raw, NOTABLE_MODELS, CleanContext(str(path), SNAPSHOT_DATE))


def reasons_by_model(rejected: pl.DataFrame) -> dict[str, list[str]]:
    return {json.loads(r["raw_row"])["Model"]: r["reasons"] for r in rejected.iter_rows(named=True)}


def assert_conserved(raw: pl.DataFrame, clean_rows: pl.DataFrame, rejected: pl.DataFrame) -> None:
    assert clean_rows.height + rejected.height == raw.height
    clean_numbers = set(clean_rows["source_row_number"].to_list())
    rejected_numbers = set(rejected["row_number"].to_list())
    assert not clean_numbers & rejected_numbers
    assert clean_numbers | rejected_numbers == set(raw["_row_number"].to_list())


def test_real_header_is_used():
    assert HEADER[0] == "Model"
    assert "Training compute (FLOP)" in HEADER and len(HEADER) > 30


def test_every_raw_row_is_either_clean_or_rejected(tmp_path):
    raw, clean_rows, rejected = clean(
        tmp_path, [BAD[0], GOOD[0], *DUPLICATES, BAD[1], GOOD[1], BAD[2], GOOD[2], BAD[3]]
    )
    assert raw.height == 9
    assert_conserved(raw, clean_rows, rejected)
    assert rejected.height == 4  # three rows without a usable date and the losing duplicate (BadCompute is kept)
    assert dict(rejected.schema) == QUARANTINE_SCHEMA


def test_bad_rows_are_quarantined_with_every_reason(tmp_path):
    _, clean_rows, rejected = clean(tmp_path, [*GOOD, *BAD])
    assert sorted(clean_rows["model"].to_list()) == ["BadCompute", "Flamingo", "GPT-X", "ResNet-152"]
    reasons = reasons_by_model(rejected)
    assert reasons["NoDate"] == ["publication_date: missing"]
    assert len(reasons["FromTheFuture"]) == 1
    assert (
        "2027-01-01" in reasons["FromTheFuture"][0]
        and "after the snapshot date 2026-07-19" in reasons["FromTheFuture"][0]
    )
    assert "BadCompute" not in reasons
    # A rejected row lists its row reasons, then the reasons of its unreadable cells.
    assert reasons["TwoProblems"] == [
        "publication_date: missing",
        "training_compute_flop: cannot read 'lots' as a number",
    ]


def test_rejected_rows_carry_source_version_and_row_number(tmp_path):
    _, _, rejected = clean(tmp_path, [GOOD[0], BAD[0]])
    assert rejected.select("source", "source_version", "row_number").rows() == [
        ("epoch_notable_models", "2026-07-19", 2)
    ]


# --- cell-level quarantine ----------------------------------------------------------------------


def test_unreadable_optional_cell_is_nulled_and_recorded_and_the_row_kept(tmp_path):
    two_numbers = {
        "Model": "Masked Autoencoders ViT-H",
        "Publication date": "2021-11-11",
        "Domain": "Vision",
        "Training compute (FLOP)": "4.6e20",
        "Training dataset size (total)": "327978752,192851506176",
        "Hardware utilization (MFU)": "1.7",
        "Frontier model": "maybe",
    }
    raw, cleaned = clean_all(tmp_path, [GOOD[0], two_numbers, BAD[0]])
    assert_conserved(raw, cleaned.clean, cleaned.rejected_rows)
    kept = cleaned.clean.filter(pl.col("model") == "Masked Autoencoders ViT-H").row(0, named=True)
    assert kept["training_compute_flop"] == 4.6e20  # the run and its compute stay in
    assert kept["training_dataset_size"] is None and kept["training_tokens"] is None
    assert kept["hardware_utilization_mfu"] is None  # readable but impossible: also a rejected cell
    assert kept["is_epoch_frontier"] is None  # unreadable flag: unknown, not "not flagged"
    assert dict(cleaned.rejected_cells.schema) == REJECTED_CELLS_SCHEMA
    assert cleaned.rejected_cells.rows() == [
        (
            "epoch_notable_models",
            "2026-07-19",
            2,
            "Training dataset size (total)",
            "training_dataset_size",
            "327978752,192851506176",
            "training_dataset_size: cannot read '327978752,192851506176' as a number",
        ),
        (
            "epoch_notable_models",
            "2026-07-19",
            2,
            "Hardware utilization (MFU)",
            "hardware_utilization_mfu",
            "1.7",
            "hardware_utilization_mfu: 1.7 is above 1",
        ),
        (
            "epoch_notable_models",
            "2026-07-19",
            2,
            "Frontier model",
            "is_epoch_frontier",
            "maybe",
            "is_epoch_frontier: cannot read 'maybe' as yes/no",
        ),
    ]
    assert cleaned.rejected_rows["row_number"].to_list() == [3]  # NoDate: no date is still a whole-row problem


def test_rejected_cells_only_point_at_clean_rows(tmp_path):
    """The cells of a row rejected whole are among its reasons, not in rejected_cells."""
    no_date = {"Model": "NoDateBadSize", "Training dataset size (total)": "1,2"}
    raw, cleaned = clean_all(tmp_path, [no_date, BAD[2]])
    assert cleaned.rejected_rows["reasons"].to_list() == [
        ["publication_date: missing", "training_dataset_size: cannot read '1,2' as a number"]
    ]
    assert cleaned.rejected_cells.select("row_number", "field", "raw_value").rows() == [
        (2, "training_compute_flop", "lots")
    ]
    assert set(cleaned.rejected_cells["row_number"]) <= set(cleaned.clean["source_row_number"])


def test_not_null_column_unreadable_rejects_the_row(tmp_path):
    _, cleaned = clean_all(tmp_path, [{"Model": "BadDate", "Publication date": "spring 2020", "Parameters": "x"}])
    assert cleaned.clean.height == 0
    assert cleaned.rejected_rows["reasons"].to_list() == [
        [
            "publication_date: cannot read 'spring 2020' as a date (YYYY-MM-DD, YYYY-MM or YYYY)",
            "parameters: cannot read 'x' as a number",
        ]
    ]
    assert cleaned.rejected_cells.height == 0


def test_hardware_release_date_after_the_snapshot_is_a_rejected_cell(tmp_path):
    """An optional date after the snapshot nulls that date (and its precision); the chip is kept."""
    from pipelines.lib.clean_sources import ML_HARDWARE

    header = [c.source for c in ML_HARDWARE.columns]
    path = write_csv(
        tmp_path,
        [
            {"Hardware name": "Chip A", "Release date": "2030-05", "TDP (W)": "700"},
            {"Hardware name": "Chip B", "Release date": "2020-05", "TDP (W)": "300"},
        ],
        header,
        name="hardware.csv",
    )
    raw = read_text_table(path, source="epoch_ml_hardware", version="2026-07-19")
    cleaned = clean_frame(raw, ML_HARDWARE, CleanContext(str(path), SNAPSHOT_DATE))
    chip = cleaned.clean.filter(pl.col("hardware_name") == "Chip A").row(0, named=True)
    assert chip["release_date"] is None and chip["release_date_precision"] is None and chip["tdp_w"] == 700
    assert cleaned.rejected_cells.select("source_column", "raw_value", "reason").rows() == [
        ("Release date", "2030-05", "release_date: 2030-05-01 is after the snapshot date 2026-07-19")
    ]
    assert cleaned.rejected_rows.height == 0


def test_duplicate_with_a_rejected_cell_keeps_the_more_complete_row(tmp_path):
    rows = [
        {"Model": "Same", "Publication date": "2020-01-01", "Parameters": "1e9", "Training compute (FLOP)": "lots"},
        {"Model": "same ", "Publication date": "2020-01-01", "Parameters": "1e9", "Training compute (FLOP)": "1e20"},
    ]
    for order in (rows, rows[::-1]):
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        raw, cleaned = clean_all(folder, order)
        assert_conserved(raw, cleaned.clean, cleaned.rejected_rows)
        assert cleaned.clean["training_compute_flop"].to_list() == [1e20]
        loser = cleaned.rejected_rows["reasons"][0].to_list()
        assert (
            loser[0].startswith("duplicate model: ")
            and loser[1] == "training_compute_flop: cannot read 'lots' as a number"
        )
        assert cleaned.rejected_cells.height == 0  # the loser's cell is among its reasons only


def test_raw_row_holds_original_headers_and_text(tmp_path):
    weird = {"Model": "  Odd\nName ", "Training compute (FLOP)": "lots", "Parameters": "007.50", "Domain": "Language"}
    _, _, rejected = clean(tmp_path, [weird])
    raw_row = json.loads(rejected["raw_row"][0])
    assert list(raw_row) == HEADER  # every original header, in file order, no lineage columns
    assert raw_row["Model"] == "  Odd\nName "
    assert raw_row["Training compute (FLOP)"] == "lots"
    assert raw_row["Parameters"] == "007.50"
    assert raw_row["Publication date"] is None  # empty cell


def test_more_complete_duplicate_is_kept_in_any_order(tmp_path):
    rows = [*GOOD, *DUPLICATES, BAD[0]]
    results = []
    for seed in range(6):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        folder = tmp_path / f"order{seed}"
        folder.mkdir()
        raw, clean_rows, rejected = clean(folder, shuffled)
        assert_conserved(raw, clean_rows, rejected)
        kept = clean_rows.filter(pl.col("model_id") == "deeplabv3")
        assert kept.height == 1
        assert kept["parameters"][0] == 4e7 and kept["training_compute_flop"][0] == 1e18
        assert kept["model"][0] == "DeepLabv3"  # trailing newline cleaned off
        kept_row = kept["source_row_number"][0]
        assert shuffled[kept_row - 1] is DUPLICATES[1]
        loser = rejected.filter(pl.col("row_number") == shuffled.index(DUPLICATES[0]) + 1)
        assert loser["reasons"][0].to_list() == [
            "duplicate model: another row with model_id 'deeplabv3' is more complete (or equal and first by value) and is kept"
        ]
        results.append(clean_rows.drop("source_row_number"))
    for other in results[1:]:
        assert other.equals(results[0])


def test_clean_output_sorted_by_key_and_independent_of_input_order(tmp_path):
    rows = [*GOOD, *DUPLICATES, *BAD]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, forward, _ = clean(tmp_path / "a", rows)
    _, backward, _ = clean(tmp_path / "b", rows[::-1])
    ids = forward["model_id"].to_list()
    assert ids == sorted(ids) == ["badcompute", "deeplabv3", "flamingo", "gpt-x", "resnet-152"]
    assert forward.drop("source_row_number").equals(backward.drop("source_row_number"))


def test_training_tokens_only_for_language_models(tmp_path):
    _, clean_rows, _ = clean(tmp_path, GOOD)
    by_model = {r["model"]: r for r in clean_rows.iter_rows(named=True)}
    assert by_model["GPT-X"]["training_tokens"] == 1.3e13
    assert by_model["GPT-X"]["is_language_model"] is True
    assert by_model["Flamingo"]["training_tokens"] == 4.3e9  # Language among several domains
    assert by_model["ResNet-152"]["training_tokens"] is None  # images, not tokens
    assert by_model["ResNet-152"]["training_dataset_size"] == 1280000
    assert by_model["ResNet-152"]["is_language_model"] is False


def test_typed_values_of_a_clean_row(tmp_path):
    _, clean_rows, _ = clean(tmp_path, GOOD)
    gpt = clean_rows.filter(pl.col("model") == "GPT-X").row(0, named=True)
    assert gpt["organization"] == ["OpenAI"]  # a list; repeated entries collapsed
    assert gpt["training_compute_flop"] == 2.1e25
    assert gpt["publication_date"] == dt.date(2023, 3, 14)
    assert gpt["publication_date_precision"] == "day"
    assert gpt["is_epoch_frontier"] is False  # absent means not flagged
    resnet = clean_rows.filter(pl.col("model") == "ResNet-152").row(0, named=True)
    assert resnet["publication_date_precision"] == "month"
    assert resnet["publication_year_fraction"] == pytest.approx(2015 + (334 + 15.5) / 365)


def test_renamed_required_column_fails_naming_it_and_suggesting_the_new_name(tmp_path):
    header = ["Training compute (FLOPs)" if h == "Training compute (FLOP)" else h for h in HEADER]
    rows = [{("Training compute (FLOPs)" if k == "Training compute (FLOP)" else k): v for k, v in GOOD[0].items()}]
    with pytest.raises(MissingColumnsError) as caught:
        clean(tmp_path, rows, header)
    message = str(caught.value)
    assert "'Training compute (FLOP)'" in message
    assert "renamed to 'Training compute (FLOPs)'" in message
    assert "notable_ai_models.csv" in message


def test_dropped_required_column_is_named(tmp_path):
    header = [h for h in HEADER if h != "Publication date"]
    with pytest.raises(MissingColumnsError, match="'Publication date'"):
        clean(tmp_path, [{"Model": "x"}], header)


# --- the bundled snapshots ----------------------------------------------------------------------


@pytest.mark.parametrize("source", sorted(CLEANING_SPECS))
def test_bundled_snapshot_cleans_with_row_conservation_and_unique_key(source):
    spec = CLEANING_SPECS[source]
    snapshot = load_snapshot(SOURCES_DIR, source)
    verify_snapshot(snapshot)
    raw = read_text_table(snapshot.data_path, source=source, version=snapshot.version)
    assert raw.height == snapshot.manifest["file"]["rows"]
    context = CleanContext(str(snapshot.data_path), dt.date.fromisoformat(snapshot.retrieved))
    clean_rows, rejected, cells = clean_frame(raw, spec, context)
    assert clean_rows.height > 0
    assert_conserved(raw, clean_rows, rejected)
    key = list(spec.key)
    assert clean_rows.select(key).null_count().sum_horizontal().item() == 0
    assert not clean_rows.select(key).is_duplicated().any()
    assert all(len(reasons) > 0 for reasons in rejected["reasons"].to_list())
    # Every rejected cell is the raw cell's text and null in its clean row.
    by_row = {row["source_row_number"]: row for row in clean_rows.iter_rows(named=True)}
    raw_by_row = {row["_row_number"]: row for row in raw.iter_rows(named=True)}
    for cell in cells.iter_rows(named=True):
        assert by_row[cell["row_number"]][cell["field"]] is None, cell
        assert raw_by_row[cell["row_number"]][cell["source_column"]] == cell["raw_value"], cell


def test_bundled_main_source_keeps_runs_with_an_unreadable_dataset_size():
    snapshot = load_snapshot(SOURCES_DIR, "epoch_notable_models")
    raw = read_text_table(snapshot.data_path, source=snapshot.source, version=snapshot.version)
    clean_rows, rejected, cells = clean_frame(
        raw, NOTABLE_MODELS, CleanContext(str(snapshot.data_path), dt.date.fromisoformat(snapshot.retrieved))
    )
    kept = dict(clean_rows.select("model", "training_compute_flop").rows())
    assert kept["Masked Autoencoders ViT-H"] == pytest.approx(4.6e20, rel=0.05)
    assert kept["EfficientNetV2-XL"] is not None and "AbLang (heavy sequences)" in kept
    assert {"DeepLabV3", "DeepLabV3+", "PointNet", "PointNet++"} <= set(kept)
    assert set(cells.filter(pl.col("field") == "training_dataset_size")["raw_value"]) >= {"327978752,192851506176"}
    assert all(reasons == ["publication_date: missing"] for reasons in rejected["reasons"].to_list())


@settings(max_examples=examples(300), deadline=None, derandomize=True, database=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(max_size=30),
            st.text(alphabet=st.characters(max_codepoint=127), max_size=30),
            st.text(alphabet="aC9 +*#-.\n\uff0b\u00e9", max_size=12),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_vectorised_slug_ids_match_parsing_slug(names):
    from pipelines.lib.clean_sources import _slug_ids

    got = (
        pl.DataFrame({"name": names}, schema={"name": pl.String})
        .select(_slug_ids(pl.col("name")).alias("slug"))["slug"]
        .to_list()
    )
    assert got == [None if n is None else parsing.slug(n) for n in names]


# --- model ids ----------------------------------------------------------------------------------


def test_symbols_that_name_a_model_are_part_of_its_id():
    assert parsing.slug("DeepLabV3+") == "deeplabv3-plus"
    assert parsing.slug("PointNet++") == "pointnet-plus-plus"
    assert parsing.slug("RNNsearch-50*") == "rnnsearch-50-star"
    assert parsing.slug("C#") == "c-sharp"
    assert parsing.slug("EU AI Gigafactory #1") == "eu-ai-gigafactory-1"  # a number sign only separates
    assert parsing.slug("DeepLab\uff0bV3") == "deeplab-plus-v3"  # a full-width plus is a plus


def test_ids_other_tables_and_tests_rely_on_do_not_change():
    assert parsing.slug("GPT-4 (Mar 2023)") == "gpt-4-mar-2023"
    assert parsing.slug("GPT-3 175B (davinci)") == "gpt-3-175b-davinci"
    assert parsing.slug("Llama 3.1-405B") == "llama-3-1-405b"


def test_distinct_models_stay_distinct_and_real_duplicates_are_still_caught(tmp_path):
    rows = [
        {"Model": "DeepLabV3", "Publication date": "2017-06-17"},
        {"Model": "DeepLabV3+", "Publication date": "2018-02-07", "Parameters": "4e7"},
        {"Model": "PointNet", "Publication date": "2016-12-02"},
        {"Model": "PointNet++", "Publication date": "2017-06-07"},
        # Case, spacing and a trailing newline do not make a different model:
        {"Model": "deeplabv3 +\n", "Publication date": "2018-02-07"},
        {"Model": "Pointnet  ++", "Publication date": "2017-06-07"},
    ]
    raw, clean_rows, rejected = clean(tmp_path, rows)
    assert_conserved(raw, clean_rows, rejected)
    assert clean_rows["model_id"].to_list() == ["deeplabv3", "deeplabv3-plus", "pointnet", "pointnet-plus-plus"]
    assert clean_rows.filter(pl.col("model_id") == "deeplabv3-plus")["model"].to_list() == [
        "DeepLabV3+"
    ]  # more complete
    assert sorted(rejected["row_number"].to_list()) == [5, 6]
    assert all(r[0].startswith("duplicate model: ") for r in rejected["reasons"].to_list())
