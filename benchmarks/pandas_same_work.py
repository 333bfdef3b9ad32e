"""flopcast's raw + clean work on the main source, written the way an analyst would in pandas.

    python -m benchmarks.pandas_same_work --csv notable_ai_models.csv --sha256 HEX --out result.json \
        [--snapshot-date 2026-07-19] [--write-dir DIR]

The yardstick for flopcast's raw and clean stages (``benchmarks/pipeline_bench.py --stop-after
clean``), unlike ``benchmarks/pandas_reference.py`` (8 of 47 columns, nothing kept: a lower bound).
It does the same work with the same guarantees, in plain pandas + numpy:

1. the file's sha256 checked against the manifest's (``--sha256``) before anything is kept;
2. every cell of all 47 columns read as text (``dtype=str``, no NA spellings: an empty cell is the
   only missing value), each row numbered as in the file; kept (``raw.parquet``);
3. the 20 mapped columns typed with flopcast's rules: names tidied (blank runs, wrapping quotes),
   lists split, trimmed and de-duplicated, texts trimmed, ISO dates at day/month/year precision,
   numbers with the lenient spellings (approximate markers, the column's unit, "$" for USD,
   unambiguous thousands separators, "M×10^E") and float32 artefacts undone, yes/no flags; a reason
   per unusable cell naming the column and the text;
4. rows that cannot be used (no name, no or unreadable date, a date after the snapshot) rejected
   with every reason; unreadable or impossible optional cells (MFU above 1, a count too large)
   set to null with a reason; model ids from the names; one row per id (most complete, then newest,
   then by value), the others rejected saying which row is kept;
5. the clean rows sorted by id (``clean.parquet``), the rejected rows with their reasons and the
   raw record as JSON (``rejected_rows.parquet``), and the rejected cells with their raw text
   (``rejected_cells.parquet``).

Vectorised where pandas allows (``str`` methods, ``to_numeric``, ``to_datetime``); the list columns
and the Unicode names, which pandas cannot vectorise, are computed once per distinct value. It is
a fair same-work yardstick, not a copy of flopcast: the counts it prints are checked against
flopcast's in BENCHMARKS.md. CPU seconds include every thread of the process (pyarrow's reader
and writer use several).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from benchmarks.child_result import finished, write_result

SOURCE = "epoch_notable_models"
NAME, DATE = "Model", "Publication date"
LISTS = {
    "Organization": "organization",
    "Country (of organization)": "country",
    "Organization categorization": "organization_category",
    "Domain": "domain",
    "Task": "task",
    "Training hardware": "training_hardware",
}
TEXTS = {"Confidence": "confidence", "Model accessibility": "model_accessibility", "Link": "link"}
NUMBERS = {
    "Parameters": "parameters",
    "Training compute (FLOP)": "training_compute_flop",
    "Training dataset size (total)": "training_dataset_size",
    "Training compute cost (2023 USD)": "training_cost_usd",
    "Training power draw (W)": "training_power_w",
    "Hardware quantity": "hardware_quantity",
    "Training time (hours)": "training_time_hours",
    "Hardware utilization (MFU)": "hardware_utilization_mfu",
}
FLAG = ("Frontier model", "is_epoch_frontier")
UNITS = {"_flop": ("FLOP", "FLOPs", "flop"), "_usd": ("USD",), "_w": ("W",), "_hours": ("hours", "hour", "hrs", "h")}
APPROXIMATE = r"^(?:[~≈]|(?i:approx\.|approx\b|approximately\b))\s*"
THOUSANDS = r"^[+-]?\d{1,3}(?:(?:,\d{3}){2,}(?:\.\d+)?|,\d{3}\.\d+)$"
ONE_COMMA_GROUP = r"^[+-]?\d{1,3},\d{3}$"
TIMES_TEN = r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*[×xX*·]\s*10\s*\^\s*([+-]?\d+)$"
POWER_OF_TEN = r"^10\s*\^\s*([+-]?\d+)$"
FLOAT32_MAX = float(np.finfo(np.float32).max)


def shown(text: pd.Series) -> pd.Series:
    return "'" + text.str.slice(0, 60) + "'"


def normalize_artefact(value: float) -> float:
    """A float32 artefact (354999992320.0 for 3.55e11) back to its short spelling; else 15 digits."""
    spelled = f"{value:.15g}"
    rounded = float(spelled)
    if abs(value) > FLOAT32_MAX or len(spelled.replace("-", "").replace(".", "").split("e")[0].strip("0")) < 9:
        return rounded
    as_f32 = np.float32(value)
    if float(as_f32) == value:
        short = np.format_float_positional(as_f32, unique=True, trim="-")
        if len(short.replace("-", "").replace(".", "").strip("0")) <= 7:
            return float(short)
    return rounded


def number_column(text: pd.Series, name: str, cells: list) -> pd.Series:
    """Values (NaN where absent or unusable); a reason per unusable cell appended to `cells`."""
    text = text.str.strip()
    value = pd.to_numeric(text, errors="coerce")
    unread = value.isna() & text.notna() & (text != "")
    body = text.copy()
    if unread.any():  # the lenient spellings, only on the cells a plain parse could not read
        rewritten = text[unread].str.replace(APPROXIMATE, "", regex=True)
        if name.endswith("_usd"):
            rewritten = rewritten.str.replace(r"^(?:US)?\$\s*", "", regex=True)
        for suffix, words in UNITS.items():
            if name.endswith(suffix):
                alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                rewritten = rewritten.str.replace(rf"\s*(?:{alternatives})$", "", regex=True)
        thousands = rewritten.str.contains(THOUSANDS, regex=True)
        rewritten = rewritten.where(~thousands, rewritten.str.replace(",", "", regex=False))
        rewritten = rewritten.str.replace(TIMES_TEN, r"\1e\2", regex=True).str.replace(
            POWER_OF_TEN, r"1e\1", regex=True
        )
        body[unread] = rewritten
        value[unread] = pd.to_numeric(rewritten, errors="coerce")
    array = value.to_numpy(dtype=float, na_value=np.nan)
    present = text.notna() & (text != "")
    with np.errstate(invalid="ignore"):
        bad_parse = present & value.isna()
        not_finite = present & value.notna() & ~np.isfinite(array)
        below = present & np.isfinite(array) & (array < 0)
    ambiguous = bad_parse & body.str.contains(ONE_COMMA_GROUP, regex=True).fillna(False).astype(bool)
    for mask, message in (
        (ambiguous, " is ambiguous (a thousands separator or a decimal comma?)"),
        (bad_parse & ~ambiguous, None),
        (not_finite, " is not a finite number"),
        (below, " is below the minimum 0"),
    ):
        if mask.any():
            shown_text = shown(text[mask])
            reasons = (
                (f"{name}: cannot read " + shown_text + " as a number")
                if message is None
                else (f"{name}: " + shown_text + message)
            )
            cells.append(pd.DataFrame({"row": mask[mask].index, "field": name, "reason": reasons.to_numpy()}))
    usable = np.isfinite(array) & ~below.to_numpy()
    out = np.where(usable, array, np.nan)
    # float32 artefacts and over-long spellings: only where the text is long enough to hold them
    lengths = body.str.len().fillna(0).to_numpy()
    with np.errstate(over="ignore", invalid="ignore"):
        is_f32 = usable & (np.abs(out) <= FLOAT32_MAX) & (out.astype(np.float32).astype(float) == out) & (out != 0)
    for index in np.flatnonzero(usable & (out != 0) & (lengths >= np.where(is_f32, 9, 16))):
        mantissa = re.sub(r"[eE].*$", "", body.iat[index])
        digits = len(re.sub(r"[^0-9]", "", mantissa).strip("0"))
        if is_f32[index] and digits >= 9:
            out[index] = normalize_artefact(out[index])
        elif not is_f32[index] and digits > 15:
            out[index] = float(f"{out[index]:.15g}")
    return pd.Series(out, index=text.index)


def tidy_list(cell: str) -> str | None:
    parts = [part.strip() for part in cell.split(",")]
    joined = ",".join(dict.fromkeys(p for p in parts if p))
    return joined or None


def slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"([a-z])#", r"\1-sharp-", text).replace("+", "-plus-").replace("*", "-star-")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "unnamed"


def run(csv_path: Path, sha256: str | None, snapshot_date: str, write_dir: Path, version: str = "2026-07-19") -> dict:
    times, cpu = {}, {}
    clock = [time.perf_counter(), time.process_time()]

    def lap(name: str) -> None:
        now = [time.perf_counter(), time.process_time()]
        times[name], cpu[name] = now[0] - clock[0], now[1] - clock[1]
        clock[:] = now

    digest = hashlib.sha256()
    with open(csv_path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if sha256 is not None and digest.hexdigest() != sha256:
        raise SystemExit(f"{csv_path}: sha256 {digest.hexdigest()} does not match the manifest's {sha256}")
    # The C parser: pandas cannot pass pyarrow's newlines_in_values, and quoted newlines are in the file.
    raw = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw = raw.replace("", None)
    raw.index = pd.RangeIndex(1, len(raw) + 1, name="row_number")
    lap("read")
    raw.assign(_source=SOURCE, _source_version=version, _row_number=raw.index).to_parquet(write_dir / "raw.parquet")
    lap("write raw")

    cells: list[pd.DataFrame] = []  # (row, field, reason) of every unusable cell
    row_reasons: list[pd.DataFrame] = []
    clean = pd.DataFrame(index=raw.index)
    name = raw[NAME].str.replace("\x00", "", regex=False).str.replace(r"\s+", " ", regex=True).str.strip()
    quoted = name.str.startswith('"') & name.str.endswith('"') & (name.str.len() >= 2)
    name = name.where(~quoted.fillna(False).astype(bool), name.str.slice(1, -1).str.strip())
    clean["model"] = name.replace("", None)
    for header, column in LISTS.items():
        distinct = raw[header].dropna().unique()
        clean[column] = raw[header].map(dict(zip(distinct, (tidy_list(v.replace("\x00", "")) for v in distinct))))
    for header, column in TEXTS.items():
        clean[column] = raw[header].str.replace("\x00", "", regex=False).str.strip().replace("", None)
    text = raw[DATE].str.strip()
    precision = pd.Series(
        np.select(
            [
                text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool),
                text.str.fullmatch(r"\d{4}-\d{2}").fillna(False).astype(bool),
                text.str.fullmatch(r"\d{4}").fillna(False).astype(bool),
            ],
            ["day", "month", "year"],
            default=None,
        ),
        index=raw.index,
    )
    padded = text.where(precision == "day", text + np.where(precision == "month", "-01", "-01-01"))
    day = pd.to_datetime(padded.where(precision.notna()), format="%Y-%m-%d", errors="coerce")
    unreadable = text.notna() & (text != "") & day.isna()
    clean["publication_date"] = day
    clean["publication_date_precision"] = precision.where(day.notna())
    for header, column in NUMBERS.items():
        clean[column] = number_column(raw[header], column, cells)
    flag = raw[FLAG[0]].str.strip().str.lower()
    clean[FLAG[1]] = flag.map(
        {"true": True, "yes": True, "1": True, "1.0": True, "false": False, "no": False, "0": False, "0.0": False}
    )
    bad_flag = flag.notna() & (flag != "") & clean[FLAG[1]].isna()
    if bad_flag.any():
        cells.append(
            pd.DataFrame(
                {
                    "row": bad_flag[bad_flag].index,
                    "field": FLAG[1],
                    "reason": (
                        f"{FLAG[1]}: cannot read " + shown(raw.loc[bad_flag, FLAG[0]]) + " as yes/no"
                    ).to_numpy(),
                }
            )
        )
    lap("type")

    def reject_rows(mask: pd.Series, reasons: pd.Series) -> None:
        if mask.any():
            row_reasons.append(pd.DataFrame({"row": mask[mask].index, "reason": reasons[mask].to_numpy()}))

    reject_rows(clean["model"].isna(), pd.Series("model: missing", index=raw.index))
    reject_rows(unreadable, "publication_date: cannot read " + shown(text) + " as a date (YYYY-MM-DD, YYYY-MM or YYYY)")
    reject_rows(~unreadable & day.isna(), pd.Series("publication_date: missing", index=raw.index))
    future = day > pd.Timestamp(snapshot_date)
    reject_rows(
        future, "publication_date: " + day.dt.strftime("%Y-%m-%d") + f" is after the snapshot date {snapshot_date}"
    )
    mfu, quantity = clean["hardware_utilization_mfu"], clean["hardware_quantity"]
    for column, mask, suffix in (
        ("hardware_utilization_mfu", mfu > 1, " is above 1"),
        ("hardware_quantity", quantity >= 2.0**62, " is too large for a count"),
    ):
        if mask.any():
            cells.append(
                pd.DataFrame(
                    {
                        "row": mask[mask].index,
                        "field": column,
                        "reason": (f"{column}: " + clean.loc[mask, column].astype(str) + suffix).to_numpy(),
                    }
                )
            )
            clean.loc[mask, column] = np.nan
    clean["hardware_quantity"] = clean["hardware_quantity"].round().astype("Int64")
    ascii_names = clean["model"].str.isascii().fillna(True).astype(bool)
    lowered = clean["model"].str.lower()
    ids = (
        lowered.str.replace(r"([a-z])#", r"\1-sharp-", regex=True)
        .str.replace("+", "-plus-", regex=False)
        .str.replace("*", "-star-", regex=False)
        .str.replace(r"[^a-z0-9]+", "-", regex=True)
        .str.strip("-")
        .replace("", "unnamed")
    )
    clean["model_id"] = ids.where(ascii_names, clean["model"].map(lambda n: slug(n) if isinstance(n, str) else None))
    language = clean["domain"].str.split(",").map(lambda parts: isinstance(parts, list) and "Language" in parts)
    clean["is_language_model"] = language
    clean["training_tokens"] = clean["training_dataset_size"].where(language)
    all_cells = pd.concat(cells) if cells else pd.DataFrame(columns=["row", "field", "reason"])
    rejected_flags = set(all_cells.loc[all_cells["field"] == FLAG[1], "row"])
    clean[FLAG[1]] = clean[FLAG[1]].where(clean.index.isin(rejected_flags), clean[FLAG[1]].fillna(False))
    year = day.dt.year
    days_in_year = np.where(day.dt.is_leap_year, 366.0, 365.0)
    clean["publication_year_fraction"] = np.select(
        [precision == "day", precision == "month", precision == "year"],
        [
            year + (day.dt.day_of_year - 0.5) / days_in_year,
            year + (day.dt.day_of_year - 1 + day.dt.days_in_month / 2) / days_in_year,
            year + 0.5,
        ],
        default=np.nan,
    )
    lap("derive")

    rejected = set(pd.concat(row_reasons)["row"]) if row_reasons else set()
    usable = clean[~clean.index.isin(rejected)]
    repeated = usable[usable["model_id"].duplicated(keep=False)]
    if len(repeated):
        completeness = repeated[list(NUMBERS.values())].notna().sum(axis=1)
        ordered = repeated.assign(
            _c=-completeness,
            _d=-repeated["publication_date"].astype("int64"),
            _v=["\x1f".join(map(str, r)) for r in repeated.itertuples(index=False)],
            _r=repeated.index,
        )
        ordered = ordered.sort_values(["_c", "_d", "_v", "_r"])
        losers = ordered[ordered["model_id"].duplicated(keep="first")]
        reject_rows(
            clean.index.to_series().isin(losers.index),
            "duplicate model: another row with model_id '"
            + clean["model_id"].astype(str)
            + "' is more complete (or equal and first by value) and is kept",
        )
    reasons = pd.concat(row_reasons) if row_reasons else pd.DataFrame(columns=["row", "reason"])
    cell_table = pd.concat(cells) if cells else pd.DataFrame(columns=["row", "field", "reason"])
    rejected_numbers = np.sort(reasons["row"].unique())
    lap("duplicates")

    columns = list(raw.columns)
    raw_rejected = raw.loc[rejected_numbers]
    rejected_rows = pd.DataFrame(
        {
            "source": SOURCE,
            "source_version": version,
            "row_number": rejected_numbers,
            "reasons": reasons.groupby("row")["reason"].agg(list).reindex(rejected_numbers).to_numpy(),
            "raw_row": [
                json.dumps(dict(zip(columns, record)), ensure_ascii=False)
                for record in raw_rejected.itertuples(index=False, name=None)
            ],
        }
    )
    headers = {column: header for header, column in {**NUMBERS, FLAG[0]: FLAG[1]}.items()}
    kept_cells = cell_table[~cell_table["row"].isin(rejected_numbers)].copy()
    kept_cells["source_column"] = kept_cells["field"].map(headers)
    kept_cells["raw_value"] = [
        raw.at[row, header] for row, header in zip(kept_cells["row"], kept_cells["source_column"])
    ]
    for column in set(kept_cells["field"]):  # a rejected cell is null in the clean row
        clean.loc[kept_cells.loc[kept_cells["field"] == column, "row"], column] = None
    clean_rows = clean.drop(index=rejected_numbers).assign(
        source=SOURCE, source_version=version, source_row_number=lambda f: f.index
    )
    clean_rows = clean_rows.sort_values("model_id").astype({"publication_date": pd.ArrowDtype(pa.date32())})
    lap("quarantine")
    clean_rows.to_parquet(write_dir / "clean.parquet")
    rejected_rows.to_parquet(write_dir / "rejected_rows.parquet")
    kept_cells.sort_values("row", kind="stable").to_parquet(write_dir / "rejected_cells.parquet")
    lap("write clean")
    return {
        "stages": {name: {"seconds": times[name], "cpu_seconds": cpu[name]} for name in times},
        "total_seconds": sum(times.values()),
        "total_cpu_seconds": sum(cpu.values()),
        "raw_rows": int(len(raw)),
        "raw_columns": int(raw.shape[1]),
        "clean_rows": int(len(clean_rows)),
        "rejected_rows": int(len(rejected_rows)),
        "rejected_cells": int(len(kept_cells)),
        "pandas": pd.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, required=True)
    parser.add_argument("--sha256", help="the manifest's checksum of --csv (checked first)")
    parser.add_argument("--snapshot-date", default="2026-07-19")
    parser.add_argument("--version", default="2026-07-19", help="the snapshot's version (source_version)")
    parser.add_argument(
        "--write-dir", type=Path, help="where the Parquet files go (default: a temporary folder, removed)"
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pandas-same-work-") as scratch:
        write_dir = args.write_dir or Path(scratch)
        write_dir.mkdir(parents=True, exist_ok=True)
        result = finished("pandas_same_work", run(args.csv, args.sha256, args.snapshot_date, write_dir, args.version))
    write_result(args.out, result)
    stages = ", ".join(f"{k} {v['seconds']:.2f}s ({v['cpu_seconds']:.2f} CPU-s)" for k, v in result["stages"].items())
    print(
        f"pandas same work: {stages}; {result['clean_rows']:,} clean, {result['rejected_rows']:,} rejected rows, "
        f"{result['rejected_cells']:,} rejected cells; peak RSS {result['peak_rss_bytes'] / 2**20:,.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
