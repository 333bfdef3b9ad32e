"""The data card (DATA_CARD.md) and Frictionless Data Package descriptor (datapackage.json).

Both are written at publish time from the checkpointed build database and the manifest
``publish.build_manifest`` returns, into the staging folder the publish step then moves into
``warehouse/``. They hold no timestamps and list everything in a fixed order, so two builds from
the same inputs write the same bytes. Descriptions and units come from ``column_docs``.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import duckdb

from pipelines.lib import column_docs
from pipelines.lib.sources import sha256_of

DATA_CARD_NAME = "DATA_CARD.md"
DATAPACKAGE_NAME = "datapackage.json"

CC_BY_4 = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}

# The sentences the licences ask for, per source. CC BY 4.0 requires credit, a link to the licence
# and an indication that changes were made; data derived from these sources carries the same terms.
EPOCH_ATTRIBUTION = "Epoch AI, 'Data on AI Models'. Published online at epoch.ai."
EMBER_ATTRIBUTION = "Ember, 'Yearly Electricity Data'. Published online at ember-climate.org."
ATTRIBUTIONS: dict[str, str] = {
    "epoch_notable_models": f"{EPOCH_ATTRIBUTION} Retrieved from https://epoch.ai/data/ai-models. Licensed under CC BY 4.0.",
    "epoch_ml_hardware": "Epoch AI, 'Data on Machine Learning Hardware'. Published online at epoch.ai. Retrieved from "
    "https://epoch.ai/data/machine-learning-hardware. Licensed under CC BY 4.0.",
    "epoch_gpu_clusters": "Epoch AI, 'Data on GPU Clusters'. Published online at epoch.ai. Retrieved from "
    "https://epoch.ai/data/gpu-clusters. Licensed under CC BY 4.0.",
    "ember_country_electricity": f"{EMBER_ATTRIBUTION} Retrieved from https://ember-climate.org/data/global-electricity/. "
    "Licensed under CC BY 4.0.",
    "fred_ppi_data_processing": "U.S. Bureau of Labor Statistics, Producer Price Index by Industry: Data Processing, "
    "Hosting and Related Services (PCU518210518210), retrieved from FRED, Federal Reserve "
    "Bank of St. Louis. Public domain; FRED asks for this citation.",
}
CHANGES_NOTICE = (
    "flopcast changed the data: columns were renamed and typed, unusable rows quarantined, unusable cells set to "
    "null, duplicates resolved, "
    "and marts, trend fits and projections derived. The producers of the sources do not endorse flopcast."
)

RECENT_SINCE = "2025-01-01"  # "recent" for the caveat on missing compute estimates

# Known caveats, in the order the card lists them. {placeholders} are filled from the build
# (see _caveat_facts); a fact the build cannot give shows as "?".
CAVEATS: tuple[str, ...] = (
    "`training_tokens` is Epoch's 'Training dataset size (total)' for language models, and it mixes tokens and "
    "words: Epoch converts many word counts at 4/3 tokens per word (LaMDA's 1.56T words are 2.08e12), but "
    "{words_rows} language rows are marked '[WORDS]' in Epoch's 'Dataset size notes' (mostly translation models: "
    "NLLB, GNMT, Seq2Seq LSTM) and older rows copied from a word count hold words too (ALBERT: BooksCorpus 800M "
    "+ Wikipedia 2,500M words = 3.3e9). flopcast does not convert; such counts are up to a third low in tokens. "
    "For some fine-tuned models it counts only the fine-tuning data, and some of these are flagged frontier by "
    "flopcast's top-{frontier_top_n} rule (e.g. InstructGPT 175B with about 1.7e7 tokens); small token counts of fine-tuned models "
    "are not pre-training data.",
    "Some of Epoch's training power draw values look wrong: Megatron-LM (1.2B) is listed at about 338 W (one V100) "
    "while Megatron-LM (8.3B) on 512 GPUs draws about 263 kW. Power fits use the values as published.",
    "Many recent models lack a compute estimate: {recent_without_compute} of the {recent_models} models published "
    "since {since} have no `training_compute_flop`, including {recent_epoch_frontier_without_compute} of the "
    "{recent_epoch_frontier} that Epoch flags as frontier. Fits, ranks and flopcast's frontier only see models with "
    "an estimate, so the latest years are thin.",
    "Costs are Epoch's 'Training compute cost (2023 USD)', labelled constant 2023 US dollars, as published; flopcast "
    "does not re-deflate them "
    "(`clean.price_index` is kept for reference). Not every row is on a 2023 base: A.X K1 (2025-12-30) holds its "
    "nominal cloud price (the same figure as its 'Training compute cost (cloud)'), hand-entered rows were converted "
    "with the CPI rather than the producer price index (DeepSeek-V3: $5.576M 2024 = $5.39M 2023), and older cost "
    "notes still describe a 2020 base that the values no longer follow. By the shipped index a 2024 dollar is "
    "{ppi_2024_in_2023} and a {ppi_latest_year} dollar {ppi_latest_in_2023} of a 2023 dollar, so a row left on a later "
    "base is a few percent high, well inside the estimates' own uncertainty. Accelerator release prices and cluster "
    "hardware costs are as Epoch gives them, not deflated.",
    "Projections extrapolate log-linear trends. The largest run's compute, cost and power draw follow the method "
    "chosen by backtests ({compute_method} for compute): it starts where the trend of the records stands at the as-of "
    "date, and its low/high ends bound a 90% prediction band (slope and scatter). In {compute_backtests} backtests "
    "(fitted on what was known by 1 July of each year since 2012, 1-4 years ahead) that band held "
    "{compute_coverage} of the time and the central path was {compute_bias} orders of magnitude too high on average "
    "(mean absolute error {compute_mae}): the record rises in steps, and the path is a line through them. Cluster "
    "bands are the 5th/95th percentiles of bootstrap lines (slope uncertainty only) and were not backtested. No band "
    "covers trend breaks, new limits or changes in what gets reported; `marts.backtests` has every backtest.",
    "`marts.seed_claims` judges each claim twice: `verdict` gives the direction and size from the central values "
    "('overstated ×4.8'; 'about right' within a factor of 1.25) and `interval_verdict` whether the claim lies inside "
    "the data's 90% interval. That interval is Epoch's own where a row's notes state one (`uncertainty` = "
    "'epoch_notes_90ci', e.g. GPT-4's 8.2e24-4.4e25 FLOP) and otherwise flopcast's reading of Epoch's confidence label "
    "(a factor of 3, 10 or 30, `marts.assumptions`); ratios combine their factors' intervals in log space. A dated "
    "claim about runs means the runs trained that year (publication date minus Epoch's training time, else minus the "
    "median training time of frontier runs since 2018); a cluster claim, the sites first operating that year. The "
    "post's 60T tokens are unique tokens, compared with the effective stock of public text (which counts repeated "
    "epochs) divided by `data_stock_repetition_factor`.",
    "Ember's latest year differs by country ({ember_first_latest} to {ember_last_latest} in this build); "
    "`marts.country_electricity_latest` uses each country's own latest year.",
    "Epoch's cluster list includes planned sites ({planned_clusters} of {clusters} rows), mostly undated "
    "({planned_undated} without a first operational date) and some uncertain (`certainty`); the cluster trend fits "
    "exclude planned sites.",
)

# DuckDB type -> Frictionless Table Schema field type.
_INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}
_NUMBER_TYPES = {"DOUBLE", "FLOAT", "REAL"}
_STRING_TYPES = {"VARCHAR", "TEXT", "STRING", "UUID", "CHAR", "BPCHAR"}


def frictionless_type(duckdb_type: str) -> str:
    """The Frictionless Table Schema type of a DuckDB column type (for datapackage.json)."""
    t = duckdb_type.strip().upper()
    if t.endswith("]") or t.startswith(("LIST", "ARRAY")):
        return "array"
    if t.startswith(("STRUCT", "MAP")):
        return "object"
    if t in _STRING_TYPES or t.startswith("VARCHAR") or t.startswith("ENUM"):
        return "string"
    if t in _NUMBER_TYPES or t.startswith(("DECIMAL", "NUMERIC")):
        return "number"
    if t in _INTEGER_TYPES:
        return "integer"
    if t == "BOOLEAN":
        return "boolean"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "datetime"
    if t.startswith("TIME"):
        return "time"
    if t == "INTERVAL":
        return "duration"
    return "any"


# --- reading the build ----------------------------------------------------------------------------


def _exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, table = qualified.split(".", 1)
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ? "
            "AND table_catalog = current_database()",
            [schema, table],
        ).fetchone()[0]
    )


def reason_family(reason: str) -> str:
    """A reason without its values: quoted text becomes '…' and bare numbers or dates become …, so
    "training_dataset_size: cannot read '1,2' as a number" and the same with '3,4' fall together."""
    text = re.sub(r"'.*'", "'…'", reason)  # greedy: a value may itself hold a quote
    return re.sub(r"(?<![\w.'])-?\d[\d.:eE+\-]*(?![\w'])", "…", text)


def rejected_cells_summary(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int, str]]:
    """(source, field, reason family, cells, first example) from quarantine.rejected_cells, most cells first."""
    if not _exists(con, "quarantine.rejected_cells"):
        return []
    groups: dict[tuple[str, str, str], list] = {}
    for source, field, reason in con.execute(
        "SELECT source, field, reason FROM quarantine.rejected_cells ORDER BY source, row_number, field"
    ).fetchall():
        entry = groups.setdefault((source, field, reason_family(reason)), [0, reason])
        entry[0] += 1
    return sorted(
        ((source, field, family, n, example) for (source, field, family), (n, example) in groups.items()),
        key=lambda r: (r[0], -r[3], r[1], r[2]),
    )


def quarantine_families(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, str]]:
    """(source, reason family, rows, first example) from quarantine.rejected_rows, most rows first.
    A row with several reasons counts once in each of its families."""
    if not _exists(con, "quarantine.rejected_rows"):
        return []
    rows = con.execute(
        "SELECT source, row_number, reasons FROM quarantine.rejected_rows ORDER BY source, row_number"
    ).fetchall()
    groups: dict[tuple[str, str], tuple[set, str]] = {}
    for source, row_number, reasons in rows:
        for reason in sorted(set(reasons or [])):
            key = (source, reason_family(reason))
            numbers, example = groups.setdefault(key, (set(), reason))
            numbers.add(row_number)
    result = [(source, family, len(numbers), example) for (source, family), (numbers, example) in groups.items()]
    return sorted(result, key=lambda r: (r[0], -r[2], r[1]))


def _coverage(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    if not _exists(con, "marts.yearly_summary"):
        return []
    return con.execute(
        "SELECT year, n_models, n_with_compute, n_with_cost, n_with_tokens, n_with_power "
        "FROM marts.yearly_summary ORDER BY year NULLS LAST"
    ).fetchall()


def _language_models(con: duckdb.DuckDBPyConnection) -> tuple[int, int] | None:
    if not _exists(con, "marts.training_runs"):
        return None
    return con.execute(
        "SELECT count(*), count(training_tokens) FROM marts.training_runs WHERE is_language_model"
    ).fetchone()


def _caveat_facts(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    facts: dict[str, object] = {"since": RECENT_SINCE}
    if _exists(con, "marts.training_runs"):
        (
            facts["recent_models"],
            facts["recent_without_compute"],
            facts["recent_epoch_frontier"],
            facts["recent_epoch_frontier_without_compute"],
        ) = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE training_compute_flop IS NULL), "
            "count(*) FILTER (WHERE is_epoch_frontier), "
            "count(*) FILTER (WHERE is_epoch_frontier AND training_compute_flop IS NULL) "
            "FROM marts.training_runs WHERE publication_date >= CAST(? AS DATE)",
            [RECENT_SINCE],
        ).fetchone()
    if _exists(con, "marts.country_electricity_latest"):
        first, last = con.execute("SELECT min(year), max(year) FROM marts.country_electricity_latest").fetchone()
        if first is not None:
            facts["ember_first_latest"], facts["ember_last_latest"] = first, last
    if _exists(con, "raw.epoch_notable_models"):
        with contextlib.suppress(duckdb.Error):  # an older raw table without the notes column
            facts["words_rows"] = con.execute(
                "SELECT count(*) FROM raw.epoch_notable_models WHERE \"Domain\" LIKE '%Language%' "
                'AND "Training dataset size (total)" IS NOT NULL '
                "AND starts_with(ltrim(\"Dataset size notes\"), '[WORDS]')"
            ).fetchone()[0]
    if _exists(con, "clean.price_index"):
        yearly = dict(
            con.execute(
                "SELECT year(observation_date), avg(price_index) FROM clean.price_index GROUP BY ALL"
            ).fetchall()
        )
        if 2023 in yearly:
            latest = max(yearly)
            if 2024 in yearly:
                facts["ppi_2024_in_2023"] = f"{yearly[2023] / yearly[2024]:.3f}"
            facts["ppi_latest_year"] = latest
            facts["ppi_latest_in_2023"] = f"{yearly[2023] / yearly[latest]:.3f}"
    if _exists(con, "marts.backtest_skill"):
        row = con.execute(
            "SELECT any_value(method), sum(n_backtests), sum(coverage * n_backtests) / sum(n_backtests), "
            "sum(mean_error_oom * n_backtests) / sum(n_backtests), sum(mean_abs_error_oom * n_backtests) / sum(n_backtests) "
            "FROM marts.backtest_skill WHERE is_selected AND metric = 'training_compute_flop'"
        ).fetchone()
        if row[0] is not None:
            facts["compute_method"], facts["compute_backtests"] = f"`{row[0]}`", row[1]
            facts["compute_coverage"], facts["compute_bias"], facts["compute_mae"] = (
                f"{row[2]:.0%}",
                f"{row[3]:+.2f}",
                f"{row[4]:.2f}",
            )
    if _exists(con, "clean.gpu_clusters"):
        facts["clusters"], facts["planned_clusters"], facts["planned_undated"] = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE is_planned), "
            "count(*) FILTER (WHERE is_planned AND first_operational_date IS NULL) FROM clean.gpu_clusters"
        ).fetchone()
    return facts


class _Facts(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def known_caveats(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The data card's caveats, with the figures they cite read from the built warehouse."""
    from pipelines.lib.settings import DEFAULTS

    facts = _Facts({"frontier_top_n": DEFAULTS.frontier_top_n, **_caveat_facts(con)})
    return [text.format_map(facts) for text in CAVEATS]


def _headline(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not all(_exists(con, t) for t in ("marts.trend_fits", "marts.projections", "marts.roadblocks")):
        return []
    from pipelines.lib.headline import headline_lines

    return headline_lines(con)


def _source_title(name: str, info: dict) -> str:
    if info.get("title"):
        return info["title"]
    from pipelines.lib.sources import SOURCES_BY_NAME

    spec = SOURCES_BY_NAME.get(name)
    return spec.description if spec else name


def _source_url(info: dict) -> str | None:
    if info.get("url"):
        return info["url"]
    found = re.search(r"https?://[^\s'\"\]\)]+", info.get("citation") or "")
    return found.group(0).rstrip(".,;") if found else None


def _attribution_order(sources: dict) -> list[tuple[str, dict]]:
    """Sources in the order ATTRIBUTIONS lists them (Epoch AI first), then any other by name."""
    known = list(ATTRIBUTIONS)
    return sorted(sources.items(), key=lambda item: (known.index(item[0]) if item[0] in known else len(known), item[0]))


def _attribution(name: str, info: dict) -> str:
    if name in ATTRIBUTIONS:
        return ATTRIBUTIONS[name]
    return f"{info.get('citation') or name} Licence: {info.get('license') or 'see the source'}."


# --- Markdown -------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _share(part: int, whole: int) -> str:
    return f"{part} ({100.0 * part / whole:.1f}%)" if whole else str(part)


def _tables(manifest: dict) -> list[tuple[str, dict]]:
    return sorted(manifest.get("tables", {}).items())


def render_data_card(con: duckdb.DuckDBPyConnection, manifest: dict) -> str:
    """DATA_CARD.md: sources, tables and columns, coverage, quarantine, headline fits and caveats of a build."""
    sources = dict(sorted(manifest.get("sources", {}).items()))
    tables = _tables(manifest)
    out: list[str] = [
        "# flopcast data card",
        "",
        "flopcast is a reproducible dataset on the economics of AI scaling: Epoch AI's records of notable AI models, "
        "ML hardware and GPU clusters, a producer price index from FRED and Ember's national electricity data, "
        "cleaned, checked and modelled into a DuckDB warehouse (`flopcast.duckdb`) with one Parquet file per public "
        "table (`parquet/<schema>/<table>.parquet`) and `manifest.json`. `datapackage.json` describes the same files "
        "as a Frictionless Data Package. This card is generated by the build; do not edit it.",
        "",
        "## Attribution",
        "",
        "The data derived from these sources carries their licences (CC BY 4.0 for Epoch AI and Ember). When you use "
        "it, credit:",
        "",
    ]
    out += [f"- {_attribution(name, info)}" for name, info in _attribution_order(sources)]
    out += ["", CHANGES_NOTICE, f"Licence text: {CC_BY_4['path']}", ""]

    out += ["## Sources", ""]
    out += _table(
        ["source", "title", "version", "file", "rows", "sha256", "licence"],
        [
            [
                f"`{name}`",
                _source_title(name, info),
                info.get("version"),
                info.get("file"),
                info.get("rows"),
                f"`{info.get('sha256')}`",
                info.get("license"),
            ]
            for name, info in sources.items()
        ],
    )
    out += [""]
    for name, info in sources.items():
        url = _source_url(info)
        out.append(
            f"- `{name}`: {info.get('citation') or ''}"
            + (f" <{url}>" if url and url not in (info.get("citation") or "") else "")
        )
    out += [""]

    out += [
        "## Tables",
        "",
        "Rows as published; the content hash is a sha256 of the column names and types and the sorted rows "
        "(see `manifest.json`), independent of file layout.",
        "",
    ]
    out += _table(
        ["table", "rows", "description"],
        [[f"`{name}`", info.get("rows"), column_docs.TABLE_DOCS.get(name, "(undocumented)")] for name, info in tables],
    )
    for name, info in tables:
        out += [
            "",
            f"### `{name}`",
            "",
            column_docs.TABLE_DOCS.get(name, "(undocumented)"),
            "",
            f"- rows: {info.get('rows')}",
            f"- Parquet: `{info.get('parquet')}`",
            f"- content hash: `{info.get('content_hash')}`",
            "",
        ]
        rows = []
        for column, duck_type in info.get("columns", []):
            doc = column_docs.column_doc(name, column)
            unit, description = doc if doc else (None, "(undocumented)")
            rows.append([f"`{column}`", duck_type, unit or "", description])
        out += _table(["column", "type", "unit", "description"], rows)
    out += [""]

    out += [
        "## Coverage",
        "",
        "Models per publication year and how many carry each estimate (from `marts.yearly_summary`). Tokens are "
        "given for language models only.",
        "",
    ]
    coverage = _coverage(con)
    if coverage:
        rows = [[year if year is not None else "unknown", n, c, k, t, p] for year, n, c, k, t, p in coverage]
        total = [sum(r[i] or 0 for r in coverage) for i in range(1, 6)]
        rows.append(["**all years**", total[0], *(_share(v, total[0]) for v in total[1:])])
        out += _table(["year", "models", "with compute", "with cost", "with tokens", "with power"], rows)
        out += [
            "",
            f"Overall: {_share(total[1], total[0])} of models have a training compute estimate, "
            f"{_share(total[2], total[0])} a cost, {_share(total[3], total[0])} a token count and "
            f"{_share(total[4], total[0])} a power draw.",
        ]
        language = _language_models(con)
        if language and language[0]:
            out[-1] += f" Of the {language[0]} language models, {_share(language[1], language[0])} have a token count."
    else:
        out += ["`marts.yearly_summary` is not in this build."]
    out += [""]

    out += [
        "## Quarantined rows",
        "",
        "Raw rows that could not be used, in `quarantine.rejected_rows` with every reason and the raw record. "
        "Reasons are grouped into families by removing their values; a row with several reasons counts in each.",
        "",
    ]
    families = quarantine_families(con)
    if families:
        totals = con.execute(
            "SELECT source, count(*) FROM quarantine.rejected_rows GROUP BY source ORDER BY source"
        ).fetchall()
        out += [
            f"Quarantined rows: {sum(n for _, n in totals)} ("
            + ", ".join(f"`{source}` {n}" for source, n in totals)
            + ").",
            "",
        ]
        out += _table(
            ["source", "reason", "rows", "example"],
            [[f"`{source}`", family, n, example] for source, family, n, example in families],
        )
    else:
        out += ["No row was quarantined."]
    out += [""]

    out += [
        "## Rejected cells",
        "",
        "Cells of kept rows that could not be used (an unreadable or impossible value in an optional column): "
        "set to null in the clean table and listed in `quarantine.rejected_cells` with the raw text and the "
        "reason. Only a missing or unreadable date or name, a date after the snapshot or a duplicate rejects a "
        "whole row.",
        "",
    ]
    cells = rejected_cells_summary(con)
    if cells:
        totals: dict[str, int] = {}
        for source, _, _, n, _ in cells:
            totals[source] = totals.get(source, 0) + n
        out += [
            f"Rejected cells: {sum(totals.values())} ("
            + ", ".join(f"`{source}` {n}" for source, n in sorted(totals.items()))
            + ").",
            "",
        ]
        out += _table(
            ["source", "column", "reason", "cells", "example"],
            [[f"`{source}`", f"`{field}`", family, n, example] for source, field, family, n, example in cells],
        )
    else:
        out += ["No cell was rejected."]
    out += [""]

    out += ["## Headline fits", ""]
    headline = _headline(con)
    if headline:
        out += ["From `marts.trend_fits`, `marts.projections` and `marts.roadblocks`:", "", "```text", *headline, "```"]
    else:
        out += [
            "The analysis tables (`marts.trend_fits`, `marts.projections`, `marts.roadblocks`) are not in this build."
        ]
    out += [""]

    out += ["## Known caveats", ""]
    out += [f"- {text}" for text in known_caveats(con)]
    out += [""]
    return "\n".join(out)


# --- Frictionless Data Package --------------------------------------------------------------------


def build_datapackage(con: duckdb.DuckDBPyConnection, manifest: dict, out_dir: Path) -> dict:
    """The descriptor (Data Package v1). `hash`/`bytes` describe the Parquet file under out_dir when it
    is there; flopcast's content hash is the custom property `flopcast:content_hash`."""
    sources = dict(sorted(manifest.get("sources", {}).items()))
    package_sources = []
    for name, info in sources.items():
        entry = {
            "title": _source_title(name, info),
            "version": info.get("version"),
            "flopcast:name": name,
            "flopcast:file": info.get("file"),
            "flopcast:sha256": info.get("sha256"),
            "flopcast:rows": info.get("rows"),
            "flopcast:license": info.get("license"),
            "flopcast:citation": info.get("citation"),
            "flopcast:attribution": _attribution(name, info),
        }
        url = _source_url(info)
        if url:
            entry["path"] = url
        package_sources.append({k: v for k, v in entry.items() if v is not None})

    resources = []
    for name, info in _tables(manifest):
        fields = []
        for column, duck_type in info.get("columns", []):
            field = {"name": column, "type": frictionless_type(duck_type), "flopcast:duckdb_type": duck_type}
            doc = column_docs.column_doc(name, column)
            if doc:
                unit, description = doc
                field["description"] = description
                if unit:
                    field["unit"] = unit
            fields.append(field)
        path = info.get("parquet")
        resource = {
            "name": name,
            "profile": "data-resource",
            "path": path,
            "format": "parquet",
            "mediatype": "application/vnd.apache.parquet",
            "flopcast:content_hash": info.get("content_hash"),
            "flopcast:rows": info.get("rows"),
            "schema": {"fields": fields},
        }
        if name in column_docs.TABLE_DOCS:
            resource["description"] = column_docs.TABLE_DOCS[name]
        file = out_dir / path if path else None
        if file is not None and file.is_file():
            resource["bytes"] = file.stat().st_size
            resource["hash"] = "sha256:" + sha256_of(file)
        resources.append(resource)

    return {
        "profile": "data-package",
        "name": "flopcast",
        "title": "flopcast: the economics of AI scaling",
        "description": "Notable AI models (training compute, cost, tokens, power), ML hardware, GPU clusters and "
        "national electricity demand from Epoch AI, Ember and FRED, cleaned and modelled, with trend "
        "fits and projections. See DATA_CARD.md.",
        "licenses": [CC_BY_4],
        "sources": package_sources,
        "resources": resources,
        "flopcast:attribution": [_attribution(name, info) for name, info in _attribution_order(sources)],
        "flopcast:caveats": known_caveats(con),
    }


def write_data_card(con: duckdb.DuckDBPyConnection, manifest: dict, out_dir: Path) -> tuple[Path, Path]:
    """Write DATA_CARD.md and datapackage.json into out_dir (read-only on con); returns both paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    card = out_dir / DATA_CARD_NAME
    package = out_dir / DATAPACKAGE_NAME
    card.write_text(render_data_card(con, manifest), encoding="utf-8", newline="\n")
    descriptor = build_datapackage(con, manifest, out_dir)
    package.write_text(
        json.dumps(descriptor, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n"
    )
    return card, package
