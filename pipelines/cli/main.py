"""The `flopcast` command: build, query, export, report."""

from __future__ import annotations

import argparse
import os
import sys
import time

from pipelines.lib.executor_choice import ExecutorChoiceError
from pipelines.lib.safe_files import UnsafePath
from pipelines.lib.warehouse import LocationError, Locations, default_locations, local_folder


def _locations(args: argparse.Namespace) -> Locations:
    defaults = default_locations()
    return Locations(
        sources_dir=local_folder(args.sources_dir, "--sources-dir") if args.sources_dir else defaults.sources_dir,
        warehouse_dir=local_folder(args.warehouse_dir, "--warehouse-dir")
        if args.warehouse_dir
        else defaults.warehouse_dir,
    )


def parse_pins(pairs: list[str], sources_dir=None) -> dict[str, str]:
    """SOURCE=VERSION pairs; with sources_dir, each version must be a version folder there (checked
    before any build work, so '../../etc' or a typo is refused at once)."""
    from pipelines.lib.sources import SOURCES_BY_NAME, list_versions

    pins = {}
    for pair in pairs:
        source, sep, version = pair.partition("=")
        if not sep or not version.strip():
            raise ValueError(f"--pin expects SOURCE=VERSION, got {pair!r}")
        if source.strip() not in SOURCES_BY_NAME:
            raise ValueError(f"--pin: unknown source {source.strip()!r}; known: {', '.join(SOURCES_BY_NAME)}")
        if sources_dir is not None:
            versions = list_versions(sources_dir, source.strip())
            if version.strip() not in versions:
                raise ValueError(
                    f"--pin: source {source.strip()!r} has no version {version.strip()!r} under {sources_dir}; "
                    f"available: {', '.join(versions) or 'none'} (see `flopcast sources list`)"
                )
        pins[source.strip()] = version.strip()
    return pins


def cmd_build(args: argparse.Namespace) -> int:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from pipelines.lib import build_helper
    from pipelines.lib.assumptions import UnknownAssumption, parse_overrides, resolve_assumptions

    locations = _locations(args)
    try:
        overrides = parse_overrides(args.set or [])
        resolve_assumptions(overrides)
    except (ValueError, UnknownAssumption) as exc:
        print(f"flopcast build: --set: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    try:
        pins = parse_pins(args.pin or [], locations.sources_dir)
        from pipelines.lib.build_options import validate_build_options

        validate_build_options(
            as_of=args.as_of,
            horizon=args.horizon,
            resamples=args.resamples,
            cluster_start_year=args.cluster_start_year,
            sources_dir=locations.sources_dir,
            pins=pins,
        )
    except ValueError as exc:
        print(f"flopcast build: {exc}", file=sys.stderr)
        return 2
    settings = {
        "horizon_year": args.horizon,
        "assumption_overrides": overrides,
        "bootstrap_resamples": args.resamples,
        "seed": args.seed,
        "pins": pins,
        "cluster_start_year": args.cluster_start_year,
    }
    if args.as_of:
        settings["as_of"] = args.as_of
    print(f"flopcast build: sources {locations.sources_dir}, warehouse {locations.warehouse_dir}", flush=True)
    started = time.monotonic()
    # great-expectations and matplotlib are imported in a helper process from here on, on another
    # core, while Dagster loads and the first stages run (pipelines/lib/build_helper.py).
    with build_helper.in_background():
        from pipelines.cli.build import BuildLocked, BuildOutcome, run_build
        from pipelines.lib.sql_graph import SqlGraphError

        try:
            outcome: BuildOutcome = run_build(locations, settings)
        except BuildLocked as exc:
            print(f"flopcast build: {exc}", file=sys.stderr)
            return 3
        except SqlGraphError as exc:
            print(
                f"flopcast build: the SQL models in {os.environ.get('FLOPCAST_SQL_DIR', 'dbt_like_sql/')} do not load: {exc}",
                file=sys.stderr,
            )
            return 2
    print(outcome.summary(elapsed_seconds=time.monotonic() - started))
    return 0 if outcome.success else 1


def cmd_query(args: argparse.Namespace) -> int:
    from pipelines.lib.query import Limited, QueryRefused, QueryTimeout, csv_lines, format_table, json_lines, open_query

    locations = _locations(args)
    if args.timeout <= 0 or args.limit < 0:
        print("flopcast query: --timeout must be positive and --limit 0 or more", file=sys.stderr)
        return 2
    limit = None if args.no_limit else args.limit
    try:
        with open_query(locations.published_db, args.sql, timeout=args.timeout) as (columns, batches):
            rows = Limited(batches, limit)
            if args.format == "table":  # needs every shown row for the column widths; --limit bounds them
                shown = [row for batch in rows for row in batch]
                print(format_table(columns, shown, truncated=rows.truncated))
            else:  # streamed: one batch of rows in memory at a time
                chunks = (
                    csv_lines(columns, rows, raw=args.raw_csv, escape=sys.stdout.isatty())
                    if args.format == "csv"
                    else json_lines(columns, rows)
                )
                for chunk in chunks:
                    sys.stdout.write(chunk)
                if args.format == "json":  # CSV records already end with a newline
                    sys.stdout.write("\n")
                if rows.truncated:
                    print(
                        f"flopcast query: showed the first {rows.rows} rows; more rows exist (--limit N or --no-limit)",
                        file=sys.stderr,
                    )
    except BrokenPipeError:
        raise  # the reader (head, less) closed the pipe: main() exits quietly
    except QueryRefused as exc:
        print(f"flopcast query: refused: {exc}", file=sys.stderr)
        return 2
    except QueryTimeout as exc:
        print(f"flopcast query: {exc}", file=sys.stderr)
        return 1
    except (FileNotFoundError, ValueError) as exc:
        print(f"flopcast query: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # DuckDB errors (unknown table, bad SQL, out of memory) are the user's to fix
        print(f"flopcast query: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pipelines.lib.export import ExportError, export_tables

    tables = [t.strip() for t in args.tables.split(",")] if args.tables else None
    formats = tuple(f.strip() for f in args.format.split(","))
    try:
        done = export_tables(
            _locations(args),
            args.to,
            tables=tables,
            formats=formats,
            force=args.force,
            views_db=args.views_db,
            raw_csv=args.raw_csv,
        )
    except ExportError as exc:
        print(f"flopcast export: {exc}", file=sys.stderr)
        return 2
    for item in done:
        print(f"  {item.table:<36} -> {item.target} ({item.bytes:,} bytes)")
    print(f"exported {len(done)} file(s) to {args.to} (manifest.json alongside)")
    if args.views_db:
        print(f"views over them: {args.views_db} (open it with any DuckDB 1.5 client)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    index = _locations(args).report_dir / "index.html"
    if not index.is_file():
        print(f"flopcast report: no report at {index}: run `flopcast build` first", file=sys.stderr)
        return 2
    print(index)
    return 0


def parser() -> argparse.ArgumentParser:
    from pipelines.lib.settings import DEFAULTS

    top = argparse.ArgumentParser(
        prog="flopcast", description="Reproducible dataset builder for the economics of AI scaling."
    )
    sub = top.add_subparsers(dest="command", required=True)

    def locations_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--sources-dir", help="snapshot folders (default: FLOPCAST_SOURCES_DIR or ./sources)")
        p.add_argument("--warehouse-dir", help="output folder (default: FLOPCAST_WAREHOUSE_DIR or ./warehouse)")

    build = sub.add_parser("build", help="run the whole graph in-process and publish the warehouse")
    locations_options(build)
    build.add_argument(
        "--as-of", help="ISO date the fits and projections are made at (default: newest publication date)"
    )
    build.add_argument(
        "--horizon",
        type=int,
        default=DEFAULTS.horizon_year,
        help=f"last projected year (default {DEFAULTS.horizon_year})",
    )
    build.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="override an assumption (see marts.assumptions); repeatable",
    )
    build.add_argument(
        "--resamples",
        type=int,
        default=DEFAULTS.bootstrap_resamples,
        help=f"bootstrap resamples per fit (default {DEFAULTS.bootstrap_resamples})",
    )
    build.add_argument(
        "--seed", type=int, default=DEFAULTS.seed, help=f"base seed of the bootstraps (default {DEFAULTS.seed})"
    )
    build.add_argument(
        "--cluster-start-year",
        type=int,
        default=DEFAULTS.cluster_start_year,
        help="first year of the largest-cluster fits (clusters are ranked against the whole history; "
        f"default {DEFAULTS.cluster_start_year})",
    )
    build.add_argument(
        "--pin",
        action="append",
        metavar="SOURCE=VERSION",
        help="use this snapshot version instead of the newest; repeatable",
    )
    build.set_defaults(func=cmd_build)

    query = sub.add_parser("query", help="read-only SQL against the published warehouse")
    query.add_argument("sql")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    query.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="stop the query after this many seconds, fetching included (default 60)",
    )
    query.add_argument(
        "--limit",
        type=int,
        default=1000,
        metavar="N",
        help="show at most N rows (default 1000; a note says when rows were left out)",
    )
    query.add_argument("--no-limit", action="store_true", help="show every row (csv and json stream them)")
    query.add_argument(
        "--raw-csv",
        action="store_true",
        help="--format csv: keep cells starting with = + - @ as they are (by default they get a leading ' so "
        "a spreadsheet does not run them as formulas)",
    )
    locations_options(query)
    query.set_defaults(func=cmd_query)

    export = sub.add_parser("export", help="copy the published Parquet files for an analyst")
    export.add_argument(
        "--to",
        required=True,
        help="destination folder or fsspec URI (file://, memory://, s3://... if its driver is installed)",
    )
    export.add_argument("--format", default="parquet", help="parquet, csv or parquet,csv (default parquet)")
    export.add_argument("--tables", help="comma-separated schema.table names (default: all published tables)")
    export.add_argument("--force", action="store_true", help="overwrite existing files")
    export.add_argument(
        "--raw-csv",
        action="store_true",
        help="CSV: keep cells starting with = + - @ as they are (by default they get a leading ' so a "
        "spreadsheet does not run them as formulas)",
    )
    export.add_argument(
        "--views-db",
        metavar="PATH",
        help="also write a local DuckDB file with a view per exported table over its Parquet file in --to "
        "(--to must be a folder, file:// or a URI DuckDB reads: s3://, gs://, https://, az://...)",
    )
    locations_options(export)
    export.set_defaults(func=cmd_export)
    from pipelines.cli.sources import register as register_sources

    register_sources(sub)
    report = sub.add_parser("report", help="print where the published HTML report is")
    locations_options(report)
    report.set_defaults(func=cmd_report)
    from pipelines.cli.curate import register as register_curate
    from pipelines.cli.diff import register as register_diff

    register_diff(sub)
    register_curate(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    """The `flopcast` command; argv None means this process's own command line (the program itself)."""
    args = parser().parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()  # here, not at interpreter exit, so a closed pipe is caught below
        if argv is None and args.command == "build":
            _exit_at_once(status)
        return status
    except BrokenPipeError:
        return _closed_pipe()
    except (LocationError, ExecutorChoiceError, UnsafePath) as exc:  # configuration the user can fix: no traceback
        print(f"flopcast {args.command}: {exc}", file=sys.stderr)
        return 2


def _exit_at_once(status: int) -> None:
    """End the `flopcast build` program without the interpreter's teardown, which with Dagster,
    DuckDB, polars and pyarrow loaded takes 1-3 s after the summary is printed (it frees some
    280,000 objects). By then every database and file is closed and the build lock released;
    what is still buffered is flushed here."""
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _closed_pipe() -> int:
    """The reader stopped reading (`flopcast query ... | head -2`): it has what it wanted, so exit 0
    quietly, like `git log | head`, with no traceback; stdout goes to /dev/null so that Python's
    final flush of the unsent rest does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
