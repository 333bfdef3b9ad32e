"""A build as of an earlier date keeps only what was known then, in every source (inline data)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.lib.clean_sources import CLEANING_SPECS
from pipelines.lib.cleaning import CleanContext
from pipelines.lib.raw import read_text_table
from pipelines.lib.stages import clean_frame
from tests.unit.test_cleaning import GOOD, HEADER, SNAPSHOT_DATE, assert_conserved, write_csv

AS_OF = dt.date(2023, 1, 31)


def _clean_notable(tmp_path, rows, as_of):
    path = write_csv(tmp_path, rows, HEADER)
    raw = read_text_table(path, source="epoch_notable_models", version="2026-07-19")
    clean_rows, rejected, _ = clean_frame(
        raw, CLEANING_SPECS["epoch_notable_models"], CleanContext(str(path), SNAPSHOT_DATE, AS_OF if as_of else None)
    )
    return raw, clean_rows, rejected


def test_runs_published_after_the_as_of_date_are_left_out_with_the_reason(tmp_path):
    rows = [*GOOD, {"Model": "Later", "Publication date": "2023-03-01", "Training compute (FLOP)": "1e24"}]
    raw, clean_rows, rejected = _clean_notable(tmp_path, rows, as_of=True)
    assert_conserved(raw, clean_rows, rejected)
    assert (
        "Later" not in clean_rows["model"].to_list() and "GPT-X" not in clean_rows["model"].to_list()
    )  # GPT-X: 2023-03-14
    assert clean_rows["publication_date"].max() <= AS_OF
    reasons = [r for rs in rejected["reasons"].to_list() for r in rs]
    assert any("publication_date: 2023-03-01 is after the as-of date 2023-01-31 (not known then)" == r for r in reasons)
    # Without an as-of date nothing is left out for being recent.
    _, everything, _ = _clean_notable(tmp_path, rows, as_of=False)
    assert {"Later", "GPT-X"} <= set(everything["model"].to_list())


def _frame(columns: dict[str, list[str]], source: str) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    return pl.DataFrame(
        {
            **columns,
            "_source": [source] * n,
            "_source_version": ["2025-11-16"] * n,
            "_row_number": list(range(1, n + 1)),
        }
    )


def test_clusters_hardware_prices_and_electricity_as_known_then():
    context = CleanContext("x.csv", dt.date(2025, 11, 16), AS_OF)
    spec = CLEANING_SPECS["epoch_gpu_clusters"]
    header = {c.source: [""] * 3 for c in spec.columns}
    header["Name"] = ["Old", "New", "Retired later"]
    header["Status"] = ["Existing", "Existing", "Decommissioned"]
    header["First Operational Date"] = ["2022-01-01", "2024-01-01", "2020-01-01"]
    header["Decommissioned Date (if applicable)"] = ["", "", "2024-06-01"]
    clean_rows, rejected, _ = clean_frame(_frame(header, "epoch_gpu_clusters"), spec, context)
    assert clean_rows["cluster_name"].to_list() == ["Old", "Retired later"]
    assert clean_rows.filter(pl.col("cluster_name") == "Retired later")["decommissioned_date"].to_list() == [None]
    assert rejected.height == 1

    spec = CLEANING_SPECS["ember_country_electricity"]
    columns = {c.source: ["", ""] for c in spec.columns}
    columns.update(
        {
            "country_or_region": ["A", "A"],
            "year": ["2022", "2023"],
            "demand_twh": ["1", "2"],
            "country_code": ["AAA", "AAA"],
        }
    )
    clean_rows, rejected, _ = clean_frame(_frame(columns, "ember_country_electricity"), spec, context)
    assert clean_rows["year"].to_list() == [2022]  # 2023's figures exist once 2023 is over
    assert "not over by the as-of date" in rejected["reasons"][0][0]

    spec = CLEANING_SPECS["fred_ppi_data_processing"]
    columns = {"observation_date": ["2022-12-01", "2023-02-01"], "PCU518210518210": ["100", "101"]}
    clean_rows, _, _ = clean_frame(_frame(columns, "fred_ppi_data_processing"), spec, context)
    assert clean_rows["observation_date"].to_list() == [dt.date(2022, 12, 1)]

    spec = CLEANING_SPECS["epoch_ml_hardware"]
    columns = {c.source: ["", "", ""] for c in spec.columns}
    columns.update(
        {"Hardware name": ["Old chip", "New chip", "Undated chip"], "Release date": ["2020-05-01", "2024-03-01", ""]}
    )
    clean_rows, _, _ = clean_frame(_frame(columns, "epoch_ml_hardware"), spec, context)
    assert sorted(clean_rows["hardware_name"].to_list()) == ["Old chip", "Undated chip"]


def test_nul_bytes_never_reach_a_clean_text_column(tmp_path):
    rows = [
        {
            "Model": "Evil\x00Model",
            "Publication date": "2020-01-01",
            "Organization": "Org\x00A,Org\x00A",
            "Confidence": "Likely\x00",
        }
    ]
    raw, clean_rows, rejected = _clean_notable(tmp_path, rows, as_of=False)
    row = clean_rows.row(0, named=True)
    assert (row["model"], row["organization"], row["confidence"]) == ("EvilModel", ["OrgA"], "Likely")
    assert row["model_id"] == "evilmodel"
