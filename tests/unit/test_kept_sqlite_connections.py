"""`flopcast build` keeps the Dagster instance's SQLite databases open (pipelines/cli/build.py,
keep_sqlite_connections): what it records must be what Dagster itself reads from the same files."""

from __future__ import annotations

import dagster as dg

from pipelines.cli.build import keep_sqlite_connections


@dg.asset
def upstream_table() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset(deps=[upstream_table])
def downstream_table() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 2})


@dg.asset_check(asset=downstream_table, blocking=True)
def downstream_has_rows() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def test_runs_recorded_through_kept_connections_are_read_by_a_plain_instance(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    recording = dg.DagsterInstance.from_config(str(tmp_path))
    assert keep_sqlite_connections(recording)
    for _ in range(2):  # a second run reuses the open connections
        result = dg.materialize([upstream_table, downstream_table, downstream_has_rows], instance=recording)
        assert result.success

    plain = dg.DagsterInstance.from_config(str(tmp_path))  # Dagster's own storages, a new connection per call
    runs = plain.get_run_records()
    assert len(runs) == 2 and all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    latest = plain.get_latest_materialization_event(dg.AssetKey("downstream_table"))
    assert latest is not None and latest.run_id == result.run_id
    assert latest.asset_materialization.metadata["rows"] == dg.IntMetadataValue(2)
    check = plain.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("downstream_table"), "downstream_has_rows")]
    )
    assert next(iter(check.values())).run_id == result.run_id
    events = plain.all_logs(result.run_id)
    assert len(events) == len(recording.all_logs(result.run_id)) > 10


def test_other_storages_are_left_alone():
    assert not keep_sqlite_connections(dg.DagsterInstance.ephemeral())
