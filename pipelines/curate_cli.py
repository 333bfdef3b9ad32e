"""`flopcast curate check|add`: validate the curated files, or append a cited correction to one."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import sys
from pathlib import Path

from pipelines.lib.curated import FIELDS, META_COLUMNS, CuratedError, load_curated

STANDARD_HEADER = ["action", "model_id", "model", *FIELDS, "citation", "note", "author", "date"]


def known_models(sources_dir: Path) -> dict[str, str]:
    """model_id -> model of the newest main-source snapshot, cleaned exactly as the build does."""
    from pipelines.lib.clean_sources import NOTABLE_MODELS
    from pipelines.lib.cleaning import CleanContext, clean_source
    from pipelines.lib.raw import read_text_table
    from pipelines.lib.sources import load_snapshot, verify_snapshot

    snapshot = load_snapshot(sources_dir, NOTABLE_MODELS.source)
    verify_snapshot(snapshot)
    raw = read_text_table(snapshot.data_path, source=snapshot.source, version=snapshot.version)
    clean, _ = clean_source(raw, NOTABLE_MODELS, CleanContext(str(snapshot.data_path), dt.date.fromisoformat(snapshot.retrieved)))
    return dict(zip(clean["model_id"].to_list(), clean["model"].to_list()))


def _sources_dir(args) -> Path:
    from pipelines.lib.warehouse import sources_dir_option

    return sources_dir_option(args.sources_dir)


def cmd_check(args) -> int:
    sources = _sources_dir(args)
    try:
        values = load_curated(sources / "curated", known_models(sources), display_root=sources.parent)
    except CuratedError as exc:
        print(f"flopcast curate check: {exc}", file=sys.stderr)
        return 1
    sets = values.group_by("estimates").len().sort("estimates")
    summary = ", ".join(f"{name}: {n} value(s)" for name, n in sets.iter_rows()) or "no curated values"
    print(f"curated files are valid ({summary})")
    return 0


def cmd_add(args) -> int:
    sources = _sources_dir(args)
    curated_dir = sources / "curated"
    target = Path(args.file) if args.file else (
        curated_dir / "scenarios" / f"{args.scenario}.csv" if args.scenario else curated_dir / "corrections.csv")
    if not target.is_absolute():
        target = (Path.cwd() / target).resolve()
    if args.field not in FIELDS:
        print(f"flopcast curate add: unknown field {args.field!r}; fields: {', '.join(FIELDS)}", file=sys.stderr)
        return 2
    existing = target.read_text(encoding="utf-8-sig") if target.exists() else ""
    header = next(csv.reader(io.StringIO(existing)), None) or STANDARD_HEADER
    missing = [c for c in (args.field, "publication_date" if args.new_run else None) if c and c not in header]
    if missing:
        print(f"flopcast curate add: {target} has no column {', '.join(missing)}; add it to the header or use --file", file=sys.stderr)
        return 2
    row = {c: "" for c in header}
    row.update({
        "action": "add" if args.new_run else "correct", "model_id": args.model_id or "", "model": args.model or "",
        args.field: args.value, "citation": args.citation, "note": args.note or "", "author": args.author or "",
        "date": args.date or dt.datetime.now(dt.timezone.utc).date().isoformat(),
    })
    if args.new_run:
        row["publication_date"] = args.publication_date or ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    if not existing:
        writer.writeheader()
    writer.writerow(row)
    new_text = (existing if existing.endswith("\n") or not existing else existing + "\n") + buffer.getvalue()

    # Validate the whole curated layer with the new row before anything is written.
    target.parent.mkdir(parents=True, exist_ok=True)
    backup = target.read_bytes() if target.exists() else None
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    temporary.write_text(new_text, encoding="utf-8")
    os.replace(temporary, target)
    try:
        load_curated(curated_dir, known_models(sources), display_root=sources.parent)
    except CuratedError as exc:
        if backup is None:
            target.unlink()
        else:
            target.write_bytes(backup)
        print(f"flopcast curate add: not added, {exc}", file=sys.stderr)
        return 1
    print(f"added to {target}: {row['action']} {row['model_id'] or row['model']} {args.field} = {args.value} ({args.citation})")
    return 0


def register(subparsers) -> None:
    curate = subparsers.add_parser("curate", help="analysts' corrections, new runs and scenarios in sources/curated/")
    sub = curate.add_subparsers(dest="curate_command", required=True)

    check = sub.add_parser("check", help="validate the curated files without building")
    check.add_argument("--sources-dir", help="default: FLOPCAST_SOURCES_DIR or ./sources")
    check.set_defaults(func=cmd_check)

    add = sub.add_parser("add", help="append one cited value (a correction, or with --new-run a new run)")
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--model-id", help="model_id of marts.training_runs")
    who.add_argument("--model", help="exact model name (required for --new-run)")
    add.add_argument("--field", required=True, help=f"one of: {', '.join(FIELDS)}")
    add.add_argument("--value", required=True, help="with its unit, e.g. '2.1e25 FLOP', '1e8 USD', '25 MW'")
    add.add_argument("--citation", required=True, help="URL or reference")
    add.add_argument("--note")
    add.add_argument("--author")
    add.add_argument("--date", help="when the value was entered (default: today, UTC)")
    add.add_argument("--new-run", action="store_true", help="a run the source does not have (needs --model and --publication-date)")
    add.add_argument("--publication-date", help="YYYY-MM-DD, for --new-run")
    add.add_argument("--scenario", help="append to sources/curated/scenarios/<name>.csv instead of the baseline corrections")
    add.add_argument("--file", help="curated file to append to (default: sources/curated/corrections.csv)")
    add.add_argument("--sources-dir", help="default: FLOPCAST_SOURCES_DIR or ./sources")
    add.set_defaults(func=cmd_add)


__all__ = ["register", "STANDARD_HEADER", "META_COLUMNS"]
