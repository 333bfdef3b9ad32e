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
import functools
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.lib.curated_fields import FIELDS, META_COLUMNS
from pipelines.lib.parsing import slug
from pipelines.lib.settings import DEFAULTS, Settings

# The citation and authorship of a curated value and the line of the file it came from: the last
# columns of the curated rows and of marts.value_provenance alike.
WHO_AND_WHERE = {
    "citation": pl.String,
    "note": pl.String,
    "author": pl.String,
    "curated_date": pl.Date,
    "file": pl.String,
    "line": pl.Int64,
}

BASELINE = "baseline"
CURATED_SCHEMA = {
    "estimates": pl.String,
    "action": pl.String,
    "model_id": pl.String,
    "model": pl.String,
    "field": pl.String,
    "value_number": pl.Float64,
    "value_text": pl.String,
    "value_date": pl.Date,
    "value_as_written": pl.String,
    **WHO_AND_WHERE,
}
MAIN_SOURCE = "epoch_notable_models"
SCENARIO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
MAX_CELL_CHARS = 10_000  # a citation or a note is a line, not a document: longer cells are refused
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURRENCY_PREFIX = re.compile(r"^(?:US)?\$\s*")
_UNKNOWN_UNIT = re.compile(r"(?<=[\d.\s])([A-Za-z%][A-Za-z%/ ]*(?:\(\d{4}\))?)\s*$")
# C0 controls and DEL: an ANSI escape or a NUL in a curated cell would reach marts, exports and
# terminals. A note may span lines and hold tabs; no other cell may.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOTE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_UTF8 = re.compile(r"[\udc80-\udcff]")  # bytes that were not UTF-8, kept by surrogateescape


class CuratedError(ValueError):
    """Every problem found, one per line, each naming file, line and field."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s) in the curated files:\n" + "\n".join(f"  {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class CuratedFile:
    path: Path
    estimates: str  # BASELINE or the scenario's name

    @property
    def is_scenario(self) -> bool:
        """Whether the file is a scenario (under sources/curated/scenarios/) rather than corrections."""
        return self.path.parent.name == "scenarios"


def scenario_name_problem(name: str) -> str | None:
    """Why `name` cannot be a scenario, or None. 'baseline' would shadow the published estimates."""
    if name.lower() == BASELINE:
        return (
            f"a scenario may not be named {name!r}: that is the name of the published estimates, and a "
            "scenario is never applied to them; rename the file (e.g. my_baseline.csv)"
        )
    if not SCENARIO_NAME.fullmatch(name):
        return f"scenario name {name!r} must be letters, digits, '_' or '-' (starting with a letter or digit)"
    return None


def curated_files(curated_dir: Path) -> list[CuratedFile]:
    """The curated CSV files, baseline first; links are listed too and refused when read."""
    if not curated_dir.is_dir():
        return []
    files = [CuratedFile(p, BASELINE) for p in sorted(curated_dir.glob("*.csv"))]
    scenarios = curated_dir / "scenarios"
    if scenarios.is_dir():
        files += [CuratedFile(p, p.stem) for p in sorted(scenarios.glob("*.csv"))]
    return files


@functools.cache
def field_ranges(snapshot_date: dt.date) -> dict[str, tuple]:
    """(min, max, why) of each curated field: the bounds the source's own suite holds clean values
    to (pipelines/lib/suites.py), so a curated value passes exactly the checks a source value does."""
    from pipelines.lib.suites import notable_models_suite

    ranges = {}
    for expectation in notable_models_suite(snapshot_date).expectations:
        if expectation.kind == "ExpectColumnValuesToBeBetween" and expectation.kwargs["column"] in FIELDS:
            kwargs = expectation.kwargs
            ranges[kwargs["column"]] = (kwargs.get("min_value"), kwargs.get("max_value"), expectation.why)
    return ranges


def main_snapshot_date(sources_dir: Path) -> dt.date | None:
    """The retrieval date of the newest main-source snapshot, or None when there is none to read."""
    from pipelines.lib.sources import SourceError, load_snapshot

    try:
        return dt.date.fromisoformat(load_snapshot(sources_dir, MAIN_SOURCE).retrieved)
    except (SourceError, OSError, ValueError, KeyError, TypeError):
        return None


def _source_number(text: str, field: str) -> tuple[float | None, str | None]:
    """The number in front of the unit, read by the parser source cells go through (parsing.py):
    the same spellings, NaN and infinities refused."""
    from pipelines.lib.parsing import number_struct

    result = pl.select(number_struct(pl.lit(text, dtype=pl.String), field, min_value=0).alias("r")).row(0)[0]
    problem = result["problem"]
    if problem:
        return None, problem.removeprefix(f"{field}: ")
    return result["value"], None


def _parse_number(field: str, text: str, units: dict[str, float]) -> tuple[float | None, str | None]:
    body = text.strip()
    currency = _CURRENCY_PREFIX.match(body)
    if currency:
        body = body[currency.end() :]
    unit = None
    for spelling in sorted((u for u in units if u != "$"), key=len, reverse=True):
        if body.lower().endswith(spelling):
            unit, body = spelling, body[: len(body) - len(spelling)].strip()
            break
    if unit is None:
        stray = _UNKNOWN_UNIT.search(body)
        if stray:
            return None, f"unit {stray.group(1).strip().lower()!r} does not fit {field} (accepted: {', '.join(units)})"
        if currency and "$" in units:
            unit = "$"
        else:
            return None, (
                f"{text!r} has no unit; write it as '{text} {next(iter(units)).upper()}' (accepted: {', '.join(units)})"
            )
    number, problem = _source_number(body, field)
    if problem:
        return None, f"cannot read {text!r} as a number with a unit (e.g. '1e26 FLOP'): {problem}"
    value = number * units[unit]
    low, high, why = field_ranges(dt.date.max)[field]
    if not math.isfinite(value):
        return None, f"{text!r} is not a finite number once converted to {field}"
    if value <= 0:
        return None, f"{text!r} is not a positive quantity ({value:g} after conversion; zero and underflow are refused)"
    if (low is not None and value < low) or (high is not None and value > high):
        return None, f"{text!r} = {value:g} is outside {low:g}..{high:g} for {field} ({why})"
    return value, None


def _parse_value(
    field: str, text: str, snapshot_date: dt.date
) -> tuple[float | None, str | None, dt.date | None, str | None]:
    """(number, text, date, problem) for one cell."""
    kind, units = FIELDS[field]
    if kind in ("text", "list"):
        return None, text, None, None
    if kind == "date":
        try:
            if not _ISO_DAY.fullmatch(text):
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
        except ValueError:
            return None, None, None, f"cannot read {text!r} as a date (YYYY-MM-DD)"
        low, high, why = field_ranges(snapshot_date)[field]
        if day > high:
            return None, None, None, f"{text} is after the snapshot date {high.isoformat()} ({why})"
        if day < low:
            return None, None, None, f"{text} is before {low.isoformat()}"
        return None, None, day, None
    number, problem = _parse_number(field, text, units)
    return number, None, None, problem


class _LineCounter:
    """The lines the csv module reads, remembering where each record starts (csv's line_num is
    where it ends, which for a quoted value spanning lines is not the line an editor shows first)."""

    def __init__(self, text: str):
        self._lines = io.StringIO(text, newline="")
        self._number = 0
        self._start: int | None = None

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._number += 1
        if self._start is None and line.strip("\r\n"):
            self._start = self._number
        return line

    def record_start(self) -> int:
        start, self._start = (self._start or self._number), None
        return start


def _longest_field(text: str, line: int, header: list[str]) -> str:
    """The column of the first over-long cell of the record at physical `line` (the csv module only
    says that some field exceeded its limit)."""
    rest = "".join(text.splitlines(keepends=True)[line - 1 :])
    index, length, quoted, i = 0, 0, False, 0
    while i < len(rest):
        char = rest[i]
        if quoted:
            if char == '"' and rest[i + 1 : i + 2] == '"':
                i += 1
            elif char == '"':
                quoted = False
            length += 1
        elif char == '"':
            quoted = True
        elif char == ",":
            index, length = index + 1, 0
        elif char in "\r\n":
            break
        else:
            length += 1
        if length > MAX_CELL_CHARS:
            return repr(header[index]) if index < len(header) else f"#{index + 1} (beyond the header)"
        i += 1
    return "?"


def _read_file(curated: CuratedFile, shown: Path, replacement: str | None) -> tuple[str | None, str | None]:
    """(text, problem): the file decoded, bytes that are not UTF-8 kept as surrogates so the cell
    holding them can be named; links, folders and unreadable files are a problem, never followed."""
    from pipelines.lib.safe_files import UnsafePath, read_bytes_no_follow, refuse_symlink

    if replacement is not None:
        return replacement, None
    try:
        refuse_symlink(curated.path.parent, "curated folders")
        data = read_bytes_no_follow(curated.path, what="curated files")
    except UnsafePath as exc:
        return None, f"{shown}: {str(exc).replace(str(curated.path), '').strip()}"
    except OSError as exc:
        return None, f"{shown}: cannot read the file ({exc.strerror or exc})"
    return data.decode("utf-8-sig", errors="surrogateescape"), None


def _cell_problem(column: str, value: str) -> str | None:
    bad = _NOT_UTF8.search(value)
    if bad:
        return f"byte 0x{ord(bad.group()) - 0xDC00:02x} is not UTF-8; save the file as UTF-8"
    if len(value) > MAX_CELL_CHARS:
        return f"the cell holds {len(value):,} characters (at most {MAX_CELL_CHARS:,})"
    control = (_NOTE_CONTROL if column == "note" else _CONTROL).search(value)
    if control:
        return f"contains the control character {control.group()!r}; curated cells are plain text"
    return None


def load_curated(
    curated_dir: Path,
    known_models: dict[str, str],
    *,
    display_root: Path | None = None,
    snapshot_date: dt.date | None = None,
    replacements: dict[Path, str] | None = None,
) -> pl.DataFrame:
    """Validate every curated file and return one row per (file row, field set), in file order.

    known_models maps model_id -> model name of the clean source. snapshot_date bounds publication
    dates (default: the newest main-source snapshot under curated_dir's parent, else today, UTC).
    replacements validates a file's new text before it is written (path -> text; the path may not
    exist yet). Raises CuratedError listing every problem (file, line, field) so an analyst fixes
    them all in one pass.
    """
    today = dt.datetime.now(dt.UTC).date()
    snapshot_date = snapshot_date or main_snapshot_date(Path(curated_dir).parent) or today
    replacements = {Path(p): text for p, text in (replacements or {}).items()}
    by_name = {name: model_id for model_id, name in known_models.items()}
    problems: list[str] = []
    rows: list[dict] = []
    files = curated_files(curated_dir)
    listed = {f.path for f in files}
    for path in replacements:
        if path not in listed:
            files.append(CuratedFile(path, BASELINE if path.parent == Path(curated_dir) else path.stem))
    for curated in files:
        shown = (
            curated.path.relative_to(display_root)
            if display_root and curated.path.is_relative_to(display_root)
            else curated.path
        )
        if curated.is_scenario:
            problem = scenario_name_problem(curated.estimates)
            if problem:
                problems.append(f"{shown}: {problem}")
                continue
        text, problem = _read_file(curated, shown, replacements.get(curated.path))
        if problem:
            problems.append(problem)
            continue
        lines = _LineCounter(text)
        reader = csv.DictReader(lines)
        try:
            header = reader.fieldnames or []
            lines.record_start()  # the header's line is not the first record's
        except csv.Error as exc:
            problems.append(f"{shown}: line 1: the header is not readable CSV ({exc})")
            continue
        header_problems = _header_problems(header, shown)
        if header_problems:
            problems += header_problems
            continue
        try:
            for record in reader:
                rows += _record_values(
                    record,
                    lines.record_start(),
                    header,
                    shown,
                    curated.estimates,
                    known_models,
                    by_name,
                    snapshot_date,
                    today,
                    problems,
                )
        except csv.Error as exc:
            line = lines.record_start()
            if "field larger" in str(exc):
                problems.append(
                    f"{shown}: line {line}, field {_longest_field(text, line, header)}: a cell longer than "
                    f"{csv.field_size_limit():,} characters (at most {MAX_CELL_CHARS:,}); the rest of the file was not read"
                )
            else:
                problems.append(f"{shown}: line {line}: not readable CSV ({exc}); the rest of the file was not read")
    values = pl.DataFrame(rows, schema=CURATED_SCHEMA)
    problems += _conflicts(values)
    if problems:
        raise CuratedError(problems)
    return values


def _header_problems(header: list[str], shown: Path) -> list[str]:
    problems = []
    for column in header:
        problem = _cell_problem("header", column)
        if problem:
            problems.append(f"{shown}: line 1, column {column!r}: {problem}")
    seen: set[str] = set()
    for column in header:
        if column in seen:
            problems.append(
                f"{shown}: line 1, column {column!r}: the column appears twice; one file row must say one "
                "value per field"
            )
        seen.add(column)
    for column in dict.fromkeys(c for c in header if c not in META_COLUMNS and c not in FIELDS):
        problems.append(
            f"{shown}: line 1, column {column!r}: unknown column (fields: {', '.join(FIELDS)}; "
            f"other columns: {', '.join(META_COLUMNS)})"
        )
    for column in ("action", "citation"):
        if column not in header:
            problems.append(f"{shown}: line 1: required column {column!r} is missing")
    return problems


def _record_values(
    record: dict,
    line: int,
    header: list[str],
    shown: Path,
    estimates: str,
    known_models: dict[str, str],
    by_name: dict[str, str],
    snapshot_date: dt.date,
    today: dt.date,
    problems: list[str],
) -> list[dict]:
    """The curated values of one file row; its problems are appended to `problems`."""
    where = f"{shown}: line {line}"
    extra = record.pop(None, None)
    if extra:
        problems.append(
            f"{where}: {len(extra)} field(s) after the last column {header[-1]!r}; the header has "
            f"{len(header)} columns (a comma inside a value needs quotes)"
        )
        return []
    before = len(problems)
    for column in header:
        problem = _cell_problem(column, record.get(column) or "")
        if problem:
            problems.append(f"{where}, field {column!r}: {problem}")
    if len(problems) > before:
        return []
    action = (record.get("action") or "").strip()
    model_id = (record.get("model_id") or "").strip()
    model = (record.get("model") or "").strip()
    citation = (record.get("citation") or "").strip()
    if action not in ("correct", "add"):
        problems.append(f"{where}, field 'action': {action!r} must be 'correct' or 'add'")
        return []
    if not citation:
        problems.append(f"{where}, field 'citation': every curated row needs a citation (URL or reference)")
    if action == "correct":
        if not model_id and model:
            model_id = by_name.get(model, "")
        if model_id not in known_models:
            problems.append(
                f"{where}, field '{'model_id' if record.get('model_id') else 'model'}': unknown model "
                f"{(record.get('model_id') or model)!r} for a correction (use a model_id of marts.training_runs, or action 'add')"
            )
            return []
        model = known_models[model_id]
    else:
        if not model:
            problems.append(f"{where}, field 'model': a new run needs a model name")
            return []
        model_id = model_id or slug(model)
        if not (record.get("publication_date") or "").strip():
            problems.append(f"{where}, field 'publication_date': a new run needs a publication date")
    curated_date = None
    entered = (record.get("date") or "").strip()
    if entered:
        try:
            if not _ISO_DAY.fullmatch(entered):
                raise ValueError(entered)
            curated_date = dt.date.fromisoformat(entered)
        except ValueError:
            problems.append(f"{where}, field 'date': cannot read {entered!r} as a date (YYYY-MM-DD)")
        else:
            if curated_date > today:
                problems.append(
                    f"{where}, field 'date': {entered} is in the future (today is {today.isoformat()}, UTC)"
                )
                curated_date = None
    set_fields = [f for f in FIELDS if (record.get(f) or "").strip()]
    if not set_fields:
        problems.append(f"{where}: the row sets no field ({', '.join(FIELDS)})")
    values = []
    for field in set_fields:
        number, value_text, value_date, problem = _parse_value(field, record[field].strip(), snapshot_date)
        if problem:
            problems.append(f"{where}, field {field!r}: {problem}")
            continue
        values.append(
            {
                "estimates": estimates,
                "action": action,
                "model_id": model_id,
                "model": model,
                "field": field,
                "value_number": number,
                "value_text": value_text,
                "value_date": value_date,
                "value_as_written": record[field].strip(),
                "citation": citation,
                "note": (record.get("note") or "").strip() or None,
                "author": (record.get("author") or "").strip() or None,
                "curated_date": curated_date,
                "file": str(shown),
                "line": line,
            }
        )
    return values


def _conflicts(values: pl.DataFrame) -> list[str]:
    """Two rows of one set of estimates that give one field of one model different values: which
    one would win is an accident of file order, so both are refused."""
    if values.height < 2:
        return []
    keyed = values.with_columns(
        pl.coalesce(
            pl.col("value_number").cast(pl.String), pl.col("value_text"), pl.col("value_date").cast(pl.String)
        ).alias("_value")
    )
    clashes = (
        keyed.group_by("estimates", "model_id", "field")
        .agg(pl.col("_value").n_unique().alias("n"), pl.col("file"), pl.col("line"), pl.col("value_as_written"))
        .filter(pl.col("n") > 1)
        .sort("estimates", "model_id", "field")
    )
    problems = []
    for estimates, model_id, field, _, files, lines, written in clashes.iter_rows():
        places = " and ".join(f"{file}: line {line}" for file, line in zip(files, lines))
        problems.append(
            f"{places}, field {field!r}: two different values for {model_id!r} "
            f"({' vs '.join(repr(w) for w in dict.fromkeys(written))})"
            f"{'' if estimates == BASELINE else f' in scenario {estimates!r}'}; keep one"
        )
    return problems


PROVENANCE_SCHEMA = {
    "estimates": pl.String,
    "model_id": pl.String,
    "model": pl.String,
    "field": pl.String,
    "status": pl.String,
    "source_value": pl.String,
    "curated_value": pl.String,
    **WHO_AND_WHERE,
}


def _as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def _as_list(text: str | None) -> list[str] | None:
    """'Google, DeepMind,Google' -> ['Google', 'DeepMind'], as the clean step reads a list cell."""
    items = list(dict.fromkeys(item.strip() for item in (text or "").split(",") if item.strip()))
    return items or None


def _curated_value(row: dict):
    field_kind = FIELDS[row["field"]][0]
    if field_kind == "list":
        return _as_list(row["value_text"])
    return {"number": row["value_number"], "text": row["value_text"], "date": row["value_date"]}[field_kind]


def apply_curated(
    runs: pl.DataFrame, curated: pl.DataFrame, estimates: str = BASELINE
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """runs (one row per model_id, the columns of staging.notable_models) with the curated rows of
    `estimates` applied: corrections overwrite fields, new runs are appended, and a new run that the
    source already has is applied as a correction and reported as 'agreement' or 'conflict'.

    Returns (runs, provenance); provenance has one row per field a curated value set.
    """
    chosen = curated.filter(pl.col("estimates") == estimates)
    clashes = (
        chosen.group_by("model_id", "field")
        .agg(pl.col("value_as_written").n_unique().alias("n"), pl.col("file"), pl.col("line"))
        .filter(pl.col("n") > 1)
    )
    if clashes.height:
        problems = [
            f"{f[0]}: line {n[0]} and {f[1]}: line {n[1]}, field {field!r}: two different values for {model_id!r}"
            for model_id, field, _, f, n in clashes.sort("model_id", "field").iter_rows()
        ]
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
            updated.setdefault(
                model_id,
                {c: None for c in runs.columns}
                | {
                    "model_id": model_id,
                    "model": row["model"],
                    "source": "curated",
                    "source_version": row["file"],
                    "source_row_number": row["line"],
                    "is_epoch_frontier": False,
                },
            )
        updated[model_id][field] = value
        if field == "publication_date":
            updated[model_id]["publication_date_precision"] = "day"
        provenance.append(
            {
                "estimates": estimates,
                "model_id": model_id,
                "model": row["model"],
                "field": field,
                "status": status,
                "source_value": _as_text(before),
                "curated_value": _as_text(value),
                "citation": row["citation"],
                "note": row["note"],
                "author": row["author"],
                "curated_date": row["curated_date"],
                "file": row["file"],
                "line": row["line"],
            }
        )
    changed = pl.DataFrame(list(updated.values()), schema=runs.schema, orient="row") if updated else runs.clear()
    frame = _refresh_derived(pl.concat([untouched, changed]) if changed.height else untouched).sort("model_id")
    return frame, pl.DataFrame(provenance, schema=PROVENANCE_SCHEMA).sort("estimates", "model_id", "field")


def _refresh_derived(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns computed from curated fields: the time axis and the language-model flag."""
    from pipelines.lib.parsing import year_fraction

    columns = frame.columns
    updates = []
    if "publication_year_fraction" in columns:
        updates.append(
            year_fraction(pl.col("publication_date"), pl.col("publication_date_precision")).alias(
                "publication_year_fraction"
            )
        )
    if "is_language_model" in columns:
        updates.append(pl.col("domain").list.contains("Language").fill_null(False).alias("is_language_model"))
    return frame.with_columns(updates) if updates else frame


FLAG_COLUMNS = ("compute_rank_at_release", "is_frontier", "is_large_scale")


def frontier_flags(runs: pl.DataFrame, settings: Settings = DEFAULTS, sql_dir: Path | None = None) -> pl.DataFrame:
    """compute_rank_at_release, is_frontier and is_large_scale recomputed for scenario estimates that
    change compute values, by running marts/training_runs.sql itself on the frame (as its input
    intermediate.notable_models_curated), so a scenario follows the warehouse's rule exactly.
    ``runs`` needs every column that model reads; its other columns and its row order are kept."""
    from pipelines.lib.column_docs import default_sql_dir
    from pipelines.lib.sql_graph import read_model
    from pipelines.lib.sql_runner import select_model

    model = read_model(sql_dir or default_sql_dir(), "marts.training_runs")
    inputs = {"intermediate.notable_models_curated": runs.drop(FLAG_COLUMNS, strict=False)}
    flags = select_model(model, inputs, settings).select("model_id", *FLAG_COLUMNS)
    order = runs.columns if all(c in runs.columns for c in FLAG_COLUMNS) else [*runs.columns, *FLAG_COLUMNS]
    return (
        runs.drop(FLAG_COLUMNS, strict=False)
        .join(flags, on="model_id", how="left", maintain_order="left")
        .select(list(dict.fromkeys(order)))
    )
