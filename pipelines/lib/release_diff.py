"""What changed in the data we use between two snapshot versions of a source (``flopcast diff``).

Both versions go through exactly the code the build runs (checksum verification,
``read_text_table``, the build's clean stage through ``stages.clean_frame`` with each snapshot's own
retrieved date), and only typed clean values are compared. Formatting noise in the CSV (``3.14e+23`` vs
``314000000000000000000000.0``, trailing spaces in a name, float32 artefacts) therefore never shows
up as a change.

Rows are matched by the clean table's key (``model_id`` for the main source). Each key is, in each
version, *clean* (a row in the clean table), *quarantined* (only rejected rows) or *absent*:

- absent -> clean: ``added``.
- clean -> absent: ``removed``.
- quarantined -> absent: ``removed``, old_value = the old quarantine reasons.
- clean -> clean: ``changed``, one row per differing column with old_value and new_value.
- absent or clean -> quarantined: ``quarantined``, new_value = the new reasons ('; '-joined);
  old_row_number is set when the row used to be clean.
- quarantined -> clean: ``unquarantined``, old_value = the old reasons.
- quarantined -> quarantined: not reported (reasons carry row numbers and the snapshot date, so
  they would differ between almost any two versions).

Only ``changed`` rows have a ``column``.

A key with a clean row is *clean* even if duplicate rows of it were quarantined (the duplicate
does not change what the build uses). Rejected rows whose key cannot be computed (no readable
model name) have no identity across versions and are not reported.

Values are canonical strings: ``repr`` of floats, ints and booleans (``-0.0`` as ``0.0``), ISO
dates, strings as they are; null stays null. The result is sorted by (change, model_id, column),
so the same two snapshots always give the same table. For sources other than the main one the
``model_id`` column holds the clean table's key ('|'-joined when it has several columns) and
``model`` the first mapped column (the name); their diff columns are all their mapped columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.lib.clean_sources import CLEANING_SPECS
from pipelines.lib.cleaning import CleanContext, CleaningSpec, type_columns
from pipelines.lib.raw import read_text_table
from pipelines.lib.sources import SourceError, list_versions, load_snapshot, verify_snapshot
from pipelines.lib.stages import clean_frame

MAIN_SOURCE = "epoch_notable_models"

# The clean columns of the main source that the marts and the analysis read.
DIFF_COLUMNS: tuple[str, ...] = (
    "training_compute_flop",
    "publication_date",
    "training_cost_usd",
    "training_tokens",
    "training_dataset_size",
    "parameters",
    "training_power_w",
    "model",
    "organization",
)

CHANGES: tuple[str, ...] = ("added", "removed", "changed", "quarantined", "unquarantined")

DIFF_SCHEMA: dict[str, pl.DataType] = {
    "change": pl.String,
    "model_id": pl.String,
    "model": pl.String,
    "column": pl.String,
    "old_value": pl.String,
    "new_value": pl.String,
    "old_version": pl.String,
    "new_version": pl.String,
    "old_row_number": pl.Int64,
    "new_row_number": pl.Int64,
}


def empty_diff() -> pl.DataFrame:
    """A diff with no rows and the columns of marts.release_diff (for a first version)."""
    return pl.DataFrame(schema=DIFF_SCHEMA)


def diff_columns(source: str) -> tuple[str, ...]:
    """The clean columns compared for a source (for other sources: every mapped column that is not
    part of the key; those a derive step replaces, like gpu_clusters' single_cluster, are skipped)."""
    if source == MAIN_SOURCE:
        return DIFF_COLUMNS
    spec = _spec(source)
    return tuple(c.name for c in spec.columns if c.name not in spec.key)


def canonical(value) -> str | None:
    """A typed clean value as a string that is equal exactly when the typed values are equal."""
    if value is None:
        return None
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, float):
        return repr(value + 0.0)  # -0.0 + 0.0 is 0.0: equal values, equal strings
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):  # a list column (organization): a JSON array, equal exactly when the lists are
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _spec(source: str) -> CleaningSpec:
    try:
        return CLEANING_SPECS[source]
    except KeyError:
        raise SourceError(f"unknown source {source!r}; known: {', '.join(CLEANING_SPECS)}") from None


@dataclass(frozen=True)
class _Entry:
    row_number: int
    label: str | None
    values: dict[str, str | None]  # clean rows: column -> canonical value (same columns in every version)
    reasons: str | None  # quarantined keys: the reasons of their first rejected row


@dataclass(frozen=True)
class _Version:
    version: str
    clean: dict[str, _Entry]
    quarantined: dict[str, _Entry]  # keys with no clean row


def _key_expr(spec: CleaningSpec) -> pl.Expr:
    parts = [pl.col(k).cast(pl.String) for k in spec.key]
    return parts[0] if len(parts) == 1 else pl.concat_str(parts, separator="|")


def _load_version(sources_dir: Path, source: str, version: str, as_of: dt.date | None = None) -> _Version:
    spec = _spec(source)
    snapshot = load_snapshot(sources_dir, source, version)
    verify_snapshot(snapshot)
    raw = read_text_table(snapshot.data_path, source=source, version=snapshot.version)
    context = CleanContext(
        source_file=str(snapshot.data_path), snapshot_date=dt.date.fromisoformat(snapshot.retrieved), as_of=as_of
    )
    clean, rejected, _ = clean_frame(raw, spec, context)

    label_column = spec.columns[0].name
    columns = tuple(c for c in diff_columns(source) if c in clean.columns)
    clean_entries: dict[str, _Entry] = {}
    keyed = clean.select(
        _key_expr(spec).alias("_key"), "source_row_number", pl.col(label_column).alias("_label"), *columns
    )
    for row in keyed.iter_rows(named=True):
        clean_entries[row["_key"]] = _Entry(
            row_number=row["source_row_number"],
            label=canonical(row["_label"]),
            values={c: canonical(row[c]) for c in columns},
            reasons=None,
        )

    quarantined: dict[str, _Entry] = {}
    if rejected.height:
        # clean_frame does not return the keys of rejected rows: compute them with the same
        # typing and derive step it runs (the derive step must see every row: duplicates).
        typed = spec.derive(type_columns(raw, spec), context)
        keys = typed.select("source_row_number", _key_expr(spec).alias("_key"), pl.col(label_column).alias("_label"))
        rows = rejected.join(keys, left_on="row_number", right_on="source_row_number", how="left").sort("row_number")
        for row in rows.iter_rows(named=True):
            key = row["_key"]
            if key is None or key in clean_entries or key in quarantined:
                continue
            quarantined[key] = _Entry(row["row_number"], canonical(row["_label"]), {}, "; ".join(row["reasons"]))
    return _Version(snapshot.version, clean_entries, quarantined)


def _compare(old: _Version, new: _Version) -> pl.DataFrame:
    rows: list[dict] = []

    def emit(change, key, label, column=None, old_value=None, new_value=None, old_entry=None, new_entry=None):
        rows.append(
            {
                "change": change,
                "model_id": key,
                "model": label,
                "column": column,
                "old_value": old_value,
                "new_value": new_value,
                "old_version": old.version,
                "new_version": new.version,
                "old_row_number": old_entry.row_number if old_entry else None,
                "new_row_number": new_entry.row_number if new_entry else None,
            }
        )

    keys = set(old.clean) | set(old.quarantined) | set(new.clean) | set(new.quarantined)
    for key in sorted(keys):
        old_clean, old_q = old.clean.get(key), old.quarantined.get(key)
        new_clean, new_q = new.clean.get(key), new.quarantined.get(key)
        old_entry, new_entry = old_clean or old_q, new_clean or new_q
        label = (new_entry or old_entry).label
        if new_clean and old_clean:
            for column in old_clean.values:
                before, after = old_clean.values[column], new_clean.values[column]
                if before != after:
                    emit("changed", key, label, column, before, after, old_clean, new_clean)
        elif new_clean:
            if old_q:
                emit("unquarantined", key, label, old_value=old_q.reasons, old_entry=old_q, new_entry=new_clean)
            else:
                emit("added", key, label, new_entry=new_clean)
        elif new_q:
            if not old_q:
                emit("quarantined", key, label, new_value=new_q.reasons, old_entry=old_clean, new_entry=new_q)
        elif old_clean:
            emit("removed", key, label, old_entry=old_clean)
        else:  # quarantined in old, gone from new
            emit("removed", key, label, old_value=old_q.reasons, old_entry=old_q)
    frame = pl.DataFrame(rows, schema=DIFF_SCHEMA) if rows else empty_diff()
    return frame.sort(["change", "model_id", "column"], nulls_last=False)


def diff_versions(
    sources_dir: Path, old: str, new: str, source: str = MAIN_SOURCE, as_of: dt.date | None = None
) -> pl.DataFrame:
    """Every difference in the clean data of ``source`` between versions ``old`` and ``new``.

    Raises SourceError (unknown source or version, checksum mismatch, unreadable file) and
    cleaning.MissingColumnsError (a version lacks a mapped column), like the build would.
    """
    sources_dir = Path(sources_dir)
    _spec(source)
    return _compare(
        _load_version(sources_dir, source, old, as_of),
        _load_version(sources_dir, source, new, as_of),
    )


def release_diff_for_build(
    sources_dir: Path, used_version: str, source: str = MAIN_SOURCE, as_of: dt.date | None = None
) -> pl.DataFrame:
    """The diff between the version just before ``used_version`` and ``used_version`` (an empty
    table with the same columns when ``used_version`` is the oldest, e.g. the only one); with an
    as-of date, both versions as known then (rows dated later left out, as the build does)."""
    versions = list_versions(Path(sources_dir), source)
    if used_version not in versions:
        raise SourceError(
            f"source {source!r} has no version {used_version!r}; available: {', '.join(versions) or 'none'}"
        )
    position = versions.index(used_version)
    if position == 0:
        return empty_diff()
    return diff_versions(sources_dir, versions[position - 1], used_version, source, as_of)


def summarize_diff(diff: pl.DataFrame) -> dict:
    """{'total': n, 'by_change': {change: n} (every change type, in CHANGES order),
    'by_column': {column: n} (changed rows only, most changed first, then by name)}."""
    by_change = {change: 0 for change in CHANGES}
    for change, count in diff.group_by("change").len().iter_rows():
        by_change[change] = count
    changed = diff.filter(pl.col("change") == "changed").group_by("column").len()
    by_column = dict(sorted(changed.iter_rows(), key=lambda item: (-item[1], item[0])))
    return {"total": diff.height, "by_change": by_change, "by_column": by_column}


def format_summary(summary: dict) -> list[str]:
    """The summary as lines to print."""
    total = summary["total"]
    if total == 0:
        return ["no changes"]
    lines = [
        f"{total} change{'s' if total != 1 else ''}: "
        + ", ".join(f"{change} {count}" for change, count in summary["by_change"].items())
    ]
    if summary["by_column"]:
        lines.append(
            "changed columns: " + ", ".join(f"{column} {count}" for column, count in summary["by_column"].items())
        )
    return lines
