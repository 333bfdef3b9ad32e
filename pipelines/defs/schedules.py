"""Automation for `build_warehouse`: a monthly schedule and a sensor that builds when a source version appears.

Both are read when the definitions load (`dagster dev`, `dagster-daemon run`), from these variables:

* ``FLOPCAST_BUILD_CRON``: cron string of the ``monthly_build`` schedule, in UTC
  (default ``0 6 1 * *``: 06:00 UTC on the 1st of every month).
* ``FLOPCAST_SENSOR_INTERVAL_SECONDS``: how often the ``new_source_version`` sensor looks at
  ``sources/`` at most (default 60; the daemon's own loop makes a few seconds the practical minimum).
* ``FLOPCAST_SCHEDULES_RUNNING=1``: start the schedule and the sensor by default.

Default status is STOPPED (Dagster's own default) on purpose: `make dev` on a laptop must not start
a build at 06:00 or whenever someone drops a file into ``sources/`` unless the user asked for it.
Turn either on in the UI (Automation), or with ``dagster schedule start monthly_build`` /
``dagster sensor start new_source_version`` against the same DAGSTER_HOME; that choice is stored in
DAGSTER_HOME and outlives restarts. ``FLOPCAST_SCHEDULES_RUNNING=1`` is for a headless deployment
(``dagster-daemon run`` on a server) where nobody clicks a toggle; a toggle set in the UI still wins.

Only wiring here; the sensor's rule lives in ``pipelines/lib/source_state.py``.
"""

from __future__ import annotations

import os

import dagster as dg

from pipelines.defs.jobs import BUILD_JOB
from pipelines.lib.source_state import decide, describe_versions
from pipelines.lib.warehouse import Locations

SCHEDULE_NAME = "monthly_build"
SENSOR_NAME = "new_source_version"
DEFAULT_BUILD_CRON = "0 6 1 * *"
DEFAULT_SENSOR_INTERVAL_SECONDS = 60
CRON_ENV = "FLOPCAST_BUILD_CRON"
INTERVAL_ENV = "FLOPCAST_SENSOR_INTERVAL_SECONDS"
RUNNING_ENV = "FLOPCAST_SCHEDULES_RUNNING"
SOURCES_TAG = "flopcast/sources"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _running_from_env() -> bool:
    value = os.environ.get(RUNNING_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{RUNNING_ENV}={os.environ[RUNNING_ENV]!r}: expected 1 or 0")


def _interval_from_env() -> int:
    raw = os.environ.get(INTERVAL_ENV, "").strip()
    if not raw:
        return DEFAULT_SENSOR_INTERVAL_SECONDS
    try:
        seconds = int(raw)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise ValueError(f"{INTERVAL_ENV}={raw!r}: expected a whole number of seconds >= 1")
    return seconds


def build_cron_from_env() -> str:
    return os.environ.get(CRON_ENV, "").strip() or DEFAULT_BUILD_CRON


def build_schedule(cron: str = DEFAULT_BUILD_CRON, *, running: bool = False) -> dg.ScheduleDefinition:
    """`monthly_build`: the whole graph on a cron (UTC). A rebuild of unchanged sources publishes identical tables."""
    try:
        return dg.ScheduleDefinition(
            name=SCHEDULE_NAME,
            cron_schedule=cron,
            job_name=BUILD_JOB,
            execution_timezone="UTC",
            default_status=dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED,
            description=f"Rebuild and publish the warehouse on the cron {cron!r} (UTC; set {CRON_ENV} to change it).",
        )
    except dg.DagsterInvalidDefinitionError as error:
        raise ValueError(f"invalid build cron {cron!r} (from {CRON_ENV} or the default): {error}") from error


def new_source_version_sensor(
    locations: Locations, minimum_interval_seconds: int = DEFAULT_SENSOR_INTERVAL_SECONDS, *, running: bool = False
) -> dg.SensorDefinition:
    """`new_source_version`: requests `build_warehouse` when a version folder appears in (or leaves) sources/.

    The cursor is the source fingerprint and the run key is the fingerprint too, so one set of
    sources is built at most once per sensor (see ``source_state.decide`` for the exact rule).
    """

    @dg.sensor(
        name=SENSOR_NAME,
        job_name=BUILD_JOB,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED,
        description=f"Build and publish when a version folder with a manifest is added to or removed from {locations.sources_dir}.",
    )
    def _new_source_version(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        decision = decide(locations.sources_dir, locations.manifest, context.cursor)
        if not decision.request_build:
            return dg.SensorResult(skip_reason=dg.SkipReason(decision.reason), cursor=decision.cursor)
        context.log.info(f"{decision.reason}: requesting {BUILD_JOB} for {describe_versions(decision.versions)}")
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(run_key=decision.cursor, tags={SOURCES_TAG: describe_versions(decision.versions)})
            ],
            cursor=decision.cursor,
        )

    return _new_source_version


def schedule_definitions(locations: Locations) -> tuple[list[dg.ScheduleDefinition], list[dg.SensorDefinition]]:
    """(schedules, sensors) for `build_definitions`, configured from the FLOPCAST_* variables above."""
    running = _running_from_env()
    return (
        [build_schedule(build_cron_from_env(), running=running)],
        [new_source_version_sensor(locations, _interval_from_env(), running=running)],
    )
