"""`flopcast curate check|add`: validate the curated files, or append a cited correction to one."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import sys
from pathlib import Path

from pipelines.lib.curated_fields import FIELDS, META_COLUMNS  # curated.py (polars) only when a command runs
from pipelines.lib.warehouse import sources_dir_option

STANDARD_HEADER = ["action", "model_id", "model", *FIELDS, "citation", "note", "author", "date"]


class MainSourceUnreadable(RuntimeError):
    """The main source could not be read to check model ids against it."""


def known_models(sources_dir: Path) -> dict[str, str]:
    """model_id -> model of the newest main-source snapshot, cleaned exactly as the build does."""
    return _main_source(sources_dir)[0]


def _main_source(sources_dir: Path) -> tuple[dict[str, str], dt.date]:
    """(model_id -> model, snapshot date) of the newest main-source snapshot; MainSourceUnreadable
    with a one-line reason when the snapshot is missing, corrupted or unreadable."""
    from pipelines.lib.clean_sources import NOTABLE_MODELS
    from pipelines.lib.cleaning import CleanContext
    from pipelines.lib.raw import read_text_table
    from pipelines.lib.sources import load_snapshot, verify_snapshot
    from pipelines.lib.stages import clean_frame

    try:
        snapshot = load_snapshot(sources_dir, NOTABLE_MODELS.source)
        verify_snapshot(snapshot)
        retrieved = dt.date.fromisoformat(snapshot.retrieved)
        raw = read_text_table(snapshot.data_path, source=snapshot.source, version=snapshot.version)
        clean = clean_frame(raw, NOTABLE_MODELS, CleanContext(str(snapshot.data_path), retrieved)).clean
    except Exception as exc:  # a corrupted snapshot or manifest: say which and why, no traceback
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MainSourceUnreadable(
            f"cannot read the main source {NOTABLE_MODELS.source} under {sources_dir} to check "
            f"model ids against it: {reason}"
        ) from None
    return dict(zip(clean["model_id"].to_list(), clean["model"].to_list())), retrieved


def cmd_check(args) -> int:
    from pipelines.lib.curated import CuratedError, load_curated

    sources = sources_dir_option(args.sources_dir)
    try:
        models, snapshot_date = _main_source(sources)
        values = load_curated(sources / "curated", models, display_root=sources.parent, snapshot_date=snapshot_date)
    except (CuratedError, MainSourceUnreadable) as exc:
        print(f"flopcast curate check: {exc}", file=sys.stderr)
        return 1
    sets = values.group_by("estimates").len().sort("estimates")
    summary = ", ".join(f"{name}: {n} value(s)" for name, n in sets.iter_rows()) or "no curated values"
    print(f"curated files are valid ({summary})")
    return 0


def _target(args, curated_dir: Path) -> Path:
    """The file `curate add` appends to: a .csv directly in sources/curated/ or its scenarios/
    folder (anything else is never read by the build), never through a link."""
    from pipelines.lib.curated import scenario_name_problem
    from pipelines.lib.safe_files import UnsafePath, require_inside

    if args.scenario is not None:
        problem = scenario_name_problem(args.scenario)
        if problem:
            raise UnsafePath(f"--scenario: {problem}")
        target = curated_dir / "scenarios" / f"{args.scenario}.csv"
    elif args.file:
        target = Path(args.file) if Path(args.file).is_absolute() else Path.cwd() / args.file
    else:
        target = curated_dir / "corrections.csv"
    target = require_inside(target, curated_dir, "the curated file")
    if target.suffix != ".csv" or target.parent not in (
        Path(os.path.abspath(curated_dir)),
        Path(os.path.abspath(curated_dir / "scenarios")),
    ):
        raise UnsafePath(
            f"{target}: curated files are sources/curated/*.csv or sources/curated/scenarios/<name>.csv; "
            "the build reads no other file"
        )
    if target.parent.name == "scenarios":
        problem = scenario_name_problem(target.stem)
        if problem:
            raise UnsafePath(f"{target}: {problem}")
    return target


def cmd_add(args) -> int:
    from pipelines.lib.curated import CuratedError, load_curated
    from pipelines.lib.safe_files import UnsafePath, atomic_write_bytes, read_bytes_no_follow

    sources = sources_dir_option(args.sources_dir)
    curated_dir = sources / "curated"
    if args.field not in FIELDS:
        print(f"flopcast curate add: unknown field {args.field!r}; fields: {', '.join(FIELDS)}", file=sys.stderr)
        return 2
    try:
        target = _target(args, curated_dir)
        existing_bytes = read_bytes_no_follow(target, what="curated files") if os.path.lexists(target) else b""
    except UnsafePath as exc:
        print(f"flopcast curate add: refused: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"flopcast curate add: cannot read {target}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        existing = existing_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        print(
            f"flopcast curate add: {target} is not UTF-8 text; run `flopcast curate check` for the line",
            file=sys.stderr,
        )
        return 1
    header = next(csv.reader(io.StringIO(existing)), None) or STANDARD_HEADER
    missing = [c for c in (args.field, "publication_date" if args.new_run else None) if c and c not in header]
    if missing:
        print(
            f"flopcast curate add: {target} has no column {', '.join(missing)}; add it to the header or use --file",
            file=sys.stderr,
        )
        return 2
    row = {c: "" for c in header}
    row.update(
        {
            "action": "add" if args.new_run else "correct",
            "model_id": args.model_id or "",
            "model": args.model or "",
            args.field: args.value,
            "citation": args.citation,
            "note": args.note or "",
            "author": args.author or "",
            "date": args.date or dt.datetime.now(dt.UTC).date().isoformat(),
        }
    )
    if args.new_run:
        row["publication_date"] = args.publication_date or ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    if not existing:
        writer.writeheader()
    writer.writerow(row)
    new_text = (existing if existing.endswith("\n") or not existing else existing + "\n") + buffer.getvalue()

    # The whole curated layer is validated with the new text before anything is written; then one
    # rename replaces the file, so a refused or interrupted add leaves it exactly as it was.
    try:
        models, snapshot_date = _main_source(sources)
        load_curated(
            curated_dir,
            models,
            display_root=sources.parent,
            snapshot_date=snapshot_date,
            replacements={target: new_text},
        )
    except (CuratedError, MainSourceUnreadable) as exc:
        print(f"flopcast curate add: not added, {exc}", file=sys.stderr)
        return 1
    try:
        atomic_write_bytes(target, new_text.encode("utf-8"))
    except (UnsafePath, OSError) as exc:
        print(
            f"flopcast curate add: not added, cannot write {target}: {getattr(exc, 'strerror', None) or exc}",
            file=sys.stderr,
        )
        return 1
    print(
        f"added to {target}: {row['action']} {row['model_id'] or row['model']} {args.field} = {args.value} ({args.citation})"
    )
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
    add.add_argument(
        "--new-run", action="store_true", help="a run the source does not have (needs --model and --publication-date)"
    )
    add.add_argument("--publication-date", help="YYYY-MM-DD, for --new-run")
    add.add_argument(
        "--scenario", help="append to sources/curated/scenarios/<name>.csv instead of the baseline corrections"
    )
    add.add_argument("--file", help="curated file to append to (default: sources/curated/corrections.csv)")
    add.add_argument("--sources-dir", help="default: FLOPCAST_SOURCES_DIR or ./sources")
    add.set_defaults(func=cmd_add)


__all__ = ["register", "STANDARD_HEADER", "META_COLUMNS"]
