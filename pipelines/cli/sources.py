"""`flopcast sources refresh|list|verify`: the operator's commands for the snapshot folders.

``register(subparsers)`` adds the ``sources`` command to the main parser (pipelines/cli/main.py). The
work is done by pipelines.lib.refresh; this module only parses, prints and picks exit codes:
0 all good, 1 a download was rejected or a checksum does not match, 2 a usage error.
"""

from __future__ import annotations

import argparse
import sys

from pipelines.cli.options import non_negative_int
from pipelines.lib.warehouse import sources_dir_option


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _share(text: str) -> float:
    """A share of rows: 0.2 or 20%."""
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share such as 0.2 or 20%, got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (or 0% and 100%), got {text}")
    return value


def cmd_refresh(args: argparse.Namespace) -> int:
    # Imported here so that `flopcast --help` does not load polars and the cleaning specs.
    from pipelines.lib.refresh import RefreshRejected, refresh_source
    from pipelines.lib.sources import SOURCES, SOURCES_BY_NAME, SourceError

    if args.source and args.source not in SOURCES_BY_NAME:
        print(
            f"flopcast sources refresh: unknown source {args.source!r}; known: {', '.join(SOURCES_BY_NAME)}",
            file=sys.stderr,
        )
        return 2
    if args.url and not args.source:
        print("flopcast sources refresh: --url needs a SOURCE (one URL cannot serve every source)", file=sys.stderr)
        return 2
    sources_dir = sources_dir_option(args.sources_dir)
    names = [args.source] if args.source else [spec.name for spec in SOURCES]
    width = max(len(name) for name in names)
    rejected = 0
    for name in names:
        try:
            result = refresh_source(
                sources_dir,
                name,
                url=args.url,
                version=args.version,
                timeout=args.timeout,
                retries=args.retries,
                deadline=args.deadline,
                max_row_loss=args.max_row_loss,
            )
        except RefreshRejected as exc:
            rejected += 1
            print(f"{name:<{width}}  rejected: {exc.reason} (from {exc.url}; nothing written)", flush=True)
        except SourceError as exc:  # no URL, unknown source: nothing was attempted
            rejected += 1
            print(f"{name:<{width}}  rejected: {exc}", flush=True)
        else:
            print(f"{name:<{width}}  {result.describe()}", flush=True)
    return 1 if rejected else 0


def cmd_list(args: argparse.Namespace) -> int:
    from pipelines.lib.refresh import list_sources

    rows = list_sources(sources_dir_option(args.sources_dir))
    if not rows:
        print(f"no snapshots under {sources_dir_option(args.sources_dir)}")
        return 0
    table = [("source", "version", "retrieved", "rows", "sha256")] + [
        (
            r["source"],
            r["version"],
            str(r["retrieved"] or "-"),
            str(r["rows"] if r["rows"] is not None else "-"),
            (r["sha256"] or "-")[:12],
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = [cell.rjust(w) if i == 3 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        print("  ".join(cells).rstrip())
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from pipelines.lib.refresh import verify_sources

    results = verify_sources(sources_dir_option(args.sources_dir))
    for source, version, ok, message in results:
        print(f"{'ok' if ok else 'FAILED':<6}  {source} {version}: {message}")
    failed = sum(1 for *_, ok, _ in results if not ok)
    print(f"{len(results)} snapshot(s) checked, {failed} failed")
    return 1 if failed else 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    sources = subparsers.add_parser("sources", help="refresh, list and verify the source snapshots")
    commands = sources.add_subparsers(dest="sources_command", required=True)

    def sources_dir_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--sources-dir", help="snapshot folders (default: FLOPCAST_SOURCES_DIR or ./sources)")

    refresh = commands.add_parser("refresh", help="download sources and add a version folder when the file changed")
    refresh.add_argument("source", nargs="?", metavar="SOURCE", help="one source (default: every source)")
    refresh.add_argument("--url", help="download from here instead of the newest manifest's origin.url (needs SOURCE)")
    refresh.add_argument("--version", help="version folder name (default: today's UTC date, YYYY-MM-DD)")
    refresh.add_argument(
        "--timeout", type=_positive_seconds, default=30.0, help="seconds per network operation (default 30)"
    )
    refresh.add_argument(
        "--deadline",
        type=_positive_seconds,
        help="seconds for the whole download, retries included (default: every attempt timing out plus backoff)",
    )
    refresh.add_argument(
        "--retries",
        type=non_negative_int,
        default=3,
        help="retries on connection errors, timeouts, HTTP 5xx/429 (default 3)",
    )
    refresh.add_argument(
        "--max-row-loss",
        type=_share,
        default=0.2,
        metavar="SHARE",
        help="refuse a new version with more than this share fewer rows than the previous one, raw or "
        "usable after cleaning (default 0.2, i.e. 20%%)",
    )
    sources_dir_option(refresh)
    refresh.set_defaults(func=cmd_refresh)

    listing = commands.add_parser("list", help="every version: retrieved date, rows, checksum")
    sources_dir_option(listing)
    listing.set_defaults(func=cmd_list)

    verify = commands.add_parser("verify", help="re-check every version's checksum against its manifest")
    sources_dir_option(verify)
    verify.set_defaults(func=cmd_verify)
    return sources
