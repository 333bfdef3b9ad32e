"""`flopcast diff [OLD] [NEW]`: what changed in the clean data between two snapshot versions.

``register(subparsers)`` adds the ``diff`` command to the main parser (pipelines/cli/main.py). The work
is done by pipelines.lib.release_diff; this module only parses, prints and picks exit codes:
0 compared (or nothing to compare), 1 a snapshot cannot be read or cleaned, 2 a usage error.

With ``--format table`` the summary is printed before the rows on stdout; with csv or json it goes
to stderr so that stdout stays machine-readable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.cli.options import non_negative_int
from pipelines.lib.warehouse import sources_dir_option

PROG = "flopcast diff"


def _resolve_pair(args: argparse.Namespace, sources_dir: Path, versions: list[str]) -> tuple[str, str] | int:
    """(old, new), or the exit code after printing why there is nothing to compare."""
    source = args.source
    if not versions:
        print(f"{PROG}: no snapshot of {source} under {sources_dir / source}", file=sys.stderr)
        return 2
    for given in (args.old, args.new):
        if given is not None and given not in versions:
            print(f"{PROG}: {source} has no version {given!r}; available: {', '.join(versions)}", file=sys.stderr)
            return 2
    if args.old is None:
        if len(versions) < 2:
            print(f"only one version of {source}: nothing to compare")
            return 0
        return versions[-2], versions[-1]
    return args.old, args.new or versions[-1]


def cmd_diff(args: argparse.Namespace) -> int:
    # Imported here so that `flopcast --help` does not load polars and the cleaning specs.
    from pipelines.lib.cleaning import MissingColumnsError
    from pipelines.lib.query import FORMATTERS
    from pipelines.lib.release_diff import diff_versions, format_summary, summarize_diff
    from pipelines.lib.sources import SOURCES_BY_NAME, SourceError, list_versions

    if args.source not in SOURCES_BY_NAME:
        print(f"{PROG}: unknown source {args.source!r}; known: {', '.join(SOURCES_BY_NAME)}", file=sys.stderr)
        return 2
    sources_dir = sources_dir_option(args.sources_dir)
    pair = _resolve_pair(args, sources_dir, list_versions(sources_dir, args.source))
    if isinstance(pair, int):
        return pair
    old, new = pair
    try:
        diff = diff_versions(sources_dir, old, new, args.source)
    except (SourceError, MissingColumnsError) as exc:  # checksum mismatch, unreadable file, renamed column
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1

    summary_out = sys.stdout if args.format == "table" else sys.stderr
    print(f"{args.source}: {old} -> {new}", file=summary_out)
    for line in format_summary(summarize_diff(diff)):
        print(line, file=summary_out)
    shown = diff if args.limit is None else diff.head(args.limit)
    if args.format == "table":
        print()
    print(FORMATTERS[args.format](shown.columns, shown.rows()))
    if shown.height < diff.height:
        print(f"(showing the first {shown.height} of {diff.height} rows; --limit to change)", file=summary_out)
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    diff = subparsers.add_parser(
        "diff",
        help="what changed in the clean data between two snapshot versions of a source",
        description="Compare the typed, cleaned rows of two snapshot versions (formatting differences "
        "in the files are not changes). Default: the two newest versions.",
    )
    diff.add_argument("old", nargs="?", metavar="OLD", help="older version (default: the second newest)")
    diff.add_argument("new", nargs="?", metavar="NEW", help="newer version (default: the newest)")
    diff.add_argument(
        "--source", default="epoch_notable_models", help="source to compare (default: epoch_notable_models)"
    )
    diff.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="rows as a table (default), CSV or JSON; with csv/json the summary goes to stderr",
    )
    diff.add_argument(
        "--limit", type=non_negative_int, metavar="N", help="print at most N rows (the summary counts all)"
    )
    diff.add_argument("--sources-dir", help="snapshot folders (default: FLOPCAST_SOURCES_DIR or ./sources)")
    diff.set_defaults(func=cmd_diff)
    return diff
