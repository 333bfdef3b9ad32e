"""Where the warehouse lives and how the build talks to its private DuckDB database.

The build never writes the published file: it writes ``<warehouse>/.build/flopcast.duckdb`` and
the publish step replaces ``<warehouse>/flopcast.duckdb`` atomically (see publish.py), because
DuckDB allows one writer or many readers of a file, never both.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.lib.duck import literal, registered
from pipelines.lib.duck import quote as quote  # re-exported: written once in duck.py

if TYPE_CHECKING:  # polars is imported where a frame is read or written: `flopcast query` never needs it
    import polars as pl

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Locations:
    sources_dir: Path
    warehouse_dir: Path

    @property
    def build_db(self) -> Path:
        """The private build database (.build/flopcast.duckdb)."""
        return self.warehouse_dir / ".build" / "flopcast.duckdb"

    @property
    def published_db(self) -> Path:
        """The published, read-only database (flopcast.duckdb)."""
        return self.warehouse_dir / "flopcast.duckdb"

    @property
    def parquet_dir(self) -> Path:
        """Where the published Parquet files are."""
        return self.warehouse_dir / "parquet"

    @property
    def manifest(self) -> Path:
        """The published manifest.json."""
        return self.warehouse_dir / "manifest.json"

    @property
    def report_dir(self) -> Path:
        """Where the published report is."""
        return self.warehouse_dir / "report"

    @property
    def build_report_dir(self) -> Path:
        """The report is rendered here during the build and moved to report_dir by publish."""
        return self.build_db.parent / "report"

    @property
    def checks_dir(self) -> Path:
        """Where each build's expectation results are written."""
        return self.warehouse_dir / "checks"


class LocationError(ValueError):
    pass


_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_MOTHERDUCK = re.compile(r"^(md|motherduck):", re.IGNORECASE)


def local_folder(value: str | Path, origin: str) -> Path:
    """A folder on this machine (a path or a file:// URI), or a LocationError naming `origin`.

    The build writes one DuckDB file with a single writer, moves files and switches a symlink to
    publish, so its folders must be a local (or mounted) file system: a MotherDuck database or an
    object-store URI would otherwise silently become a local folder named like the URI.
    """
    text = str(value)
    if _MOTHERDUCK.match(text):
        raise LocationError(
            f"{origin}={text!r}: a MotherDuck database cannot be the build's warehouse (the build writes a local "
            "DuckDB file and publishes by renaming files). Build locally, then upload the published file: see "
            "docs/SCALING.md, MotherDuck."
        )
    uri = _URI.match(text)
    if uri is None:
        return Path(text).expanduser().resolve()
    scheme = uri.group(1).lower()
    if scheme == "file":
        return Path(text[len("file://") :]).resolve()
    raise LocationError(
        f"{origin}={text!r}: expected a local folder (or file://); the build cannot write to {scheme}:// directly. "
        f"Build locally, then `flopcast export --to {text}` (needs fsspec's driver for {scheme}://): see docs/SCALING.md."
    )


def default_locations() -> Locations:
    """FLOPCAST_SOURCES_DIR / FLOPCAST_WAREHOUSE_DIR, defaulting to the project's own folders."""
    return Locations(
        sources_dir=local_folder(
            os.environ.get("FLOPCAST_SOURCES_DIR") or PROJECT_ROOT / "sources", "FLOPCAST_SOURCES_DIR"
        ),
        warehouse_dir=local_folder(
            os.environ.get("FLOPCAST_WAREHOUSE_DIR") or PROJECT_ROOT / "warehouse", "FLOPCAST_WAREHOUSE_DIR"
        ),
    )


def sources_dir_option(option: str | None) -> Path:
    """A command's --sources-dir, or the default location."""
    return local_folder(option, "--sources-dir") if option else default_locations().sources_dir


# Databases held_open() keeps open: path -> the connection holding the file open (None until first used).
_held: dict[Path, duckdb.DuckDBPyConnection | None] = {}
# Past this size a held database is closed after each step, as without held_open(): DuckDB's buffer
# pool of one stage is then not carried into the next, and at that size opening and checkpointing
# the file cost little next to the step's own work.
HELD_OPEN_MAX_BYTES = 512 * 2**20


@contextlib.contextmanager
def held_open(path: Path) -> Iterator[None]:
    """Keep the database at `path` open for the block, from the first `connect(path)` on: each
    `connect(path)` then hands out a cursor (a connection to the same open database) instead of
    opening the file, reading its catalog, and checkpointing it with an fsync on close, ~60 ms a
    step (3 s of a bundled build's 50 steps). Temporary tables, registered frames and transactions
    still belong to each connection. `release(path)` closes the file (publish does, before copying
    it); a later connect opens it again."""
    key = Path(path).resolve()
    if key in _held:  # an outer block holds it already
        yield
        return
    _held[key] = None
    try:
        yield
    finally:
        release(key)
        del _held[key]


def release(path: Path) -> None:
    """Close a database held open by held_open() (DuckDB checkpoints it); a no-op otherwise."""
    key = Path(path).resolve()
    con = _held.get(key)
    if con is not None:
        _held[key] = None
        con.close()


STORAGE_VERSION = "v1.3.0"  # the DuckDB storage format of the databases flopcast writes (see _open)


def _open(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    # A database this creates is written in DuckDB 1.3's storage format, not DuckDB's default of the
    # oldest format still read (v0.10): its string and list compression writes the clean tables
    # with 20% less CPU (1M rows: 2.4 against 3.0 CPU-s, 72 against 67 MB; BENCHMARKS.md). The
    # warehouse file then needs DuckDB 1.3 or newer to open (the Parquet files need nothing).
    config = {} if read_only else {"storage_compatibility_version": STORAGE_VERSION}
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    threads = os.environ.get("FLOPCAST_DUCKDB_THREADS")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    memory_limit = os.environ.get("FLOPCAST_DUCKDB_MEMORY_LIMIT")  # e.g. "2GB"; DuckDB spills to disk beyond it
    if memory_limit:
        try:
            con.execute("SET memory_limit = " + literal(memory_limit))
        except duckdb.Error as exc:
            con.close()
            raise ValueError(
                f"FLOPCAST_DUCKDB_MEMORY_LIMIT={memory_limit!r} is not a DuckDB memory size (e.g. 2GB, 512MB): {exc}"
            ) from None
    return con


@contextlib.contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection to the file for the block (a cursor of the held-open database inside held_open), closed after."""
    key = Path(path).resolve() if _held and not read_only else None
    if key in _held:
        if _held[key] is None:
            _held[key] = _open(key, read_only=False)
        con = _held[key].cursor()
        try:
            yield con
        finally:
            con.close()
            if key.stat().st_size > HELD_OPEN_MAX_BYTES:
                release(key)
        return
    con = _open(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def write_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pl.DataFrame) -> None:
    """Replace schema.table with the frame's rows, in the frame's order and types."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
    with registered(con, "_incoming", frame.to_arrow()):
        con.execute(f"CREATE OR REPLACE TABLE {quote(schema)}.{quote(table)} AS SELECT * FROM _incoming")


def read_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, order_by: str) -> pl.DataFrame:
    """schema.table as a polars frame, in the given order (polars imported only here)."""
    import polars as pl

    return pl.from_arrow(con.sql(f"SELECT * FROM {quote(schema)}.{quote(table)} ORDER BY {order_by}").to_arrow_table())


def count_rows(con: duckdb.DuckDBPyConnection, qualified: str, where: str = "", params: list | None = None) -> int:
    """SELECT count(*) of a table, with an optional WHERE and its parameters."""
    return con.execute(f"SELECT count(*) FROM {qualified} {where}", params or []).fetchone()[0]


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether schema.table exists in the connection's catalog."""
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
        ).fetchone()[0]
    )
