"""The curated layer: analysts' own corrections, new runs and alternative estimates, with citations.

Files live in ``sources/curated/`` and are edited by hand; source snapshots are never touched.

- ``sources/curated/*.csv`` — corrections and new runs that apply to the published tables.
- ``sources/curated/scenarios/<name>.csv`` — alternative estimates (e.g. the seed post's own
  figures): fitted and projected as the scenario ``<name>`` beside the baseline, never applied to it.

Each row sets one or more fields of one model::

    action,model_id,model,publication_date,training_compute_flop,...,citation,note,author,date
    correct,gpt-4-mar-2023,,,2.1e25 FLOP,...,https://...,paper's own figure,ana,2026-08-01

``action`` is ``correct`` (the model must exist: by ``model_id`` or exact ``model`` name) or
``add`` (a run the source does not have yet; needs ``model`` and ``publication_date``). Numbers carry
their unit in the cell (``1e26 FLOP``, ``1e8 USD``, ``15e12 tokens``, ``405e9 parameters``,
``25 MW``): a bare number is refused, so nobody enters kW where W was meant.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.lib.parsing import slug

BASELINE = "baseline"
META_COLUMNS = ("action", "model_id", "model", "citation", "note", "author", "date")
# field -> (kind, {unit spelling: factor to our unit})
FIELDS: dict[str, tuple[str, dict[str, float]]] = {
    "publication_date": ("date", {}),
    "organization": ("text", {}),
    "country": ("text", {}),
    "domain": ("text", {}),
    "training_compute_flop": ("number", {"flop": 1.0, "flops": 1.0}),
    "training_cost_usd": ("number", {"usd": 1.0, "$": 1.0, "usd (2023)": 1.0}),
    "training_tokens": ("number", {"tokens": 1.0, "token": 1.0}),
    "parameters": ("number", {"parameters": 1.0, "params": 1.0}),
    "training_power_w": ("number", {"w": 1.0, "kw": 1e3, "mw": 1e6, "gw": 1e9}),
}
NUMBER_WITH_UNIT = re.compile(r"^\s*(\$)?\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z$][A-Za-z ()$0-9]*)?\s*$")
CURATED_SCHEMA = {
    "estimates": pl.String, "action": pl.String, "model_id": pl.String, "model": pl.String, "field": pl.String,
    "value_number": pl.Float64, "value_text": pl.String, "value_date": pl.Date, "value_as_written": pl.String,
    "citation": pl.String, "note": pl.String, "author": pl.String, "curated_date": pl.Date,
    "file": pl.String, "line": pl.Int64,
}


class CuratedError(ValueError):
    """Every problem found, one per line, each naming file, line and field."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s) in the curated files:\n" + "\n".join(f"  {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class CuratedFile:
    path: Path
    estimates: str  # BASELINE or the scenario's name


def curated_files(curated_dir: Path) -> list[CuratedFile]:
    if not curated_dir.is_dir():
        return []
    files = [CuratedFile(p, BASELINE) for p in sorted(curated_dir.glob("*.csv"))]
    scenarios = curated_dir / "scenarios"
    if scenarios.is_dir():
        files += [CuratedFile(p, p.stem) for p in sorted(scenarios.glob("*.csv"))]
    return files


def _parse_value(field: str, text: str) -> tuple[float | None, str | None, dt.date | None, str | None]:
    """(number, text, date, problem) for one cell."""
    kind, units = FIELDS[field]
    if kind == "text":
        return None, text, None, None
    if kind == "date":
        try:
            return None, None, dt.date.fromisoformat(text), None
        except ValueError:
            return None, None, None, f"cannot read {text!r} as a date (YYYY-MM-DD)"
    match = NUMBER_WITH_UNIT.match(text)
    if not match:
        return None, None, None, f"cannot read {text!r} as a number with a unit (e.g. '1e26 FLOP')"
    dollar, number, unit = match.group(1), float(match.group(2)), (match.group(3) or "").strip().lower()
    if dollar and not unit:
        unit = "$"
    if not unit:
        return None, None, None, f"{text!r} has no unit; write it as '{text} {next(iter(units)).upper()}' (accepted: {', '.join(units)})"
    if unit not in units:
        return None, None, None, f"unit {unit!r} does not fit {field} (accepted: {', '.join(units)})"
    if number < 0:
        return None, None, None, f"{text!r} is negative"
    return number * units[unit], None, None, None


def load_curated(curated_dir: Path, known_models: dict[str, str], *, display_root: Path | None = None) -> pl.DataFrame:
    """Validate every curated file and return one row per (file row, field set), in file order.

    known_models maps model_id -> model name of the clean source. Raises CuratedError listing every
    problem (file, line, field) so an analyst fixes them all in one pass.
    """
    by_name = {name: model_id for model_id, name in known_models.items()}
    problems: list[str] = []
    rows: list[dict] = []
    for curated in curated_files(curated_dir):
        shown = curated.path.relative_to(display_root) if display_root and curated.path.is_relative_to(display_root) else curated.path
        text = curated.path.read_text(encoding="utf-8-sig")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        unknown = [c for c in header if c not in META_COLUMNS and c not in FIELDS]
        for column in unknown:
            problems.append(f"{shown}: line 1, column {column!r}: unknown column (fields: {', '.join(FIELDS)}; "
                            f"other columns: {', '.join(META_COLUMNS)})")
        missing = [c for c in ("action", "citation") if c not in header]
        for column in missing:
            problems.append(f"{shown}: line 1: required column {column!r} is missing")
        if unknown or missing:
            continue
        added_here: set[str] = set()
        for record in reader:
            line = reader.line_num
            where = f"{shown}: line {line}"
            action = (record.get("action") or "").strip()
            model_id = (record.get("model_id") or "").strip()
            model = (record.get("model") or "").strip()
            citation = (record.get("citation") or "").strip()
            if action not in ("correct", "add"):
                problems.append(f"{where}, field 'action': {action!r} must be 'correct' or 'add'")
                continue
            if not citation:
                problems.append(f"{where}, field 'citation': every curated row needs a citation (URL or reference)")
            if action == "correct":
                if not model_id and model:
                    model_id = by_name.get(model, "")
                if model_id not in known_models:
                    problems.append(f"{where}, field '{'model_id' if record.get('model_id') else 'model'}': unknown model "
                                    f"{(record.get('model_id') or model)!r} for a correction (use a model_id of marts.training_runs, or action 'add')")
                    continue
                model = known_models[model_id]
            else:
                if not model:
                    problems.append(f"{where}, field 'model': a new run needs a model name")
                    continue
                model_id = model_id or slug(model)
                if not (record.get("publication_date") or "").strip():
                    problems.append(f"{where}, field 'publication_date': a new run needs a publication date")
                added_here.add(model_id)
            curated_date = None
            if (record.get("date") or "").strip():
                try:
                    curated_date = dt.date.fromisoformat(record["date"].strip())
                except ValueError:
                    problems.append(f"{where}, field 'date': cannot read {record['date']!r} as a date (YYYY-MM-DD)")
            set_fields = [f for f in FIELDS if (record.get(f) or "").strip()]
            if not set_fields:
                problems.append(f"{where}: the row sets no field ({', '.join(FIELDS)})")
            for field in set_fields:
                number, value_text, value_date, problem = _parse_value(field, record[field].strip())
                if problem:
                    problems.append(f"{where}, field {field!r}: {problem}")
                    continue
                rows.append({
                    "estimates": curated.estimates, "action": action, "model_id": model_id, "model": model, "field": field,
                    "value_number": number, "value_text": value_text, "value_date": value_date,
                    "value_as_written": record[field].strip(), "citation": citation,
                    "note": (record.get("note") or "").strip() or None, "author": (record.get("author") or "").strip() or None,
                    "curated_date": curated_date, "file": str(shown), "line": line,
                })
    if problems:
        raise CuratedError(problems)
    return pl.DataFrame(rows, schema=CURATED_SCHEMA)


PROVENANCE_SCHEMA = {
    "estimates": pl.String, "model_id": pl.String, "model": pl.String, "field": pl.String, "status": pl.String,
    "source_value": pl.String, "curated_value": pl.String, "citation": pl.String, "note": pl.String,
    "author": pl.String, "curated_date": pl.Date, "file": pl.String, "line": pl.Int64,
}


def _as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _curated_value(row: dict):
    field_kind = FIELDS[row["field"]][0]
    return {"number": row["value_number"], "text": row["value_text"], "date": row["value_date"]}[field_kind]


def apply_curated(runs: pl.DataFrame, curated: pl.DataFrame, estimates: str = BASELINE) -> tuple[pl.DataFrame, pl.DataFrame]:
    """runs (one row per model_id, the columns of staging.notable_models) with the curated rows of
    `estimates` applied: corrections overwrite fields, new runs are appended, and a new run that the
    source already has is applied as a correction and reported as 'agreement' or 'conflict'.

    Returns (runs, provenance); provenance has one row per field a curated value set.
    """
    chosen = curated.filter(pl.col("estimates") == estimates)
    clashes = chosen.group_by("model_id", "field").agg(pl.col("value_as_written").n_unique().alias("n"),
                                                       pl.col("file"), pl.col("line")).filter(pl.col("n") > 1)
    if clashes.height:
        problems = [f"{f[0]}: line {l[0]} and {f[1]}: line {l[1]}, field {field!r}: two different values for {model_id!r}"
                    for model_id, field, _, f, l in clashes.sort("model_id", "field").iter_rows()]
        raise CuratedError(problems)
    # Only the runs a curated row touches go through Python dicts; the rest are kept as they are.
    if chosen.height:
        touched = runs.filter(pl.col("model_id").is_in(chosen["model_id"].unique().implode()))
        untouched = runs.filter(~pl.col("model_id").is_in(chosen["model_id"].unique().implode()))
    else:  # nothing to apply: no copy of every run
        touched, untouched = runs.clear(), runs
    existing = {row["model_id"]: row for row in touched.iter_rows(named=True)}
    updated = {k: dict(v) for k, v in existing.items()}
    provenance = []
    for row in chosen.iter_rows(named=True):
        model_id, field = row["model_id"], row["field"]
        value = _curated_value(row)
        if model_id in existing:
            before = existing[model_id].get(field)
            if row["action"] == "correct":
                status = "override"
            else:
                status = "agreement" if before == value else "conflict"
        else:
            before, status = None, "new_run"
            updated.setdefault(model_id, {c: None for c in runs.columns} | {
                "model_id": model_id, "model": row["model"], "source": "curated",
                "source_version": row["file"], "source_row_number": row["line"], "is_epoch_frontier": False,
            })
        updated[model_id][field] = value
        if field == "publication_date":
            updated[model_id]["publication_date_precision"] = "day"
        provenance.append({
            "estimates": estimates, "model_id": model_id, "model": row["model"], "field": field, "status": status,
            "source_value": _as_text(before), "curated_value": _as_text(value), "citation": row["citation"],
            "note": row["note"], "author": row["author"], "curated_date": row["curated_date"],
            "file": row["file"], "line": row["line"],
        })
    changed = pl.DataFrame(list(updated.values()), schema=runs.schema, orient="row") if updated else runs.clear()
    frame = _refresh_derived(pl.concat([untouched, changed]) if changed.height else untouched).sort("model_id")
    return frame, pl.DataFrame(provenance, schema=PROVENANCE_SCHEMA).sort("estimates", "model_id", "field")


def _refresh_derived(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns computed from curated fields: the time axis and the language-model flag."""
    from pipelines.lib.parsing import year_fraction

    columns = frame.columns
    updates = []
    if "publication_year_fraction" in columns:
        updates.append(year_fraction(pl.col("publication_date"), pl.col("publication_date_precision")).alias("publication_year_fraction"))
    if "is_language_model" in columns:
        updates.append(pl.col("domain").str.split(",").list.contains("Language").fill_null(False).alias("is_language_model"))
    return frame.with_columns(updates) if updates else frame


def frontier_flags(runs: pl.DataFrame, top: int = 10) -> pl.DataFrame:
    """compute_rank_at_release, is_frontier and is_large_scale recomputed with the rule of
    intermediate/compute_rank_at_release.sql, for scenario estimates that change compute values."""
    from pipelines.lib.ranking import rank_at_date

    rank = rank_at_date(runs, "training_compute_flop", "publication_date", "model_id").alias("compute_rank_at_release")
    return runs.with_columns(rank).with_columns(
        (pl.col("compute_rank_at_release") <= top).fill_null(False).alias("is_frontier"),
        (pl.col("training_compute_flop") >= 1e23).fill_null(False).alias("is_large_scale"),
    )
