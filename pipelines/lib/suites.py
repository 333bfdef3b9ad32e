"""Data-quality suites for the clean tables (great-expectations, run through validation.py).

Bounds are physical sanity limits, not trends: a value outside them is a unit or parsing error.
Each expectation says why it exists, so a failure explains itself in the check metadata.
"""

from __future__ import annotations

import datetime as dt

from pipelines.lib.validation import Suite, between, compound_unique, in_set, not_null, row_count_between, unique

DATE_PRECISIONS = ("day", "month", "year")


def _lineage(table: str) -> tuple:
    return (
        not_null("source_version", why="every row names the snapshot it came from"),
        not_null("source_row_number", why="every row can be traced to its source row"),
        row_count_between(min_value=1, why=f"an empty clean.{table} means the source or the mapping broke"),
    )


def notable_models_suite(snapshot_date: dt.date) -> Suite:
    """The blocking expectations of clean.notable_models (keys, dates up to the snapshot, plausible ranges)."""
    return Suite(
        "notable_models",
        (
            *_lineage("notable_models"),
            not_null("model_id"),
            unique("model_id", why="model_id is the primary key"),
            not_null("model"),
            not_null("publication_date", why="the time axis of every fit"),
            between("publication_date", dt.date(1940, 1, 1), snapshot_date, why="no model is dated after its snapshot"),
            in_set("publication_date_precision", DATE_PRECISIONS),
            between(
                "training_compute_flop",
                1,
                1e30,
                why="FLOP outside 1..1e30 is a unit error (Theseus, 1950, used 40 FLOP)",
            ),
            between("parameters", 1, 1e15, why="parameter counts outside 1..1e15 are unit errors"),
            between("training_tokens", 1, 1e16, why="more tokens than 1e16 exceeds every estimate of the text stock"),
            between("training_cost_usd", 0, 1e11, why="a single run above $100B is a unit error"),
            between("training_power_w", 0, 1e10, why="a single run above 10 GW is a unit error"),
            between("hardware_utilization_mfu", 0, 1, why="utilization is a fraction"),
            in_set("confidence", ("Confident", "Likely", "Speculative", "Unknown")),
        ),
    )


def ml_hardware_suite(snapshot_date: dt.date) -> Suite:
    """The blocking expectations of clean.ml_hardware (keys, release dates up to the snapshot, per-chip ranges)."""
    return Suite(
        "ml_hardware",
        (
            *_lineage("ml_hardware"),
            not_null("hardware_id"),
            unique("hardware_id", why="hardware_id is the primary key"),
            between("release_date", dt.date(1990, 1, 1), snapshot_date, why="no chip is released after its snapshot"),
            in_set("release_date_precision", DATE_PRECISIONS),
            between("tdp_w", 1, 100_000, why="TDP is per accelerator (or board)"),
            between("tensor_fp16_flop_per_s", 1e9, 1e18, why="FLOP/s of one accelerator"),
        ),
    )


def gpu_clusters_suite(snapshot_date: dt.date) -> Suite:
    """The blocking expectations of clean.gpu_clusters (keys, status and certainty values, site ranges)."""
    return Suite(
        "gpu_clusters",
        (
            *_lineage("gpu_clusters"),
            not_null("cluster_id"),
            unique("cluster_id", why="cluster_id is the primary key"),
            in_set("status", ("Existing", "Planned", "Decommissioned")),
            in_set("certainty", ("Confirmed", "Likely", "Unlikely")),
            between("power_capacity_mw", 0, 100_000, why="a site above 100 GW is a unit error"),
            between("hardware_cost_usd", 0, 1e13, why="hardware above $10T is a unit error"),
            between(
                "first_operational_date",
                dt.date(1990, 1, 1),
                dt.date(2040, 12, 31),
                why="planned sites may lie in the future, not decades out",
            ),
        ),
    )


def price_index_suite(snapshot_date: dt.date) -> Suite:
    """The blocking expectations of clean.price_index (one row per month, up to the snapshot, plausible index)."""
    return Suite(
        "price_index",
        (
            *_lineage("price_index"),
            unique("observation_date"),
            between("observation_date", dt.date(1990, 1, 1), snapshot_date, why="no observation after the snapshot"),
            between("price_index", 10, 1000, why="the index is 100 in December 2000"),
        ),
    )


def country_electricity_suite(snapshot_date: dt.date) -> Suite:
    """The blocking expectations of clean.country_electricity (one row per country and year, plausible demand)."""
    return Suite(
        "country_electricity",
        (
            *_lineage("country_electricity"),
            compound_unique(("country_or_region", "year"), why="one row per country and year"),
            between("year", 1990, snapshot_date.year, why="no year after the snapshot"),
            between("demand_twh", 0, 100_000, why="world demand is about 30,000 TWh"),
        ),
    )


SUITES = {
    "notable_models": notable_models_suite,
    "ml_hardware": ml_hardware_suite,
    "gpu_clusters": gpu_clusters_suite,
    "price_index": price_index_suite,
    "country_electricity": country_electricity_suite,
}
