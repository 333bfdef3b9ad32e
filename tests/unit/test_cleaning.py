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

from pipelines.lib.clean_sources import CLEANING_SPECS, NOTABLE_MODELS
from pipelines.lib.cleaning import QUARANTINE_SCHEMA, CleanContext, MissingColumnsError, clean_source
from pipelines.lib import parsing
from pipelines.lib.raw import read_text_table
from pipelines.lib.sources import load_snapshot, verify_snapshot

SOURCES_DIR = Path(__file__).resolve().parents[2] / "sources"
NOTABLE_FILE = SOURCES_DIR / "epoch_notable_models" / "2026-07-19" / "notable_ai_models.csv"
SNAPSHOT_DATE = dt.date(2026, 7, 19)


def real_header() -> list[str]:
    with open(NOTABLE_FILE, encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


HEADER = real_header()

GOOD = [
    {"Model": "GPT-X", "Publication date": "2023-03-14", "Domain": "Language", "Organization": "OpenAI,OpenAI",
     "Training compute (FLOP)": "2.1e25", "Training dataset size (total)": "1.3e13", "Parameters": "1e12"},
    {"Model": "ResNet-152", "Publication date": "2015-12", "Domain": "Vision",
     "Training compute (FLOP)": "1.1e19", "Training dataset size (total)": "1280000"},
    {"Model": "Flamingo", "Publication date": "2022", "Domain": "Multimodal,Language,Vision",
     "Training dataset size (total)": "4.3e9"},
]
BAD = [
    {"Model": "NoDate", "Training compute (FLOP)": "1e20"},
    {"Model": "FromTheFuture", "Publication date": "2027-01-01"},
    {"Model": "BadCompute", "Publication date": "2020-01-01", "Training compute (FLOP)": "lots"},
    {"Model": "TwoProblems", "Training compute (FLOP)": "lots"},
]
# Same model_id 'deeplabv3'; the second row has more values and must win in any order.
DUPLICATES = [
    {"Model": "DeepLabV3", "Publication date": "2017-06-17", "Domain": "Vision"},
    {"Model": "DeepLabv3\n", "Publication date": "2017-06-17", "Domain": "Vision", "Parameters": "4e7",
     "Training compute (FLOP)": "1e18"},
]


def write_csv(tmp_path: Path, rows: list[dict], header: list[str] = HEADER, name: str = "notable_ai_models.csv") -> Path:
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


def clean(tmp_path: Path, rows: list[dict], header: list[str] = HEADER) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    path = write_csv(tmp_path, rows, header)
    raw = read_text_table(path, source="epoch_notable_models", version="2026-07-19")
    clean_rows, rejected = clean_source(raw, NOTABLE_MODELS, CleanContext(str(path), SNAPSHOT_DATE))
    return raw, clean_rows, rejected


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
    raw, clean_rows, rejected = clean(tmp_path, [BAD[0], GOOD[0], *DUPLICATES, BAD[1], GOOD[1], BAD[2], GOOD[2], BAD[3]])
    assert raw.height == 9
    assert_conserved(raw, clean_rows, rejected)
    assert rejected.height == 5  # four bad rows and the losing duplicate
    assert dict(rejected.schema) == QUARANTINE_SCHEMA


def test_bad_rows_are_quarantined_with_every_reason(tmp_path):
    _, clean_rows, rejected = clean(tmp_path, [*GOOD, *BAD])
    assert sorted(clean_rows["model"].to_list()) == ["Flamingo", "GPT-X", "ResNet-152"]
    reasons = reasons_by_model(rejected)
    assert reasons["NoDate"] == ["publication_date: missing"]
    assert len(reasons["FromTheFuture"]) == 1
    assert "2027-01-01" in reasons["FromTheFuture"][0] and "after the snapshot date 2026-07-19" in reasons["FromTheFuture"][0]
    assert reasons["BadCompute"] == ["training_compute_flop: cannot read 'lots' as a number"]
    assert sorted(reasons["TwoProblems"]) == sorted(["publication_date: missing", "training_compute_flop: cannot read 'lots' as a number"])


def test_rejected_rows_carry_source_version_and_row_number(tmp_path):
    _, _, rejected = clean(tmp_path, [GOOD[0], BAD[2]])
    assert rejected.select("source", "source_version", "row_number").rows() == [("epoch_notable_models", "2026-07-19", 2)]


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
        assert loser["reasons"][0].to_list() == ["duplicate model: another row with model_id 'deeplabv3' is more complete (or equal and first by value) and is kept"]
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
    assert ids == sorted(ids) == ["deeplabv3", "flamingo", "gpt-x", "resnet-152"]
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
    assert gpt["organization"] == "OpenAI"  # repeated list entries collapsed
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
    clean_rows, rejected = clean_source(raw, spec, context)
    assert clean_rows.height > 0
    assert_conserved(raw, clean_rows, rejected)
    key = list(spec.key)
    assert clean_rows.select(key).null_count().sum_horizontal().item() == 0
    assert not clean_rows.select(key).is_duplicated().any()
    assert all(len(reasons) > 0 for reasons in rejected["reasons"].to_list())


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=30), st.text(alphabet=st.characters(max_codepoint=127), max_size=30)),
                min_size=1, max_size=20))
def test_vectorised_slug_ids_match_parsing_slug(names):
    from pipelines.lib.clean_sources import _slug_ids

    got = pl.DataFrame({"name": names}, schema={"name": pl.String}).select(_slug_ids(pl.col("name")).alias("slug"))["slug"].to_list()
    assert got == [None if n is None else parsing.slug(n) for n in names]
