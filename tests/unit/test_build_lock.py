"""One lock and one reset for every build however it starts (issue 17, classes 7 and 10): a run
Dagster launches takes the same lock as `flopcast build`, a second build is refused without touching
the first one's files, and planted links are refused instead of followed."""

from __future__ import annotations

import fcntl
from pathlib import Path

import dagster as dg
import pytest

from pipelines.lib import build_lock
from pipelines.lib.build_lock import BuildLocked, UnsafePath
from pipelines.lib.warehouse import Locations


@pytest.fixture
def other_process_lock(tmp_path):
    """The lock as another process would hold it: its own open file description, flock'ed."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    handle = open(warehouse / ".build.lock", "a+")
    handle.write("424242")
    handle.flush()
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    yield warehouse
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


def test_a_second_build_is_refused_with_the_holders_pid(other_process_lock):
    with pytest.raises(BuildLocked, match=r"another flopcast build is running .* \(pid 424242\)"):
        build_lock.acquire(other_process_lock)
    assert not build_lock.held_here(other_process_lock)


def test_the_lock_is_reentrant_in_one_process_and_released_at_depth_zero(tmp_path):
    warehouse = tmp_path / "warehouse"
    assert build_lock.acquire(warehouse) is True
    assert build_lock.acquire(warehouse) is False  # the CLI holds it around the Dagster run it starts
    build_lock.release(warehouse)
    assert build_lock.held_here(warehouse)
    build_lock.release(warehouse)
    assert not build_lock.held_here(warehouse)
    with open(warehouse / ".build.lock") as handle:  # really released: another description can take it
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


@pytest.mark.parametrize("name", [".build.lock", ".build", "releases"])
def test_planted_links_are_refused_and_their_targets_untouched(tmp_path, name):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    victim = tmp_path / "victim"
    if name == ".build.lock":
        victim.write_text("precious\n")
    else:
        victim.mkdir()
        (victim / "precious.txt").write_text("precious\n")
    (warehouse / name).symlink_to(victim)
    with pytest.raises(UnsafePath, match="symbolic link") as error:
        build_lock.acquire(warehouse)
    assert "precious" not in str(error.value)
    if name == ".build.lock":
        assert victim.read_text() == "precious\n"
    else:
        assert (victim / "precious.txt").read_text() == "precious\n"
    assert not build_lock.held_here(warehouse)


def test_a_run_resets_the_private_database_once_and_refuses_a_takeover_between_steps(tmp_path):
    warehouse = tmp_path / "warehouse"
    stale = warehouse / ".build" / "flopcast.duckdb"
    stale.parent.mkdir(parents=True)
    stale.write_text("left by a killed build")
    assert build_lock.claim_for_run(warehouse, "run-a", whole_graph=True, ran_steps_before=lambda: False)
    assert not stale.exists() and build_lock.owner_of(warehouse) == "run-a"
    stale.write_text("written by run-a's first step")
    build_lock.release(warehouse)
    # run-a's next step process (multiprocess executor): same owner, nothing reset.
    assert build_lock.claim_for_run(warehouse, "run-a", whole_graph=True, ran_steps_before=lambda: True)
    assert stale.read_text() == "written by run-a's first step"
    build_lock.release(warehouse)
    # Another build took the private database between run-a's steps: run-a stops, it does not reset.
    build_lock.reset_build_database(warehouse, owner="flopcast-build-1")
    stale.write_text("the other build's table")
    with pytest.raises(BuildLocked, match="changed hands"):
        build_lock.claim_for_run(warehouse, "run-a", whole_graph=True, ran_steps_before=lambda: True)
    assert stale.read_text() == "the other build's table" and not build_lock.held_here(warehouse)
    # A run of a few selected assets keeps the private database (to redo one step).
    assert build_lock.claim_for_run(warehouse, "run-b", whole_graph=False, ran_steps_before=lambda: False)
    assert stale.read_text() == "the other build's table"
    build_lock.release(warehouse)


def _job(warehouse: Path):
    from pipelines.definitions import build_definitions, default_sql_dir

    sources = Path(__file__).resolve().parents[2] / "sources"
    definitions = build_definitions(Locations(sources_dir=sources, warehouse_dir=warehouse), default_sql_dir())
    return definitions.resolve_job_def("build_warehouse")


def test_a_dagster_launched_run_is_refused_while_another_build_holds_the_warehouse(other_process_lock):
    private = other_process_lock / ".build" / "flopcast.duckdb"
    private.parent.mkdir()
    private.write_text("the running build's database")
    result = _job(other_process_lock).execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    errors = " ".join(
        e.event_specific_data.error.to_string()
        for e in result.all_events
        if getattr(e.event_specific_data, "error", None) is not None
    )
    assert "another flopcast build is running" in errors, failure
    assert private.read_text() == "the running build's database"  # nothing deleted
    assert not result.get_step_success_events()


def test_a_dagster_launched_run_holds_the_lock_while_its_steps_run(tmp_path, monkeypatch):
    """The lock is taken when the run's resources are set up and held until they are torn down."""
    from pipelines.defs import run_lock

    seen = []
    original_claim, original_release = run_lock.claim, run_lock.release

    def claim(warehouse_dir, context):
        original_claim(warehouse_dir, context)
        seen.append(("claimed", build_lock.held_here(Path(warehouse_dir))))
        raise RuntimeError("stop here: the claim is what this test is about")

    monkeypatch.setattr(run_lock, "claim", claim)
    warehouse = tmp_path / "warehouse"
    (warehouse / ".build").mkdir(parents=True)
    (warehouse / ".build" / "flopcast.duckdb").write_text("a killed build's leftovers")
    result = _job(warehouse).execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success and seen == [("claimed", True)]
    assert not (warehouse / ".build" / "flopcast.duckdb").exists()  # the whole-graph run started fresh
    build_lock.release(warehouse)  # the failed setup is never torn down; release what the test's claim took
    assert not build_lock.held_here(warehouse)
    del original_release
