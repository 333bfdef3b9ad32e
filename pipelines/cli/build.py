"""`flopcast build`: the whole Dagster graph in-process, then a summary of what it produced.

In-process on purpose: the multiprocess executor starts a process per step, which costs more
than the whole build on two cores.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from dataclasses import dataclass, field

import dagster as dg

from pipelines.definitions import BUILD_JOB, build_definitions, default_sql_dir
from pipelines.defs.progress import root_error_message
from pipelines.lib.build_lock import BuildLocked as BuildLocked  # re-exported: pipelines.cli catches it
from pipelines.lib.build_lock import build_lock as warehouse_build_lock
from pipelines.lib.build_lock import reset_build_database as reset_warehouse_build
from pipelines.lib.headline import headline_lines
from pipelines.lib.warehouse import Locations, connect, held_open


@dataclass
class BuildOutcome:
    success: bool
    locations: Locations
    failures: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    published: bool = False
    manifest: dict | None = None
    quarantined: dict[str, int] = field(default_factory=dict)  # source -> rows in quarantine.rejected_rows
    rejected_cells: dict[str, int] = field(default_factory=dict)  # source -> cells in quarantine.rejected_cells
    headline: list[str] = field(default_factory=list)

    def summary(self, elapsed_seconds: float) -> str:
        lines = [""]
        if self.published and self.manifest:
            lines.append("Published tables (rows):")
            for name, table in sorted(self.manifest["tables"].items()):
                lines.append(f"  {name:<44} {table['rows']:>8,}")
            lines.append(
                "Quarantined rows by source (quarantine.rejected_rows) and cells set to null (quarantine.rejected_cells):"
            )
            lines.append(f"  {'':<44} {'rows':>8} {'cells':>8}")
            for source in sorted(set(self.quarantined) | set(self.rejected_cells)):
                lines.append(
                    f"  {source:<44} {self.quarantined.get(source, 0):>8,} {self.rejected_cells.get(source, 0):>8,}"
                )
            lines.append(
                "Sources: " + ", ".join(f"{s} {v['version']}" for s, v in sorted(self.manifest["sources"].items()))
            )
        lines.append(f"Checks: {self.checks_passed} passed, {len(self.checks_failed)} failed")
        for failed in self.checks_failed:
            lines.append(f"  failed check: {failed} (details: {self.locations.checks_dir}/ and the check's metadata)")
        for failure in self.failures:
            lines.append(f"  failed step: {failure}")
        if self.headline:
            lines += ["", *self.headline, ""]
        if self.published:
            lines.append(f"Warehouse: {self.locations.published_db}")
            lines.append(f"Parquet:   {self.locations.parquet_dir}/<schema>/<table>.parquet")
            lines.append(f"Manifest:  {self.locations.manifest}")
            lines.append(f"Build succeeded in {elapsed_seconds:.1f}s.")
        else:
            before = (
                "the last published warehouse is unchanged"
                if self.locations.published_db.exists()
                else f"nothing was published before either (no warehouse at {self.locations.published_db})"
            )
            lines.append(f"Build FAILED after {elapsed_seconds:.1f}s: nothing was published; {before}.")
        return "\n".join(lines)


def release_diff_lines(con) -> list[str]:
    """What changed in the main source since its previous snapshot version, if there is one."""
    import polars as pl

    from pipelines.lib.release_diff import format_summary, summarize_diff

    diff = pl.from_arrow(con.sql("SELECT * FROM marts.release_diff").to_arrow_table())
    if diff.height == 0:
        return ["Release diff: no earlier version of the main source to compare with (or no change)."]
    versions = f"{diff['old_version'][0]} -> {diff['new_version'][0]}"
    return [
        f"Release diff of the main source ({versions}), see marts.release_diff or `flopcast diff`:",
        *("  " + line for line in format_summary(summarize_diff(diff))),
    ]


def curated_lines(con) -> list[str]:
    """The curated layer's effect, and every curated new run the source now has too."""
    counts = con.execute(
        "SELECT estimates, status, count(*) FROM marts.value_provenance GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    if not counts:
        return ["Curated values: none (sources/curated/ is empty)."]
    lines = [
        "Curated values applied (see marts.value_provenance): "
        + ", ".join(f"{estimates}/{status} {n}" for estimates, status, n in counts)
    ]
    for model_id, field_name, status, source, curated, where in con.execute("""
            SELECT model_id, field, status, source_value, curated_value, file || ':' || line
            FROM marts.value_provenance WHERE status IN ('agreement', 'conflict') ORDER BY ALL""").fetchall():
        lines.append(
            f"  {status}: curated new run {model_id} is now in the source too; {field_name} source {source} "
            f"vs curated {curated} ({where}){'; the curated value is used' if status == 'conflict' else ''}"
        )
    return lines


@contextlib.contextmanager
def build_lock(locations: Locations):
    """One build at a time per warehouse (the same lock Dagster-launched runs take: pipelines/lib/build_lock.py)."""
    with warehouse_build_lock(locations.warehouse_dir):
        yield


def reset_build_database(locations: Locations) -> None:
    """Every CLI build starts from an empty private database, so no table of an earlier build
    (or of a build that was killed half-way) can leak into this one's publish."""
    reset_warehouse_build(locations.warehouse_dir, owner=f"flopcast-build-{os.getpid()}")


def run_build(locations: Locations, settings: dict | None = None) -> BuildOutcome:
    """settings: FlopcastResource fields such as as_of, horizon_year, assumption_overrides."""
    with build_lock(locations):
        return _run_build(locations, settings)


def project_instance() -> dg.DagsterInstance:
    """The project's persistent Dagster instance (DAGSTER_HOME, default ./.dagster_home, created with
    make dev's dagster.yaml), so the UI, `dagster asset` commands and sensors see CLI builds."""
    from pipelines.lib.dagster_home import ensure_dagster_home

    return _instance_at(str(ensure_dagster_home()))


@functools.cache
def _instance_at(home: str) -> dg.DagsterInstance:
    instance = dg.DagsterInstance.from_config(home)  # one per process and folder: builds in a test session share it
    keep_sqlite_connections(instance)
    return instance


def keep_sqlite_connections(instance: dg.DagsterInstance) -> bool:
    """Let this process's instance keep its SQLite databases open; True if it now does.

    Dagster's SQLite run and event-log storages create a SQLAlchemy engine, open the file, compile
    the statement and commit (an fsync) for every read and every event: about 1,500 connections and
    3 CPU-s of a bundled build's ~270 events (profiled; BENCHMARKS.md). Here each database file gets
    one engine for the process, whose pool keeps its connections open (and its compiled-statement
    cache warm), and commits in WAL mode wait for the checkpoint's fsync (synchronous=NORMAL: a
    power cut may lose the last events, never corrupt the file). Same files, same rows: `dagster
    dev`, the daemon and `dagster asset` commands read them as before. Only this instance object
    changes (not Dagster's classes); with storages other than Dagster's SQLite ones, or if Dagster's
    internals moved (they are not public API), nothing changes.
    """
    try:
        from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
        from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
    except ImportError:
        return False
    events, runs = instance.event_log_storage, instance.run_storage
    if type(events) is not SqliteEventLogStorage or type(runs) is not SqliteRunStorage:
        return False
    if not (
        callable(getattr(events, "conn_string_for_shard", None))
        and isinstance(getattr(runs, "_conn_string", None), str)
        and hasattr(events, "_db_lock")
        and isinstance(getattr(events, "_initialized_dbs", None), set)
    ):
        return False
    engines: dict[str, object] = {}

    def engine_for(conn_string: str):
        engine = engines.get(conn_string)
        if engine is None:
            import sqlalchemy

            engine = sqlalchemy.create_engine(
                conn_string, pool_size=2, max_overflow=4, connect_args={"timeout": 15, "check_same_thread": False}
            )
            sqlalchemy.event.listen(engine, "connect", _sqlite_commits_without_fsync)
            engines[conn_string] = engine
        return engine

    @contextlib.contextmanager
    def events_connect(shard: str):
        with events._db_lock:
            engine = engine_for(events.conn_string_for_shard(shard))
            if shard not in events._initialized_dbs:
                events._initdb(engine)
                events._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    @contextlib.contextmanager
    def runs_connect():
        with engine_for(runs._conn_string).connect() as conn, conn.begin():
            yield conn

    events._connect = events_connect
    runs.connect = runs_connect
    return True


def _sqlite_commits_without_fsync(dbapi_connection, _record) -> None:
    (mode,) = dbapi_connection.execute("PRAGMA journal_mode").fetchone()
    if str(mode).lower() == "wal":  # in rollback-journal mode NORMAL could corrupt on a power cut: leave it
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _run_build(locations: Locations, settings: dict | None) -> BuildOutcome:
    reset_build_database(locations)  # also removes half-staged releases
    definitions = build_definitions(locations, default_sql_dir(), settings)
    job = definitions.resolve_job_def(BUILD_JOB)
    # In-process, every step can share one open private database (see warehouse.held_open).
    with held_open(locations.build_db):
        result = job.execute_in_process(
            run_config={"loggers": {"progress": {}}},
            instance=project_instance(),
            raise_on_error=False,
        )
    outcome = BuildOutcome(success=result.success, locations=locations)
    for event in result.get_asset_check_evaluations():
        name = f"{event.asset_key.to_user_string()}:{event.check_name}"
        if event.passed:
            outcome.checks_passed += 1
        else:
            outcome.checks_failed.append(name)
    for event in result.get_step_failure_events():
        outcome.failures.append(f"{event.step_key}: {root_error_message(event)}")
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    outcome.published = dg.AssetKey(["publish"]) in materialized
    outcome.success = outcome.success and outcome.published
    if outcome.published:
        outcome.manifest = json.loads(locations.manifest.read_text(encoding="utf-8"))
        with connect(locations.published_db, read_only=True) as con:
            outcome.quarantined = dict(
                con.execute(
                    "SELECT source, count(*) FROM quarantine.rejected_rows GROUP BY source ORDER BY source"
                ).fetchall()
            )
            outcome.rejected_cells = dict(
                con.execute(
                    "SELECT source, count(*) FROM quarantine.rejected_cells GROUP BY source ORDER BY source"
                ).fetchall()
            )
            outcome.headline = headline_lines(con) + release_diff_lines(con) + curated_lines(con)
    return outcome
