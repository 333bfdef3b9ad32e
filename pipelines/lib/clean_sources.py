"""The explicit mapping of each source's columns to ours, and each source's own derivations.

Every source column we use is named here exactly as the source spells it. If a new snapshot
renames or drops one, the build fails naming it (see cleaning.require_columns) instead of
silently producing nulls.
"""

from __future__ import annotations

import hashlib

import polars as pl

from pipelines.lib import parsing
from pipelines.lib.cleaning import (
    REASONS,
    CleanContext,
    CleaningSpec,
    Column,
    Duplicates,
    add_reason,
    completeness,
    has_rejected_cell,
    reject_cell,
)


def _not_after_snapshot(
    frame: pl.DataFrame, column: str, context: CleanContext, *, whole_row: bool = True
) -> pl.DataFrame:
    """A date after the snapshot was retrieved is impossible: the row is rejected when the date is its
    time axis (whole_row), otherwise only the date is (set to null, in quarantine.rejected_cells)."""
    condition = pl.col(column) > pl.lit(context.snapshot_date)
    reason = pl.concat_str(
        pl.lit(f"{column}: "),
        pl.col(column).cast(pl.String),
        pl.lit(f" is after the snapshot date {context.snapshot_date}"),
    )
    return add_reason(frame, condition, reason) if whole_row else reject_cell(frame, column, condition, reason)


def _not_after_as_of(frame: pl.DataFrame, column: str, context: CleanContext, *, year: bool = False) -> pl.DataFrame:
    """A build as of an earlier date than the snapshot leaves out every row dated after it (not known
    then): the row goes to the quarantine with that reason. `year`: the column is a calendar year."""
    if context.as_of is None or context.as_of >= context.snapshot_date:
        return frame
    if year:  # a year's figures exist once it is over
        last = context.as_of.year if (context.as_of.month, context.as_of.day) == (12, 31) else context.as_of.year - 1
        return add_reason(
            frame,
            pl.col(column) > last,
            pl.concat_str(
                pl.lit(f"{column}: "),
                pl.col(column).cast(pl.String),
                pl.lit(f" is not over by the as-of date {context.as_of} (not known then)"),
            ),
        )
    return add_reason(
        frame,
        pl.col(column) > pl.lit(context.as_of),
        pl.concat_str(
            pl.lit(f"{column}: "),
            pl.col(column).cast(pl.String),
            pl.lit(f" is after the as-of date {context.as_of} (not known then)"),
        ),
    )


def _with_year_fraction(frame: pl.DataFrame, column: str, out: str) -> pl.DataFrame:
    return frame.with_columns(parsing.year_fraction(pl.col(column), pl.col(f"{column}_precision")).alias(out))


def _slug_ids(names: pl.Expr) -> pl.Expr:
    """parsing.slug of each name: vectorised for ASCII names (nearly all), in Python for the rest so
    that Unicode normalisation is always Python's own (polars' could differ on newer characters).
    The symbols spelled as words are rare, so only the names holding one are rewritten for them."""
    lowered = names.str.to_lowercase()
    symbolic = lowered.str.contains(r"[#+*]")
    spelled = pl.when(symbolic).then(lowered).str.replace_all(parsing.SLUG_SHARP[0], f"${{1}}-{parsing.SLUG_SHARP[1]}-")
    for symbol, word in parsing.SLUG_SYMBOLS:
        spelled = spelled.str.replace_all(symbol, f"-{word}-", literal=True)
    ascii_slug = pl.coalesce(spelled, lowered).str.replace_all(r"[^a-z0-9]+", "-").str.strip_chars("-")
    ascii_slug = pl.when(ascii_slug == "").then(pl.lit("unnamed")).otherwise(ascii_slug)
    is_ascii = names.str.len_bytes() == names.str.len_chars()  # every character one byte
    python_slug = pl.when(~is_ascii).then(names).map_elements(parsing.slug, return_dtype=pl.String, skip_nulls=True)
    return pl.when(is_ascii).then(ascii_slug).otherwise(python_slug)


# --- Epoch notable AI models (the main source) -------------------------------------------------

NOTABLE_MODELS_COLUMNS = (
    Column("Model", "model", "name", not_null=True),
    Column("Organization", "organization", "list"),
    Column("Country (of organization)", "country", "list"),
    Column("Organization categorization", "organization_category", "list"),
    Column("Domain", "domain", "list"),
    Column("Task", "task", "list"),
    Column("Publication date", "publication_date", "date", not_null=True),
    Column("Parameters", "parameters", "number", min_value=0),
    Column("Training compute (FLOP)", "training_compute_flop", "number", min_value=0),
    Column("Training dataset size (total)", "training_dataset_size", "number", min_value=0),
    Column("Training compute cost (2023 USD)", "training_cost_usd", "number", min_value=0),
    Column("Training power draw (W)", "training_power_w", "number", min_value=0),
    Column("Training hardware", "training_hardware", "list"),
    Column("Hardware quantity", "hardware_quantity", "number", min_value=0),
    Column("Training time (hours)", "training_time_hours", "number", min_value=0),
    Column("Hardware utilization (MFU)", "hardware_utilization_mfu", "number", min_value=0),
    Column("Confidence", "confidence", "text"),
    Column("Frontier model", "is_epoch_frontier", "boolean"),
    Column("Model accessibility", "model_accessibility", "text"),
    Column("Link", "link", "text"),
)

_NOTABLE_VALUE_COLUMNS = [c.name for c in NOTABLE_MODELS_COLUMNS if c.kind in ("number", "integer")]


def _derive_notable_models(frame: pl.DataFrame, context: CleanContext) -> pl.DataFrame:
    frame = _not_after_snapshot(frame, "publication_date", context)
    frame = _not_after_as_of(frame, "publication_date", context)
    # Impossible values of optional columns: the cell is rejected, the run (and its compute) kept.
    frame = reject_cell(
        frame,
        "hardware_utilization_mfu",
        pl.col("hardware_utilization_mfu") > 1,
        pl.concat_str(
            pl.lit("hardware_utilization_mfu: "),
            pl.col("hardware_utilization_mfu").cast(pl.String),
            pl.lit(" is above 1"),
        ),
    )
    frame = reject_cell(
        frame,
        "hardware_quantity",
        pl.col("hardware_quantity") >= 2.0**62,
        pl.concat_str(
            pl.lit("hardware_quantity: "),
            pl.col("hardware_quantity").cast(pl.String),
            pl.lit(" is too large for a count"),
        ),
    )
    is_language = pl.col("domain").list.contains("Language").fill_null(False)
    frame = frame.with_columns(
        _slug_ids(pl.col("model")).alias("model_id"),
        is_language.alias("is_language_model"),
        # Dataset size counts tokens only for language models (images, hours... elsewhere).
        pl.when(is_language).then(pl.col("training_dataset_size")).otherwise(None).alias("training_tokens"),
        # A blank flag means not flagged; an unreadable one stays unknown (null, a rejected cell).
        pl.when(has_rejected_cell("is_epoch_frontier"))
        .then(None)
        .otherwise(pl.col("is_epoch_frontier").fill_null(False))
        .alias("is_epoch_frontier"),
        pl.when(pl.col("hardware_quantity") < 2.0**62)
        .then(pl.col("hardware_quantity").round(0))
        .cast(pl.Int64, strict=False),
    )
    return _with_year_fraction(frame, "publication_date", "publication_year_fraction")


NOTABLE_MODELS = CleaningSpec(
    "epoch_notable_models",
    "notable_models",
    NOTABLE_MODELS_COLUMNS,
    _derive_notable_models,
    ("model_id",),
    # Two rows for one model: keep the most complete, then the newest publication date.
    Duplicates(
        "model_id", "model", prefer=(-completeness(_NOTABLE_VALUE_COLUMNS), -pl.col("publication_date").cast(pl.Int32))
    ),
)


# --- Epoch ML hardware ---------------------------------------------------------------------------

ML_HARDWARE_COLUMNS = (
    Column("Hardware name", "hardware_name", "name", not_null=True),
    Column("Manufacturer", "manufacturer", "text"),
    Column("Type", "hardware_type", "text"),
    Column("Release date", "release_date", "date"),
    Column("Release price (USD)", "release_price_usd", "number", min_value=0),
    Column("Tensor-FP16/BF16 performance (FLOP/s)", "tensor_fp16_flop_per_s", "number", min_value=0),
    Column("FP8 performance (FLOP/s)", "fp8_flop_per_s", "number", min_value=0),
    Column("FP32 (single precision) performance (FLOP/s)", "fp32_flop_per_s", "number", min_value=0),
    Column("FP16 (half precision) performance (FLOP/s)", "fp16_flop_per_s", "number", min_value=0),
    Column("TDP (W)", "tdp_w", "number", min_value=0),
    Column("Memory (bytes)", "memory_bytes", "number", min_value=0),
    Column("Memory bandwidth (byte/s)", "memory_bandwidth_bytes_per_s", "number", min_value=0),
)


def _derive_ml_hardware(frame: pl.DataFrame, context: CleanContext) -> pl.DataFrame:
    # As-of first: a chip dated after the as-of date was not known then, even if its date is also impossible.
    frame = _not_after_as_of(frame, "release_date", context)
    frame = _not_after_snapshot(frame, "release_date", context, whole_row=False)  # undated chips are kept too
    frame = frame.with_columns(_slug_ids(pl.col("hardware_name")).alias("hardware_id"))
    return _with_year_fraction(frame, "release_date", "release_year_fraction")


ML_HARDWARE = CleaningSpec(
    "epoch_ml_hardware",
    "ml_hardware",
    ML_HARDWARE_COLUMNS,
    _derive_ml_hardware,
    ("hardware_id",),
    Duplicates(
        "hardware_id", "hardware", prefer=(-completeness([c.name for c in ML_HARDWARE_COLUMNS if c.kind == "number"]),)
    ),
)


# --- Epoch GPU clusters --------------------------------------------------------------------------

GPU_CLUSTERS_COLUMNS = (
    Column("Name", "cluster_name", "name", not_null=True),
    Column("Status", "status", "text"),
    Column("Certainty", "certainty", "text"),
    Column("Single cluster?", "single_cluster", "text"),
    Column("Country", "country", "list"),
    Column("Owner", "owner", "list"),
    Column("Sector", "sector", "text"),
    Column("First Operational Date", "first_operational_date", "date"),
    Column("Decommissioned Date (if applicable)", "decommissioned_date", "date"),
    Column("Power Capacity (MW)", "power_capacity_mw", "number", min_value=0),
    Column("Hardware Cost", "hardware_cost_usd", "number", min_value=0),
    Column("H100 equivalents", "h100_equivalents", "number", min_value=0),
    Column("Chip type (primary)", "chip_type", "text"),
    Column("Chip quantity (primary)", "chip_quantity", "number", min_value=0),
    Column("Max OP/s", "max_op_per_s", "number", min_value=0),
    Column("Rank when first operational", "epoch_rank_when_first_operational", "integer", min_value=1),
)


def _content_ids(frame: pl.DataFrame) -> pl.Series:
    """Clusters share names (hundreds of 'Anonymized Chinese System'), so a repeated name gets a
    suffix from a hash of the row's values; identical rows are numbered in source order."""
    names = frame["cluster_name"].to_list()
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    value_columns = [c.name for c in GPU_CLUSTERS_COLUMNS]
    seen: dict[str, int] = {}
    ids = []
    for name, row in zip(names, frame.select(value_columns).iter_rows()):
        base = parsing.slug(name) if name else None
        if base is None or counts[name] == 1:
            ids.append(base)
            continue
        # List cells (country, owner) hashed as the comma-joined text they were before they became
        # lists, so every cluster_id stays what it was.
        row = tuple(",".join(v) if isinstance(v, list) else v for v in row)
        digest = hashlib.sha256(repr(row).encode("utf-8")).hexdigest()[:8]
        candidate = f"{base}-{digest}"
        seen[candidate] = seen.get(candidate, 0) + 1
        ids.append(candidate if seen[candidate] == 1 else f"{candidate}-{seen[candidate]}")
    return pl.Series("cluster_id", ids, dtype=pl.String)


def _derive_gpu_clusters(frame: pl.DataFrame, context: CleanContext) -> pl.DataFrame:
    # Planned clusters have future first-operational dates by design: no snapshot-date rule here.
    frame = frame.sort("source_row_number").with_columns(_content_ids(frame.sort("source_row_number")))
    frame = _with_year_fraction(frame, "first_operational_date", "first_operational_year_fraction")
    frame = _not_after_as_of(frame, "first_operational_date", context)
    if context.as_of is not None and context.as_of < context.snapshot_date:  # not yet decommissioned then
        frame = reject_cell(
            frame,
            "decommissioned_date",
            pl.col("decommissioned_date") > pl.lit(context.as_of),
            pl.concat_str(
                pl.lit("decommissioned_date: "),
                pl.col("decommissioned_date").cast(pl.String),
                pl.lit(f" is after the as-of date {context.as_of} (not known then)"),
            ),
        )
    return frame.with_columns(
        (pl.col("single_cluster") == "Yes").alias("is_single_cluster"),
        (pl.col("status") == "Planned").fill_null(False).alias("is_planned"),
    ).drop("single_cluster")


GPU_CLUSTERS = CleaningSpec(
    "epoch_gpu_clusters",
    "gpu_clusters",
    GPU_CLUSTERS_COLUMNS,
    _derive_gpu_clusters,
    ("cluster_id",),
    Duplicates("cluster_id", "cluster"),
    derive_sees_all_rows=True,  # ids count repeated names over all rows
)


# --- FRED producer price index (deflator Epoch uses for 2023 USD) ---------------------------------

PRICE_INDEX_COLUMNS = (
    Column("observation_date", "observation_date", "date", not_null=True),
    Column("PCU518210518210", "price_index", "number", not_null=True, min_value=0),
)


def _derive_price_index(frame: pl.DataFrame, context: CleanContext) -> pl.DataFrame:
    return _not_after_as_of(_not_after_snapshot(frame, "observation_date", context), "observation_date", context)


PRICE_INDEX = CleaningSpec(
    "fred_ppi_data_processing",
    "price_index",
    PRICE_INDEX_COLUMNS,
    _derive_price_index,
    ("observation_date",),
    Duplicates("observation_date", "observation"),
)


# --- Ember electricity demand per country ---------------------------------------------------------

COUNTRY_ELECTRICITY_COLUMNS = (
    Column("country_or_region", "country_or_region", "name", not_null=True),
    Column("country_code", "country_code", "text"),
    Column("year", "year", "integer", not_null=True, min_value=1900),
    Column("demand_twh", "demand_twh", "number", not_null=True, min_value=0),
    Column("demand_mwh_per_capita", "demand_mwh_per_capita", "number", min_value=0),
    Column("continent", "continent", "text"),
    Column("latest_year", "latest_year", "integer"),
)


def _derive_country_electricity(frame: pl.DataFrame, context: CleanContext) -> pl.DataFrame:
    frame = _not_after_as_of(frame, "year", context, year=True)
    frame = add_reason(
        frame,
        pl.col("year") > pl.lit(context.snapshot_date.year),
        pl.concat_str(
            pl.lit("year: "),
            pl.col("year").cast(pl.String),
            pl.lit(f" is after the snapshot year {context.snapshot_date.year}"),
        ),
    )
    return frame.with_columns(
        # Aggregates (World, EU, G20...) have no ISO code; countries do.
        pl.col("country_code").is_null().alias("is_aggregate"),
        # A country's average electrical power: annual TWh / 8.76 = GW.
        (pl.col("demand_twh") / 8.76).alias("average_power_gw"),
        pl.concat_str(pl.col("country_or_region"), pl.lit("|"), pl.col("year").cast(pl.String)).alias("_key"),
    )


COUNTRY_ELECTRICITY = CleaningSpec(
    "ember_country_electricity",
    "country_electricity",
    COUNTRY_ELECTRICITY_COLUMNS,
    _derive_country_electricity,
    ("country_or_region", "year"),
    Duplicates("_key", "country-year", drop_key=True),
)

CLEANING_SPECS: dict[str, CleaningSpec] = {
    spec.source: spec for spec in (NOTABLE_MODELS, ML_HARDWARE, GPU_CLUSTERS, PRICE_INDEX, COUNTRY_ELECTRICITY)
}

__all__ = ["CLEANING_SPECS", "REASONS"]
