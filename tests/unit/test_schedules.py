"""The monthly schedule and the new-source-version sensor, evaluated with Dagster's own test contexts.

They are built straight from pipelines.defs.schedules, so these tests do not depend on how
build_definitions wires them in.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import dagster as dg
import pytest

from pipelines.definitions import BUILD_JOB, build_definitions, default_sql_dir
from pipelines.defs import schedules
from pipelines.lib.source_state import newest_versions, source_fingerprint
from pipelines.lib.sources import MANIFEST_NAME, SOURCES, list_versions
from pipelines.lib.warehouse import Locations
from tests.conftest import BUNDLED_SOURCES, copy_sources

NEW_VERSION = "2026-07-20"


@pytest.fixture
def locations(tmp_path) -> Locations:
    return Locations(sources_dir=copy_sources(tmp_path / "sources"), warehouse_dir=tmp_path / "warehouse")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in (schedules.CRON_ENV, schedules.INTERVAL_ENV, schedules.RUNNING_ENV):
        monkeypatch.delenv(name, raising=False)


def add_version(locations: Locations, source: str = "epoch_notable_models", version: str = NEW_VERSION) -> None:
    """A copy of the newest version folder under a new name, its manifest saying so."""
    folder = locations.sources_dir / source
    target = folder / version
    shutil.copytree(folder / list_versions(locations.sources_dir, source)[-1], target)
    manifest = json.loads((target / MANIFEST_NAME).read_text(encoding="utf-8"))
    manifest["version"] = version
    (target / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def publish_manifest(locations: Locations, versions: dict[str, str]) -> None:
    locations.warehouse_dir.mkdir(parents=True, exist_ok=True)
    manifest = {"format": 1, "sources": {name: {"version": v} for name, v in versions.items()}, "tables": {}}
    locations.manifest.write_text(json.dumps(manifest), encoding="utf-8")


def evaluate(sensor: dg.SensorDefinition, cursor: str | None):
    with dg.DagsterInstance.ephemeral() as instance:
        return sensor.evaluate_tick(dg.build_sensor_context(cursor=cursor, instance=instance, sensor_name=sensor.name))


# --- the schedule ---------------------------------------------------------------------------


def test_schedule_requests_the_build_job(tmp_path):
    (schedule,), _ = schedules.schedule_definitions(Locations(sources_dir=BUNDLED_SOURCES, warehouse_dir=tmp_path))
    assert schedule.name == "monthly_build"
    assert schedule.job_name == BUILD_JOB
    assert schedule.cron_schedule == "0 6 1 * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 8, 1, 6, tzinfo=dt.UTC))
    data = schedule.evaluate_tick(context)
    assert len(data.run_requests) == 1
    request = data.run_requests[0]
    assert request.job_name in (None, BUILD_JOB)  # None: the schedule's own job
    assert request.tags["dagster/schedule_name"] == "monthly_build"


def test_schedule_cron_and_status_come_from_the_environment(monkeypatch, locations):
    monkeypatch.setenv(schedules.CRON_ENV, "30 2 * * 1")
    monkeypatch.setenv(schedules.RUNNING_ENV, "1")
    (schedule,), (sensor,) = schedules.schedule_definitions(locations)
    assert schedule.cron_schedule == "30 2 * * 1"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 8, 3, 2, 30, tzinfo=dt.UTC))
    assert len(schedule.evaluate_tick(context).run_requests) == 1


def test_bad_environment_values_fail_when_definitions_load(monkeypatch, locations):
    monkeypatch.setenv(schedules.CRON_ENV, "every month")
    with pytest.raises(ValueError, match="FLOPCAST_BUILD_CRON"):
        schedules.schedule_definitions(locations)
    monkeypatch.delenv(schedules.CRON_ENV)
    monkeypatch.setenv(schedules.INTERVAL_ENV, "soon")
    with pytest.raises(ValueError, match="FLOPCAST_SENSOR_INTERVAL_SECONDS"):
        schedules.schedule_definitions(locations)
    monkeypatch.setenv(schedules.INTERVAL_ENV, "5")
    monkeypatch.setenv(schedules.RUNNING_ENV, "maybe")
    with pytest.raises(ValueError, match="FLOPCAST_SCHEDULES_RUNNING"):
        schedules.schedule_definitions(locations)


def test_schedule_and_sensor_resolve_against_the_real_definitions(locations):
    """The job both target exists in build_definitions (which adds them itself once they are wired in)."""
    defs = build_definitions(locations, default_sql_dir())
    if not any(s.name == schedules.SENSOR_NAME for s in defs.sensors or []):
        schedule_defs, sensor_defs = schedules.schedule_definitions(locations)
        defs = dg.Definitions.merge(defs, dg.Definitions(schedules=schedule_defs, sensors=sensor_defs))
    repository = defs.get_repository_def()
    assert repository.get_schedule_def("monthly_build").job_name == BUILD_JOB
    assert repository.get_sensor_def("new_source_version").job_name == BUILD_JOB
    assert repository.get_sensor_def("new_source_version").minimum_interval_seconds == 60


# --- the fingerprint ------------------------------------------------------------------------


def test_fingerprint_changes_exactly_when_a_version_folder_with_a_manifest_comes_or_goes(locations):
    before = source_fingerprint(locations.sources_dir)
    assert before == source_fingerprint(locations.sources_dir)
    (locations.sources_dir / "epoch_notable_models" / ".incoming-x").mkdir()  # no manifest: does not count
    (locations.sources_dir / "epoch_notable_models" / "notes.txt").write_text("hello")
    assert source_fingerprint(locations.sources_dir) == before
    add_version(locations)
    added = source_fingerprint(locations.sources_dir)
    assert added != before
    assert newest_versions(locations.sources_dir)["epoch_notable_models"] == NEW_VERSION
    shutil.rmtree(locations.sources_dir / "epoch_notable_models" / NEW_VERSION)
    assert source_fingerprint(locations.sources_dir) == before


def test_newest_versions_covers_every_bundled_source(locations):
    newest = newest_versions(locations.sources_dir)
    assert set(newest) == {s.name for s in SOURCES}
    assert newest["epoch_notable_models"] == list_versions(locations.sources_dir, "epoch_notable_models")[-1]


# --- the sensor -----------------------------------------------------------------------------


def test_sensor_builds_on_first_evaluation_then_skips_then_builds_a_new_version(locations):
    sensor = schedules.new_source_version_sensor(locations)
    assert sensor.name == "new_source_version" and sensor.job_name == BUILD_JOB
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED

    first = evaluate(sensor, cursor=None)  # no cursor, no warehouse yet
    assert [r.run_key for r in first.run_requests] == [source_fingerprint(locations.sources_dir)]
    assert first.cursor == source_fingerprint(locations.sources_dir)
    tag = first.run_requests[0].tags[schedules.SOURCES_TAG]
    assert "epoch_notable_models=" in tag and tag.count("=") == len(SOURCES)

    same = evaluate(sensor, cursor=first.cursor)
    assert not same.run_requests
    assert same.skip_message == "no new source version"
    assert same.cursor == first.cursor

    add_version(locations)
    new = evaluate(sensor, cursor=same.cursor)
    assert len(new.run_requests) == 1
    assert new.run_requests[0].run_key == new.cursor != first.cursor
    assert f"epoch_notable_models={NEW_VERSION}" in new.run_requests[0].tags[schedules.SOURCES_TAG]

    assert evaluate(sensor, cursor=new.cursor).skip_message == "no new source version"


def test_sensor_without_cursor_skips_when_the_published_warehouse_has_the_newest_versions(locations):
    sensor = schedules.new_source_version_sensor(locations)
    publish_manifest(locations, newest_versions(locations.sources_dir))
    result = evaluate(sensor, cursor=None)
    assert not result.run_requests
    assert "already uses the newest version" in result.skip_message
    assert result.cursor == source_fingerprint(locations.sources_dir)

    # A published warehouse from older versions is rebuilt.
    add_version(locations)
    assert len(evaluate(sensor, cursor=None).run_requests) == 1


def test_sensor_via_direct_invocation(locations):
    """Plain `sensor(context)`, as Dagster's docs test sensors."""
    sensor = schedules.new_source_version_sensor(locations, minimum_interval_seconds=5)
    assert sensor.minimum_interval_seconds == 5
    with dg.DagsterInstance.ephemeral() as instance:
        result = sensor(dg.build_sensor_context(cursor=None, instance=instance))
    assert isinstance(result, dg.SensorResult)
    assert result.cursor == source_fingerprint(locations.sources_dir)
    assert [r.run_key for r in result.run_requests] == [result.cursor]
