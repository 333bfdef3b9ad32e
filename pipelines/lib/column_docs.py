"""The one place the public tables and columns are described: units, meaning and lineage.

``TABLE_DOCS`` has one line per public table (``clean.*``, ``marts.*``, ``quarantine.*``)
and ``COLUMN_DOCS`` a ``(unit, description)`` pair for each of their columns. Columns that mean the
same thing in several tables (lineage, the model's fields, a country's electricity) are written
once in ``COMMON`` and picked from there. The data card, ``datapackage.json`` and the DuckDB
comments (``COMMENT ON``, see :func:`apply_comments`) all read these dictionaries; a public column
without an entry is reported by :func:`undocumented` and fails the integration tests.

Units follow the column-name suffixes: ``_flop`` FLOP, ``_usd`` US dollars (``training_cost_usd`` in
constant 2023 dollars), ``_w`` W, ``_gw`` GW, ``_mw`` MW, ``_twh`` TWh, ``_tokens`` tokens,
``_date`` date; ``year`` marks a calendar year or a fractional year. ``None`` means no unit (text,
flags, identifiers).
"""

from __future__ import annotations

import duckdb

Doc = tuple[str | None, str]  # (unit or None, description)

# The public schemas (same as publish.PUBLIC_SCHEMAS; not imported from there, because publish
# imports this module).
PUBLIC_SCHEMAS = ("clean", "marts", "quarantine")

_EPOCH_MODELS = "Epoch AI 'Notable AI Models'"

# --- columns shared by several tables -------------------------------------------------------------

COMMON: dict[str, Doc] = {
    # Lineage: every clean row (and the marts built from them) points back to its raw record.
    "source": (None, "Name of the source the row was loaded from (its folder under sources/, e.g. "
                     "'epoch_notable_models'); raw.<source> holds the raw record."),
    "source_version": (None, "Version (snapshot folder, named by retrieval date) of the source file the row "
                             "comes from; manifest.json gives its file name, sha256 and licence."),
    "source_row_number": (None, "1-based record number after the header in the source file "
                                "(raw.<source>._row_number): the raw record this row was cleaned from."),
    # A notable model (clean.notable_models, marts.training_runs and the marts derived from it).
    "model_id": (None, "Stable identifier of the model, made from its name (ASCII, lower case, words joined "
                       "by '-', e.g. 'gpt-4-mar-2023'); '+', '*' and a '#' after a letter are spelled 'plus', 'star' "
                       "and 'sharp', so DeepLabV3 and DeepLabV3+ ('deeplabv3-plus') stay distinct. Unique: names that "
                       "differ only in case, spacing or other punctuation get the same id, and the most complete row "
                       "is kept (the others are quarantined as duplicates)."),
    "model": (None, f"Model name from {_EPOCH_MODELS} ('Model'), with outer whitespace, wrapping quotes and "
                    "repeated blanks removed."),
    "organization": (None, "Developer organisation(s), comma-separated, repeats removed (Epoch's 'Organization')."),
    "country": (None, "Country or countries of the developing organisation(s), comma-separated "
                      "(Epoch's 'Country (of organization)')."),
    "domain": (None, "Domain(s) of the model, e.g. Language, Vision, Games, comma-separated (Epoch's 'Domain')."),
    "is_language_model": (None, "True when Epoch's 'Domain' includes 'Language'; only these rows carry training_tokens."),
    "publication_date": ("date", "Publication date (Epoch's 'Publication date'). A date known only to the month or "
                                 "year is stored as the first day of that period; see publication_date_precision."),
    "publication_date_precision": (None, "How precisely the source gives publication_date: 'day', 'month' or 'year'."),
    "publication_year_fraction": ("year", "Publication date as a fractional year, at the midpoint of the period the "
                                          "date stands for (a year-only date is year + 0.5); the time axis of the trend fits."),
    "parameters": ("parameters", "Number of trainable parameters (Epoch's 'Parameters')."),
    "training_compute_flop": ("FLOP", "Total training compute (Epoch's 'Training compute (FLOP)'); null where Epoch "
                                      "has no estimate, which is common for recent models."),
    "training_tokens": ("tokens", "Training dataset size: Epoch's 'Training dataset size (total)' for language "
                                  "models only (null for other domains). Mostly tokens, but not always: Epoch converts "
                                  "a word count from a paper at 4/3 tokens per word on many rows (LaMDA's 1.56T words "
                                  "are 2.08e12, Meena's 40B words 5.3e10), while other rows still hold the words: those "
                                  "whose 'Dataset size notes' start with '[WORDS]' (mostly translation models, e.g. "
                                  "NLLB, GNMT, Seq2Seq LSTM) and older rows copied from a word count (ALBERT: BooksCorpus "
                                  "800M + Wikipedia 2,500M words = 3.3e9; DistBelief NNLM, 6e9 words). flopcast "
                                  "does not convert, so a count may be low by up to a third. For some fine-tuned models "
                                  "it counts the fine-tuning data only (e.g. InstructGPT)."),
    "training_cost_usd": ("USD (2023)", "Training compute cost as Epoch publishes it ('Training compute cost (2023 "
                                        "USD)'), labelled constant 2023 US dollars; flopcast does not re-deflate it. "
                                        "Not every row is on that base: A.X K1 (2025-12-30) holds its nominal cloud "
                                        "price (equal to its 'Training compute cost (cloud)'), and hand-entered rows "
                                        "were converted with the CPI (DeepSeek-V3: $5.576M 2024 = $5.39M 2023) rather "
                                        "than the producer price index in clean.price_index. By that index a 2024 "
                                        "dollar is 0.988 and a 2025 dollar about 0.96 of a 2023 dollar, so a row left "
                                        "on a later base is at most about 4% high."),
    "training_power_w": ("W", "Power drawn by the training hardware during the run (Epoch's 'Training power draw (W)'); "
                              "a few values are implausible (e.g. Megatron-LM (1.2B) at about 338 W)."),
    "training_hardware": (None, "Accelerator(s) the model was trained on, comma-separated (Epoch's 'Training hardware')."),
    "hardware_quantity": ("accelerators", "Number of accelerators used for training, rounded to a whole number "
                                          "(Epoch's 'Hardware quantity')."),
    "training_time_hours": ("hours", "Wall-clock training time (Epoch's 'Training time (hours)')."),
    "hardware_utilization_mfu": ("fraction", "Model FLOP utilization achieved during training, 0-1 (Epoch's "
                                             "'Hardware utilization (MFU)'); a value above 1 is set to null and listed "
                                             "in quarantine.rejected_cells."),
    "confidence": (None, "Epoch's confidence in the model's estimates: 'Confident', 'Likely', 'Speculative' or "
                         "'Unknown' (Epoch's 'Confidence'); marts.seed_claims turns it into an uncertainty factor."),
    "is_epoch_frontier": (None, "Epoch's own 'Frontier model' flag (blank read as false; an unreadable value is null "
                                "and listed in quarantine.rejected_cells). flopcast's frontier is "
                                "marts.training_runs.is_frontier."),
    "compute_rank_at_release": ("rank", "Rank by training compute among all models published on or before this one's "
                                        "publication date (1 = largest; equal compute ordered by model_id); null without "
                                        "a compute estimate."),
    # A country's electricity (Ember).
    "country_or_region": (None, "Country or region as Ember names it ('country_or_region'); aggregates such as "
                                "World, EU or ASEAN appear in clean.country_electricity only."),
    "country_code": (None, "ISO 3166-1 alpha-3 country code from Ember ('country_code'); null for aggregates."),
    "continent": (None, "Continent from Ember ('continent'); null for aggregates."),
    "demand_twh": ("TWh", "Electricity demand of the country or region in the year (Ember's 'demand_twh')."),
    "average_power_gw": ("GW", "Average electrical power over the year: demand_twh / 8.76 (8,760 hours a year); the "
                               "yardstick for 'as much power as a country'."),
    # The analysis tables' shared vocabulary.
    "subject": (None, "What is projected: 'largest_run' (the largest training run of the year) or 'largest_cluster' "
                      "(the largest GPU cluster)."),
    "metric": (None, "Projected quantity, e.g. 'training_compute_flop', 'training_power_gw', 'cluster_power_gw'; "
                     "its unit is in the unit column."),
    "method": (None, "How the quantity is projected. Largest-run compute and cost: the method marts.backtest_skill "
                     "selected ('record_trend' or 'record_level_frontier_slope', see marts.backtests); clusters: "
                     "'trend' (the top-10-at-date line raised by its upper-decile residual); 'compute_optimal' "
                     "(Chinchilla, from projected compute); 'from_compute' (power from projected compute, tensor-FP16 "
                     "hardware efficiency and the training-time trend); 'power_draw_trend' (the record of Epoch's "
                     "training power draw, by the method its backtests selected)."),
    "scenario": (None, "'low', 'central' or 'high'. Largest run: the 5% end, central path and 95% end of a 90% "
                       "prediction band (slope and scatter; its backtest coverage is in marts.backtest_skill). "
                       "Clusters: percentiles of the bootstrap lines at mid-year (slope uncertainty only). Power from "
                       "compute combines its factors' bands in log space (quadrature)."),
    "estimates": (None, "Which set of estimates the row is computed from: 'baseline' (the sources with the curated "
                        "corrections of sources/curated/*.csv) or the name of a curated scenario "
                        "(sources/curated/scenarios/<name>.csv); constraints, roadblocks and claims use the baseline."),
    "roadblock": (None, "Which limit the projection is compared with: 'energy', 'data' or 'money'."),
    "unit": (None, "Unit of the value columns of this row (e.g. 'FLOP', 'GW', 'USD (2023)', 'tokens')."),
}


def _common(*names: str) -> dict[str, Doc]:
    return {name: COMMON[name] for name in names}


_LINEAGE = ("source", "source_version", "source_row_number")
_YEAR_PROJECTED = ("year", "Calendar year of the projection (the fitted lines are evaluated at mid-year).")

# --- tables ---------------------------------------------------------------------------------------

TABLE_DOCS: dict[str, str] = {
    "clean.notable_models": f"One row per notable AI model from {_EPOCH_MODELS}: typed, unit-suffixed, deduplicated by model_id.",
    "clean.ml_hardware": "One row per ML accelerator from Epoch AI 'Machine Learning Hardware': throughput, power, "
                         "memory and price.",
    "clean.gpu_clusters": "One row per GPU cluster (AI supercomputer) from Epoch AI 'GPU Clusters', existing, planned "
                          "and decommissioned.",
    "clean.price_index": "Monthly US producer price index for data processing and hosting (FRED PCU518210518210), the "
                         "deflator behind Epoch's 2023 USD.",
    "clean.country_electricity": "One row per country or region and year from Ember's yearly electricity data: demand "
                                 "and average power.",
    "marts.training_runs": "The analyst's table: one row per notable model with compute, cost, tokens, power and "
                           "flopcast's frontier and large-scale flags.",
    "clean.curated_values": "Every validated value of the analysts' curated files (sources/curated/): one row per "
                            "field a row sets, with its citation, file and line; scenario files keep their own estimates.",
    "marts.value_provenance": "One row per field a curated value set in the baseline (or a scenario): the source value, "
                              "the curated value, the citation and where it was written.",
    "marts.frontier_runs": "Training runs among the 10 largest by training compute at the date they were published.",
    "marts.compute_records": "Training runs that set a new training-compute record: larger than every run published before them.",
    "marts.yearly_summary": "Per publication year: how many models, how many have each estimate, and the largest values.",
    "marts.country_electricity_latest": "One row per country (aggregates excluded): electricity demand and average "
                                        "power in its latest Ember year.",
    "marts.release_diff": "Typed changes in the clean notable-models rows between the source version this build uses "
                          "and the one before it; empty without an earlier version.",
    "marts.backtests": "Each candidate largest-run method fitted on the runs published by 1 July of each past year, "
                       "projected 1-4 years ahead, against the record actually observed then.",
    "marts.backtest_skill": "Per largest-run method, metric and horizon: mean absolute and signed error (OOM), 90% band "
                            "coverage and interval score over the backtests; is_selected marks the published method.",
    "marts.trend_fits": "Log-linear trend fits (OLS of log10 value on the fractional year) per metric and population, "
                        "with 90% intervals.",
    "marts.projections": "The fitted trends carried forward per year: largest run and largest cluster, low / central / "
                         "high scenarios.",
    "marts.constraints": "Each projected series against its reference limits (reactor, power station, text stock, "
                         "reference sums) per year and scenario.",
    "marts.roadblocks": "Per roadblock and projected series: the first year the projection reaches the binding reference.",
    "marts.countries_exceeded": "Every country whose average electrical power a projected training run or cluster "
                                "exceeds, per year and scenario.",
    "marts.seed_claims": "Each figure of the seed post (the text on AI scaling whose claims flopcast checks) against "
                         "what the data gives, with a verdict.",
    "marts.assumptions": "Every constant the projections use, with its unit, range, citation and whether this build overrode it.",
    "quarantine.rejected_rows": "Every raw source row that could not be used (no usable date or name, a date after the "
                                "snapshot, a duplicate), with every reason and the raw record as JSON.",
    "quarantine.rejected_cells": "Every cell of a clean row that was set to null because it could not be used (an "
                                 "unreadable or impossible value in an optional column): where it is, its raw text "
                                 "and why. The row itself is in clean.* with that value null.",
}

COLUMN_DOCS: dict[str, dict[str, Doc]] = {
    # --- clean ------------------------------------------------------------------------------------
    "clean.notable_models": {
        **_common(*_LINEAGE, "model", "organization", "country"),
        "organization_category": (None, "Kind of developer: Industry, Academia, Government, Research collective..., "
                                        "comma-separated (Epoch's 'Organization categorization')."),
        **_common("domain"),
        "task": (None, "Task(s) the model was built for, comma-separated (Epoch's 'Task')."),
        **_common("publication_date", "publication_date_precision", "parameters", "training_compute_flop"),
        "training_dataset_size": ("datapoints", "Training dataset size as Epoch gives it ('Training dataset size "
                                                "(total)'): tokens for language models, images, hours, episodes... "
                                                "elsewhere; use training_tokens for a token count."),
        **_common("training_cost_usd", "training_power_w", "training_hardware", "hardware_quantity", "training_time_hours",
                  "hardware_utilization_mfu", "confidence", "is_epoch_frontier"),
        "model_accessibility": (None, "How the model is available: API access, open weights (unrestricted, restricted "
                                      "use, non-commercial), hosted access, unreleased (Epoch's 'Model accessibility')."),
        "link": (None, "URL of the model's publication or announcement (Epoch's 'Link')."),
        **_common("model_id", "is_language_model", "training_tokens", "publication_year_fraction"),
    },
    "clean.ml_hardware": {
        **_common(*_LINEAGE),
        "hardware_name": (None, "Accelerator name from Epoch AI 'Machine Learning Hardware' ('Hardware name'), cleaned of "
                                "stray whitespace and quotes."),
        "manufacturer": (None, "Manufacturer (Epoch's 'Manufacturer'), e.g. NVIDIA, AMD, Google."),
        "hardware_type": (None, "Kind of accelerator: GPU, TPU, ASIC, NPU... (Epoch's 'Type')."),
        "release_date": ("date", "Release date (Epoch's 'Release date'), first day of the period at month or year "
                                 "precision; see release_date_precision."),
        "release_date_precision": (None, "How precisely the source gives release_date: 'day', 'month' or 'year'."),
        "release_price_usd": ("USD", "Price at release in US dollars as Epoch gives it ('Release price (USD)'); not "
                                     "adjusted for inflation by flopcast."),
        "tensor_fp16_flop_per_s": ("FLOP/s", "Peak tensor-core FP16/BF16 throughput (Epoch's 'Tensor-FP16/BF16 "
                                             "performance (FLOP/s)'); preferred for training efficiency."),
        "fp8_flop_per_s": ("FLOP/s", "Peak FP8 throughput (Epoch's 'FP8 performance (FLOP/s)')."),
        "fp32_flop_per_s": ("FLOP/s", "Peak FP32 (single precision) throughput (Epoch's 'FP32 (single precision) "
                                      "performance (FLOP/s)')."),
        "fp16_flop_per_s": ("FLOP/s", "Peak FP16 (half precision) throughput without tensor cores (Epoch's 'FP16 "
                                      "(half precision) performance (FLOP/s)')."),
        "tdp_w": ("W", "Thermal design power of one accelerator (Epoch's 'TDP (W)')."),
        "memory_bytes": ("bytes", "Accelerator memory (Epoch's 'Memory (bytes)')."),
        "memory_bandwidth_bytes_per_s": ("bytes/s", "Memory bandwidth (Epoch's 'Memory bandwidth (byte/s)')."),
        "hardware_id": (None, "Stable identifier made from hardware_name (ASCII, lower case, words joined by '-'); "
                              "unique, the most complete of duplicate rows is kept."),
        "release_year_fraction": ("year", "Release date as a fractional year at the midpoint of its period; the time "
                                          "axis of the hardware-efficiency fit."),
    },
    "clean.gpu_clusters": {
        **_common(*_LINEAGE),
        "cluster_name": (None, "Cluster name from Epoch AI 'GPU Clusters' ('Name'); not unique (e.g. many "
                               "'Anonymized Chinese System')."),
        "status": (None, "'Existing', 'Planned' or 'Decommissioned' (Epoch's 'Status')."),
        "certainty": (None, "How sure Epoch is the cluster exists or will: 'Confirmed', 'Likely' or 'Unlikely' "
                            "(Epoch's 'Certainty')."),
        "country": (None, "Country or countries of the site, comma-separated (Epoch's 'Country')."),
        "owner": (None, "Owner(s) of the cluster, comma-separated (Epoch's 'Owner')."),
        "sector": (None, "'Public', 'Private' or 'Public/Private' (Epoch's 'Sector')."),
        "first_operational_date": ("date", "Date the cluster first operated or is planned to (Epoch's 'First "
                                           "Operational Date'); mostly null for planned sites; first day of the period "
                                           "at month or year precision."),
        "first_operational_date_precision": (None, "How precisely the source gives first_operational_date: 'day', "
                                                   "'month' or 'year'."),
        "decommissioned_date": ("date", "Date the cluster was decommissioned, if it was (Epoch's 'Decommissioned Date "
                                        "(if applicable)')."),
        "decommissioned_date_precision": (None, "How precisely the source gives decommissioned_date: 'day', 'month' or 'year'."),
        "power_capacity_mw": ("MW", "Power capacity of the site (Epoch's 'Power Capacity (MW)')."),
        "hardware_cost_usd": ("USD", "Cost of the cluster's hardware in US dollars as Epoch gives it ('Hardware Cost'); "
                                     "not deflated by flopcast."),
        "h100_equivalents": ("H100 equivalents", "Computing power expressed as a number of NVIDIA H100 GPUs "
                                                 "(Epoch's 'H100 equivalents')."),
        "chip_type": (None, "Primary accelerator type (Epoch's 'Chip type (primary)')."),
        "chip_quantity": ("accelerators", "Number of primary accelerators (Epoch's 'Chip quantity (primary)')."),
        "max_op_per_s": ("OP/s", "Peak operations per second of the whole cluster (Epoch's 'Max OP/s')."),
        "cluster_id": (None, "Stable identifier made from cluster_name; a repeated name gets a suffix from a hash of the "
                             "row's values (identical rows numbered in source order)."),
        "first_operational_year_fraction": ("year", "first_operational_date as a fractional year at the midpoint of "
                                                    "its period; the time axis of the cluster fits."),
        "is_single_cluster": (None, "True when Epoch's 'Single cluster?' is 'Yes' (one site rather than several "
                                    "counted together)."),
        "is_planned": (None, "True when status is 'Planned'; planned sites are excluded from the cluster trend fits."),
        "epoch_rank_when_first_operational": ("rank", "Epoch's 'Rank when first operational': the cluster's rank by "
                                                      "performance among existing clusters when it came online (Epoch's "
                                                      "ranking, not flopcast's power ranking)."),
    },
    "clean.price_index": {
        **_common(*_LINEAGE),
        "observation_date": ("date", "Month of the observation, as its first day (FRED's 'observation_date')."),
        "observation_date_precision": (None, "How precisely the source gives observation_date: 'day' (FRED gives the "
                                             "first day of each month)."),
        "price_index": ("index (Dec 2000 = 100)", "Producer Price Index by Industry: Data Processing, Hosting and "
                                                  "Related Services (FRED series PCU518210518210, US BLS); the deflator "
                                                  "Epoch uses for 2023 USD. Kept for reference, costs are not re-deflated."),
    },
    "clean.country_electricity": {
        **_common(*_LINEAGE, "country_or_region", "country_code"),
        "year": ("year", "Calendar year of the data (Ember's 'year')."),
        **_common("demand_twh"),
        "demand_mwh_per_capita": ("MWh per person", "Electricity demand per inhabitant in the year (Ember's "
                                                    "'demand_mwh_per_capita')."),
        **_common("continent"),
        "latest_year": ("year", "The latest year Ember reports for this country or region (Ember's 'latest_year'); "
                                "it differs by country."),
        "is_aggregate": (None, "True for aggregates (World, EU, G20, ASEAN...), which have no country_code."),
        **_common("average_power_gw"),
    },
    # --- marts: the warehouse proper --------------------------------------------------------------
    "marts.training_runs": {
        **_common("model_id", "model", "organization", "country", "domain", "is_language_model", "publication_date",
                  "publication_date_precision", "publication_year_fraction", "parameters", "training_compute_flop",
                  "training_tokens", "training_cost_usd", "training_power_w", "training_hardware", "hardware_quantity",
                  "training_time_hours", "hardware_utilization_mfu", "confidence", "compute_rank_at_release"),
        "is_frontier": (None, "flopcast's frontier: compute_rank_at_release <= 10, i.e. among the 10 largest runs by "
                              "training compute at its publication date."),
        "is_large_scale": (None, "True when training_compute_flop >= 1e23 FLOP."),
        **_common("is_epoch_frontier", *_LINEAGE),
    },
    "marts.frontier_runs": {
        **_common("model_id", "model", "organization", "publication_date", "publication_year_fraction",
                  "training_compute_flop", "compute_rank_at_release", "training_cost_usd", "training_power_w",
                  "training_tokens", "parameters", "source_version"),
    },
    "marts.compute_records": {
        **_common("model_id", "model", "organization", "publication_date", "publication_year_fraction",
                  "training_compute_flop"),
        "previous_record_flop": ("FLOP", "The record this run broke: the largest training compute of any run before it "
                                         "(ordered by publication date, then model_id); null for the first record."),
        "ratio_to_previous_record": ("ratio", "training_compute_flop / previous_record_flop."),
    },
    "marts.yearly_summary": {
        "year": ("year", "Publication year (calendar year of publication_date in marts.training_runs)."),
        "n_models": ("models", "Number of notable models published in the year."),
        "n_with_compute": ("models", "Models of the year with a training compute estimate."),
        "n_with_cost": ("models", "Models of the year with a training cost estimate."),
        "n_with_tokens": ("models", "Models of the year with training_tokens (language models only)."),
        "n_with_power": ("models", "Models of the year with a training power draw estimate."),
        "n_frontier": ("models", "Models of the year flagged is_frontier (top 10 by compute at release)."),
        "n_large_scale": ("models", "Models of the year with at least 1e23 FLOP of training compute."),
        "max_training_compute_flop": ("FLOP", "Largest training compute among the year's models."),
        "median_training_compute_flop": ("FLOP", "Median training compute of the year's models that have an estimate."),
        "max_training_cost_usd": ("USD (2023)", "Largest training cost among the year's models, constant 2023 US dollars."),
        "max_training_power_w": ("W", "Largest training power draw among the year's models."),
        "max_training_tokens": ("tokens", "Largest training dataset in tokens among the year's language models."),
    },
    "marts.country_electricity_latest": {
        **_common("country_or_region", "country_code", "continent"),
        "year": ("year", "The country's latest year in Ember's data, the year demand_twh is for; differs by country."),
        **_common("demand_twh", "average_power_gw", "source_version"),
    },
    "clean.curated_values": {
        "estimates": (None, "'baseline' for sources/curated/*.csv (applied to the published tables) or the scenario "
                            "name of sources/curated/scenarios/<name>.csv (fitted and projected separately)."),
        "action": (None, "'correct' (a field of a model the source has) or 'add' (a run the source does not have)."),
        "model_id": COMMON["model_id"],
        "model": (None, "Model name: the source's for a correction, the curated file's for a new run."),
        "field": (None, "The marts.training_runs column the value sets, e.g. 'training_compute_flop'."),
        "value_number": (None, "The value of a numeric field, converted to the column's unit (e.g. '25 MW' -> 2.5e7 W)."),
        "value_text": (None, "The value of a text field (organization, country, domain)."),
        "value_date": ("date", "The value of publication_date."),
        "value_as_written": (None, "The cell exactly as the analyst wrote it, unit included."),
        "citation": (None, "URL or reference backing the value (required)."),
        "note": (None, "The analyst's note."),
        "author": (None, "Who entered the value."),
        "curated_date": ("date", "When the value was entered (the file's 'date' column)."),
        "file": (None, "Curated file the value comes from, relative to the project."),
        "line": (None, "Line of that file (1 = header)."),
    },
    "marts.value_provenance": {
        "estimates": (None, "'baseline' or the scenario the value belongs to."),
        "model_id": COMMON["model_id"],
        "model": (None, "Model name."),
        "field": (None, "The marts.training_runs column the curated value set."),
        "status": (None, "'override' (a correction replaced the source value), 'new_run' (a run the source lacks), "
                         "'agreement' or 'conflict' (a curated new run the source now has too: equal or different value; "
                         "the curated value is used)."),
        "source_value": (None, "The source's value before the curated one was applied (canonical text); null for new runs."),
        "curated_value": (None, "The curated value used (canonical text, in the column's unit)."),
        "citation": (None, "URL or reference backing the curated value."),
        "note": (None, "The analyst's note."),
        "author": (None, "Who entered the value."),
        "curated_date": ("date", "When the value was entered."),
        "file": (None, "Curated file the value comes from."),
        "line": (None, "Line of that file."),
    },
    "marts.release_diff": {
        "change": (None, "'added', 'removed', 'changed' (one row per differing column), 'quarantined' or "
                         "'unquarantined' between old_version and new_version."),
        "model_id": (None, "model_id of the model that changed (the clean table's key, compared across versions)."),
        "model": (None, "Model name (Epoch's 'Model', cleaned) in the newer version where it has one, else the older."),
        "column": (None, "For 'changed' rows: the clean column that differs (e.g. 'training_compute_flop'); null "
                         "otherwise."),
        "old_value": (None, "Value in old_version as a canonical string (repr of numbers, ISO dates); for rows "
                            "leaving quarantine or removed from it, the old quarantine reasons."),
        "new_value": (None, "Value in new_version as a canonical string; for 'quarantined' rows, the new reasons "
                            "('; '-joined)."),
        "old_version": (None, "The earlier source_version compared (the snapshot before the one this build uses)."),
        "new_version": (None, "The source_version this build uses."),
        "old_row_number": (None, "source_row_number of the row in old_version; null when it was not there."),
        "new_row_number": (None, "source_row_number of the row in new_version; null when it is gone."),
    },
    # --- marts: the analysis ----------------------------------------------------------------------
    "marts.trend_fits": {
        **_common("estimates"),
        "metric": (None, "Fitted series: a column of marts.training_runs (e.g. 'training_compute_flop'), "
                         "'flop_per_s_per_w' (accelerator FLOP/s per watt of TDP, one precision per population) or a "
                         "cluster column ('power_capacity_mw', 'hardware_cost_usd')."),
        "population": (None, "Rows fitted: 'notable_since_2010', 'frontier' (top 10 at release, since 2010), "
                             "'frontier_since_2016' (cost, the literature's window), 'records' (runs larger than every "
                             "earlier run), 'large_scale' (>= 1e23 FLOP: selection-truncated, see is_selection_truncated), "
                             "'notable_before_2010', 'notable_before_break' / 'notable_after_break', "
                             "'ml_hardware_tensor_fp16' / 'ml_hardware_fp16' / 'ml_hardware_fp32' (accelerators with "
                             "that precision's throughput), 'largest_clusters' (top 10 by power when first operational, "
                             "ranked against every operational site, planned sites excluded) or 'epoch_top10_clusters' "
                             "(Epoch's own 'Rank when first operational' <= 10)."),
        "unit": (None, "Unit of the fitted metric (e.g. 'FLOP', 'USD (2023)', 'FLOP/s per W')."),
        "start_date": ("date", "First date of the fitted window."),
        "end_date": ("date", "Last date of the fitted window (the as-of date, or the break for the segment before it)."),
        "n": ("points", "Number of points fitted (rows with a positive value and a date in the window)."),
        "slope_oom_per_year": ("OOM/year", "OLS slope of log10(value) on the fractional year: orders of magnitude per year."),
        "slope_se": ("OOM/year", "Standard error of the slope (OLS, n-2 degrees of freedom)."),
        "intercept_log10": ("log10(unit)", "Intercept of the fitted line: log10(value) at year 0 (the line is "
                                           "log10 = intercept + slope x year)."),
        "x_mean": ("year", "Mean fractional year of the fitted points (the line passes through x_mean and the mean log10)."),
        "growth_per_year": ("x/year", "Multiplicative growth per year, 10^slope."),
        "growth_per_year_low": ("x/year", "Lower end of the 90% interval of growth per year, from slope_se with the "
                                          "Student t quantile."),
        "growth_per_year_high": ("x/year", "Upper end of the 90% interval of growth per year, from slope_se with the "
                                           "Student t quantile."),
        "growth_per_year_boot_low": ("x/year", "5th percentile of growth per year over the seeded bootstrap (see bootstrap_method)."),
        "growth_per_year_boot_high": ("x/year", "95th percentile of growth per year over the seeded bootstrap (see bootstrap_method)."),
        "doubling_time_months": ("months", "Time to double, 12 log10(2) / slope; infinite for a flat trend, NaN for a "
                                           "shrinking one."),
        "r2": ("fraction", "Coefficient of determination of the log-linear fit."),
        "upper_decile_offset_oom": ("OOM", "90th percentile of the residuals (log10): how far the top runs or clusters "
                                           "sit above the line; projections of the largest run or cluster add it."),
        "method": (None, "'ols_log10_on_year' (one line) or 'ols_log10_on_year_two_segments' (either side of a break "
                         "year found by search)."),
        "break_year": ("year", "Fractional year of the break for the two-segment fits; null for the others."),
        "is_selection_truncated": (None, "True when the population is selected on the value it fits (large_scale: "
                                         ">= 1e23 FLOP), which flattens the slope; such a fit is not a trend and is "
                                         "never used by a projection or headline. start_date is then its first member's date."),
        "bootstrap_resamples": ("resamples", "Number of bootstrap lines kept (resamples drawing a single distinct year "
                                             "are dropped)."),
        "bootstrap_method": (None, "'pairs' (rows resampled with replacement), or 'bag_of_little_bootstraps' for fits "
                                   "of 100,000 points or more (Kleiner et al. 2014: 20 subsets of n^0.6 rows, each "
                                   "resampled to n by multinomial weights; each line's deviation from its subset's "
                                   "fit is added to the full-data fit)."),
        "seed": (None, "Random seed of this fit's bootstrap, derived from the configured seed and the fit's name."),
        "as_of": ("date", "As-of date of the analysis: data published after it are left out; defaults to the newest "
                          "publication date in the main source, never today."),
    },
    "marts.backtests": {
        "metric": (None, "Largest-run quantity: 'training_compute_flop', 'training_cost_usd' or 'training_power_w' "
                         "(the record: the largest value of any run published by the date)."),
        "method": (None, "Candidate method: 'record_trend' (OLS of the records), 'record_level_frontier_slope' (the "
                         "record trend's value at the as-of date, growing at the frontier slope), 'record_anchored' "
                         "(the last record at the frontier slope) or 'frontier_offset' (the frontier line raised by its "
                         "upper-decile residual, flopcast's earlier method)."),
        "as_of": ("date", "Date of the backtest (1 July of the as-of year): only runs published on or before it are read."),
        "horizon_years": ("years", "How far ahead the projection is: 1 to 4 years."),
        "target_date": ("date", "as_of plus horizon_years: the date the record is compared at."),
        "n_fit": ("points", "Points the method's slope was fitted on."),
        "projected_low": (None, "5% end of the method's 90% prediction band at the target date, in the metric's unit."),
        "projected_central": (None, "Central projection at the target date, in the metric's unit."),
        "projected_high": (None, "95% end of the method's 90% prediction band at the target date."),
        "observed": (None, "The record actually observed at the target date (largest value published by then)."),
        "error_oom": ("OOM", "log10(projected_central / observed): positive is an over-projection."),
        "is_covered": (None, "True when observed lies inside [projected_low, projected_high]."),
        "interval_score_oom": ("OOM", "Interval score of the 90% band (Gneiting & Raftery 2007) in log10 units: its width "
                                      "plus 20 x how far observed falls outside it; lower is better."),
    },
    "marts.backtest_skill": {
        "metric": (None, "Largest-run quantity, as in marts.backtests."),
        "method": (None, "Candidate method, as in marts.backtests."),
        "horizon_years": ("years", "How far ahead: 1 to 4 years."),
        "n_backtests": ("backtests", "Number of backtests of this method and horizon."),
        "mean_abs_error_oom": ("OOM", "Mean absolute error_oom."),
        "mean_error_oom": ("OOM", "Mean error_oom (bias): positive means the method over-projected on average."),
        "coverage": ("fraction", "Share of backtests whose 90% band contained the observed record."),
        "mean_interval_score_oom": ("OOM", "Mean interval score of the 90% band."),
        "nominal_coverage": ("fraction", "The band's nominal coverage, 0.9."),
        "comparable_n_backtests": ("backtests", "Backtests (all horizons) at which every method of the metric could "
                                                "project: the set the choice is made on."),
        "comparable_mean_abs_error_oom": ("OOM", "Mean absolute error over the comparable backtests, all horizons."),
        "comparable_mean_interval_score_oom": ("OOM", "Mean interval score over the comparable backtests, all horizons: "
                                                      "the selection criterion."),
        "is_continuous": (None, "True when the method's central path starts where the record trend stands at the "
                                "as-of date; only these may be published."),
        "is_selected": (None, "True for the method the published projection uses: the continuous method with the "
                              "lowest comparable_mean_interval_score_oom (ties: lower error, then a fixed order)."),
    },
    "marts.projections": {
        **_common("estimates"),
        "year": _YEAR_PROJECTED,
        **_common("subject", "metric", "method", "scenario"),
        "value": (None, "Projected value of the metric for the year and scenario, in the row's unit."),
        **_common("unit"),
        "basis": (None, "Fit(s) the value derives from, as metric/population of marts.trend_fits "
                        "(e.g. 'training_compute_flop/records (record_level_frontier_slope)')."),
    },
    "marts.constraints": {
        "year": _YEAR_PROJECTED,
        **_common("roadblock", "subject", "metric", "method", "scenario"),
        "projected_value": (None, "Projected value (marts.projections.value), in the row's unit."),
        **_common("unit"),
        "reference": (None, "Reference limit compared with, e.g. 'one_nuclear_reactor', 'largest_us_power_station', "
                            "'public_text_stock', 'post_internet_text', 'usd_1b', 'largest_company_capex'."),
        "reference_value": (None, "Value of the reference in the row's unit, from marts.assumptions."),
        "ratio": ("ratio", "projected_value / reference_value."),
        "binds": (None, "True when projected_value >= reference_value."),
        "n_countries_exceeded": ("countries", "Energy rows: number of countries whose average electrical power "
                                              "(marts.country_electricity_latest) is below the projected power; null "
                                              "for data and money."),
        "largest_country_exceeded": (None, "Energy rows: the largest of those countries by average power; null when "
                                           "none, and for data and money."),
    },
    "marts.roadblocks": {
        **_common("roadblock", "subject", "metric", "method"),
        "reference": (None, "The binding reference: reaching it means the roadblock binds (e.g. "
                            "'largest_us_power_station', 'public_text_stock', 'largest_company_capex')."),
        "reference_value": (None, "Central value of the binding reference, in the row's unit (marts.assumptions)."),
        **_common("unit"),
        "first_year_central": ("year", "First year the central projection reaches the reference; null if not before "
                                       "horizon_year."),
        "first_year_earliest": ("year", "First year the high scenario reaches the reference (its low end where the "
                                        "reference is uncertain); null if not before horizon_year."),
        "first_year_latest": ("year", "First year the low scenario reaches the reference (its high end where the "
                                      "reference is uncertain); null if not before horizon_year."),
        "binds_before_horizon": (None, "True when the central projection reaches the reference by horizon_year."),
        "horizon_year": ("year", "Last projected year (configuration 'horizon_year')."),
        "summary": (None, "The row in words, e.g. 'binds in 2029 (90% range 2028-2029)'."),
    },
    "marts.countries_exceeded": {
        "year": _YEAR_PROJECTED,
        **_common("subject", "metric", "method", "scenario"),
        "projected_power_gw": ("GW", "Projected power of the run or cluster (marts.projections.value)."),
        **_common("country_or_region", "country_code", "average_power_gw"),
        "country_data_year": ("year", "Year of the country's Ember data (its latest year; differs by country)."),
    },
    "marts.seed_claims": {
        "claim_id": (None, "Identifier of the claim."),
        "statement": (None, "The claim, paraphrased from the seed post."),
        "year": ("year", "Year the claim is about; null for claims about a rate, a ratio or a stock."),
        "quantity": (None, "What is claimed: training compute, training cost, power, growth per year, tokens..."),
        "subject": (None, "What the claim is about: 'training_run', 'cluster', 'rate' or 'text_stock'."),
        "claimed_value": (None, "The value the post claims, in the row's unit."),
        **_common("unit"),
        "data_value": (None, "What the data gives, in the row's unit: an observed value, a fit or a projection (see basis)."),
        "data_low": (None, "Low end of the data's 90% interval (see uncertainty): Epoch's own interval from the row's "
                           "notes, else observed value / the confidence label's factor; bootstrap 5th percentile of a "
                           "fit; low end of a projection band; a reference's low end. Ratios combine their factors' "
                           "intervals in log10 space (half-widths in quadrature)."),
        "data_high": (None, "High end of the data's 90% interval, built like data_low."),
        "uncertainty": (None, "Where the interval comes from: 'epoch_notes_90ci' (the interval Epoch states in the row's "
                              "'Training compute notes'), 'confidence_label (<label>)' (a factor from Epoch's confidence "
                              "label, marts.assumptions confidence_factor_*), 'fit_bootstrap_90', 'projection_band_90', "
                              "'reference_interval_90', or 'combined in log space: ...' for a ratio."),
        "basis": (None, "Where data_value comes from: 'observed' (a model in marts.training_runs), 'fit' "
                        "(marts.trend_fits), 'projection' (marts.projections) or 'reference' (marts.assumptions); for "
                        "a dated claim, followed by the reading of its year: runs trained that year (publication date "
                        "minus Epoch's training time, else minus the median training time of frontier runs since "
                        "2018) or sites first operating that year."),
        "evidence": (None, "The model, fit or projection behind data_value, in words, with the interval's source."),
        "ratio_claim_to_data": ("ratio", "claimed_value / data_value."),
        "verdict": (None, "Direction and size from the central values: 'overstated ×4.8' (claimed_value is 4.8 times "
                          "data_value), 'understated ×4.5', 'about right (×0.96)' within a factor of 1.25, or 'no data'."),
        "interval_verdict": (None, "Whether claimed_value lies inside data_low..data_high: 'inside', 'above', 'below' "
                                   "or 'no data'."),
    },
    "marts.assumptions": {
        "name": (None, "Name of the constant, as used by `flopcast build --set name=value`."),
        "value": (None, "Value used by this build (the default or the configured override), in the row's unit."),
        "low": (None, "Low end of the plausible range where the cited source gives one, in the row's unit."),
        "high": (None, "High end of the plausible range where the cited source gives one, in the row's unit."),
        "unit": (None, "Unit of value, low and high (e.g. 'GW', 'tokens', 'ratio', 'fraction')."),
        "description": (None, "What the constant stands for."),
        "citation": (None, "Where the value comes from; an overridden value says so and keeps the default's citation."),
        "is_overridden": (None, "True when this build's configuration overrode the default value."),
    },
    # --- quarantine -------------------------------------------------------------------------------
    "quarantine.rejected_rows": {
        **_common("source", "source_version"),
        "row_number": (None, "1-based record number after the header in the source file (raw.<source>._row_number)."),
        "reasons": (None, "Every reason the row cannot be used, e.g. \"training_dataset_size: cannot read '...' as a "
                          "number\", 'publication_date: missing', a duplicate naming the row kept."),
        "raw_row": (None, "The raw record as JSON, the source's original headers as keys and every cell as text."),
    },
    "quarantine.rejected_cells": {
        **_common("source", "source_version"),
        "row_number": (None, "1-based record number after the header in the source file (raw.<source>._row_number); "
                             "the clean row with this source_row_number holds the cell as null."),
        "source_column": (None, "The source's own header of the cell's column, e.g. 'Training dataset size (total)' "
                                "(named source_column because column is a reserved word in SQL)."),
        "field": (None, "flopcast's name of that column in the clean table, e.g. 'training_dataset_size'."),
        "raw_value": (None, "The cell's text exactly as in the source file (raw.<source>)."),
        "reason": (None, "Why the value cannot be used, e.g. \"training_dataset_size: cannot read "
                         "'327978752,192851506176' as a number\" or 'hardware_utilization_mfu: 1.7 is above 1'."),
    },
}


# --- using the docs -------------------------------------------------------------------------------


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_text(unit: str | None, description: str) -> str:
    """The column comment: the description, with the unit in brackets in front when there is one."""
    return f"[{unit}] {description}" if unit else description


def public_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every column of every base table in the public schemas, in table order."""
    placeholders = ", ".join("?" for _ in PUBLIC_SCHEMAS)
    return con.execute(
        "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns AS c "
        "JOIN information_schema.tables AS t USING (table_catalog, table_schema, table_name) "
        f"WHERE c.table_schema IN ({placeholders}) AND t.table_type = 'BASE TABLE' "
        "AND c.table_catalog = current_database() "
        "ORDER BY c.table_schema, c.table_name, c.ordinal_position",
        list(PUBLIC_SCHEMAS),
    ).fetchall()


def column_doc(table: str, column: str) -> Doc | None:
    """(unit, description) of schema.table's column, or None when it is not documented."""
    return COLUMN_DOCS.get(table, {}).get(column)


def parquet_metadata(table: str, columns: list[str]) -> tuple[dict[bytes, bytes], dict[str, dict[bytes, bytes]]]:
    """The table's and each column's Parquet (Arrow schema) metadata: b'description' for the table and
    every documented column, b'unit' for the columns that have one (absent for text, flags, identifiers)."""
    table_metadata = {b"table": table.encode()}
    if TABLE_DOCS.get(table):
        table_metadata[b"description"] = TABLE_DOCS[table].encode()
    fields = {}
    for column in columns:
        doc = column_doc(table, column)
        if doc is None:
            continue
        unit, description = doc
        fields[column] = {b"description": description.encode(), **({b"unit": unit.encode()} if unit else {})}
    return table_metadata, fields


def apply_comments(con: duckdb.DuckDBPyConnection) -> int:
    """COMMENT ON every documented public table and column that exists; returns how many comments were set.

    Documented tables or columns missing from the database are skipped (``stale_docs`` lists them).
    """
    columns = public_columns(con)
    tables = sorted({(schema, table) for schema, table, _ in columns})
    statements = []
    for schema, table in tables:
        text = TABLE_DOCS.get(f"{schema}.{table}")
        if text:
            statements.append(f"COMMENT ON TABLE {_quote(schema)}.{_quote(table)} IS {_literal(text)}")
    for schema, table, column in columns:
        doc = column_doc(f"{schema}.{table}", column)
        if doc:
            statements.append(f"COMMENT ON COLUMN {_quote(schema)}.{_quote(table)}.{_quote(column)} "
                              f"IS {_literal(comment_text(*doc))}")
    # One transaction: each COMMENT on its own commits to the WAL (~3 ms apiece, ~1 s for a build's
    # 330 comments); together they take 0.1 s, and a failure leaves no comment half-applied.
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in statements:
            con.execute(statement)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return len(statements)


def undocumented(con: duckdb.DuckDBPyConnection) -> list[str]:
    """'schema.table.column' of every public column without an entry in COLUMN_DOCS."""
    return [f"{schema}.{table}.{column}" for schema, table, column in public_columns(con)
            if column_doc(f"{schema}.{table}", column) is None]


def undocumented_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """'schema.table' of every public table without an entry in TABLE_DOCS."""
    return sorted({f"{schema}.{table}" for schema, table, _ in public_columns(con)} - set(TABLE_DOCS))


def stale_docs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Documented tables ('schema.table') and columns ('schema.table.column') the database does not have."""
    present = {f"{schema}.{table}.{column}" for schema, table, column in public_columns(con)}
    tables = {name.rsplit(".", 1)[0] for name in present}
    stale = [name for name in TABLE_DOCS if name not in tables]
    stale += [f"{table}.{column}" for table, docs in COLUMN_DOCS.items() for column in docs
              if f"{table}.{column}" not in present]
    return sorted(stale)
