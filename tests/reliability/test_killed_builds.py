"""A build killed with SIGKILL at any moment leaves the last published warehouse exactly as it was,
and the next build succeeds without anyone cleaning up.

CI runs FLOPCAST_KILL_RUNS (default 6) kills; `make reliability` runs 24.
"""

from __future__ import annotations

import os
import shutil
import signal
import time

import pytest

from pipelines.lib.warehouse import Locations
from tests.conftest import copy_sources
from tests.reliability.conftest import run_build, start_build, verify_published

pytestmark = [pytest.mark.integration, pytest.mark.slow]
KILLS = int(os.environ.get("FLOPCAST_KILL_RUNS", "6"))


def test_sigkill_at_many_moments_never_damages_the_published_warehouse(built, tmp_path):
    sources = copy_sources(tmp_path / "sources")
    warehouse = tmp_path / "warehouse"
    shutil.copytree(built.warehouse_dir, warehouse, symlinks=True, ignore=shutil.ignore_patterns(".build"))
    published = verify_published(warehouse)

    # How long a whole build takes here, so the kill moments can cover all of it (imports to publish).
    started = time.monotonic()
    run_build(sources, warehouse, log=tmp_path / "timing.log")
    duration = time.monotonic() - started
    assert verify_published(warehouse) == published  # same inputs, same manifest

    survived, finished_first = 0, 0
    for attempt in range(KILLS):
        moment = duration * (attempt + 0.5) / KILLS
        log = tmp_path / f"kill-{attempt}.log"
        process = start_build(sources, warehouse, log=log)
        try:
            process.wait(timeout=moment)
            finished_first += 1  # the build won the race: it must have published the same content
        except Exception:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        assert verify_published(warehouse) == published, f"kill {attempt} at {moment:.1f}s: {log.read_text()[-2000:]}"
        assert not list((warehouse / "releases").glob("*/flopcast.duckdb.wal"))
        survived += 1

    # Nothing to clean by hand: the next build takes the lock, clears the stale private database and
    # staging folders, and publishes.
    run_build(sources, warehouse, log=tmp_path / "after.log")
    assert verify_published(warehouse) == published
    assert not list((warehouse / "releases").glob(".staging-*"))
    print(
        f"\nkilled builds: {survived} kills survived ({finished_first} builds finished before their kill moment), "
        f"build time {duration:.1f}s"
    )
    assert Locations(sources, warehouse).published_db.is_file()
