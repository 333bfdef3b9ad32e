"""The Dagster entry point: `dagster dev -m pipelines.definitions` and `flopcast build` load this.

Nothing happens at import time; the graph (including reading dbt_like_sql/) is built when Dagster
calls `defs`.
"""

from pathlib import Path

import dagster as dg

from pipelines.defs.jobs import BUILD_JOB, build_job
from pipelines.lib.column_docs import default_sql_dir  # FLOPCAST_SQL_DIR or dbt_like_sql/; its docs load from there too
from pipelines.lib.warehouse import Locations, default_locations

__all__ = ["BUILD_JOB", "build_definitions", "default_sql_dir", "defs"]


def build_definitions(
    locations: Locations, sql_dir: Path, settings: dict | None = None, executor: str | None = None
) -> dg.Definitions:
    """settings: optional FlopcastResource fields (as_of, horizon_year, assumption_overrides, ...).
    executor: "in_process" or "multiprocess"; None reads FLOPCAST_EXECUTOR (default in_process)."""
    from pipelines.defs.analysis import analysis_assets
    from pipelines.defs.checks import clean_checks
    from pipelines.defs.clean import clean_asset_key, clean_assets
    from pipelines.defs.curated import curated
    from pipelines.defs.executor import executor_definition
    from pipelines.defs.ingest import raw_assets
    from pipelines.defs.progress import progress_logger
    from pipelines.defs.publish import publish_asset
    from pipelines.defs.release import release_diff
    from pipelines.defs.report import report
    from pipelines.defs.resources import FlopcastResource
    from pipelines.defs.schedules import schedule_definitions
    from pipelines.defs.sql_models import build_sql_definitions
    from pipelines.lib.sources import SOURCES
    from pipelines.lib.stages import QUARANTINE_TABLE, REJECTED_CELLS_TABLE, clean_table_name

    executor_def = executor_definition(executor)  # a bad FLOPCAST_EXECUTOR fails before any SQL is read
    # Tables the SQL models may read that Python assets produce, and the assets that produce them.
    external = {f"raw.{s.name}": [dg.AssetKey(["raw", s.name])] for s in SOURCES}
    external |= {f"clean.{clean_table_name(s.name)}": [clean_asset_key(s.name)] for s in SOURCES}
    external[".".join(QUARANTINE_TABLE)] = [clean_asset_key(s.name) for s in SOURCES]
    external[".".join(REJECTED_CELLS_TABLE)] = [clean_asset_key(s.name) for s in SOURCES]
    external["intermediate.notable_models_curated"] = [dg.AssetKey(["intermediate", "notable_models_curated"])]
    external["clean.curated_values"] = [dg.AssetKey(["clean", "curated_values"])]
    external["marts.value_provenance"] = [dg.AssetKey(["marts", "value_provenance"])]
    sql_assets, sql_checks = build_sql_definitions(sql_dir, external)

    computed = [*raw_assets, *clean_assets, curated, *sql_assets, *analysis_assets, release_diff, report]
    upstream = sorted({key for a in computed for key in a.keys}, key=lambda k: k.to_user_string())
    assets = [*computed, publish_asset(upstream)]
    schedules, sensors = schedule_definitions(locations)
    return dg.Definitions(
        assets=assets,
        asset_checks=[*clean_checks, *sql_checks],
        jobs=[build_job()],
        schedules=schedules,
        sensors=sensors,
        # Every step writes the one private DuckDB file, which allows a single writer process: the
        # default multiprocess executor fails with "Could not set lock". FLOPCAST_EXECUTOR=multiprocess
        # gives each step its own process, one at a time (and a process per step is slow).
        executor=executor_def,
        resources={
            "flopcast": FlopcastResource(
                sources_dir=str(locations.sources_dir), warehouse_dir=str(locations.warehouse_dir), **(settings or {})
            )
        },
        loggers={"progress": progress_logger},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(default_locations(), default_sql_dir())
