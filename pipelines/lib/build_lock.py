"""One build at a time per warehouse, and one fresh private database per build, however it starts.

`flopcast build` and every run Dagster launches (the UI, schedules, sensors, `dagster job execute`)
go through here: the CLI wraps its run in ``build_lock``; Dagster runs claim the same lock when the
``flopcast`` resource is set up (``claim_for_run``). The lock is ``flock`` on
``<warehouse>/.build.lock``, released by the kernel when its holder dies. A second build on the same
warehouse is refused with the holder's pid; it never waits, and it never touches the first one's files.

Reset: a build of the whole graph starts from an empty private database (``<warehouse>/.build/``)
and no half-staged release, so nothing an earlier or killed build left can leak into this one. The
owner of the private database is written to ``.build/OWNER``; with the multiprocess executor each
step process claims the lock again, and a step that finds another owner after this run already
ran steps (another build got in between) is refused instead of continuing on someone else's tables.

Planted links are refused: ``.build.lock``, ``.build`` and ``releases`` must be a real file or
folder (a link could make a build truncate, delete or publish inside another folder).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.safe_files import UnsafePath, open_no_follow, refuse_symlink

LOCK_NAME = ".build.lock"
BUILD_FOLDER = ".build"
OWNER_NAME = "OWNER"


class BuildLocked(RuntimeError):
    """Another build holds the warehouse, or the private database changed hands during this run."""


@dataclass
class _Held:
    descriptor: int
    depth: int


_held: dict[str, _Held] = {}  # warehouse folder -> the lock this process holds on it
_guard = threading.Lock()


def _key(warehouse_dir: Path) -> str:
    return os.path.abspath(warehouse_dir)


def check_layout(warehouse_dir: Path) -> None:
    """UnsafePath if a name the build writes, deletes or prunes in is a symbolic link."""
    for name, what in (
        (LOCK_NAME, "the build lock"),
        (BUILD_FOLDER, "the private build folder"),
        ("releases", "the releases folder"),
    ):
        refuse_symlink(Path(warehouse_dir) / name, what)


def held_here(warehouse_dir: Path) -> bool:
    """Whether this process already holds the build lock of the warehouse (a nested build_lock then only counts)."""
    with _guard:
        return _key(warehouse_dir) in _held


def acquire(warehouse_dir: Path) -> bool:
    """Take the warehouse's build lock; True if this call took it, False if this process already
    held it (re-entrant: the CLI holds it around the Dagster run it starts). BuildLocked if another
    process holds it; UnsafePath if the lock file or a folder the build deletes is a link."""
    warehouse_dir = Path(warehouse_dir)
    key = _key(warehouse_dir)
    with _guard:
        if key in _held:
            _held[key].depth += 1
            return False
        warehouse_dir.mkdir(parents=True, exist_ok=True)
        check_layout(warehouse_dir)
        descriptor = open_no_follow(warehouse_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, what="the build lock")
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(descriptor)
            raise BuildLocked(
                f"another flopcast build is running on {warehouse_dir} (pid {holder}); wait for it to finish"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode("ascii"), 0)
        _held[key] = _Held(descriptor, 1)
        return True


def release(warehouse_dir: Path) -> None:
    """Undo one acquire; the lock file is unlocked when the outermost holder in this process releases it."""
    key = _key(warehouse_dir)
    with _guard:
        held = _held.get(key)
        if held is None:
            return
        held.depth -= 1
        if held.depth == 0:
            del _held[key]
            fcntl.flock(held.descriptor, fcntl.LOCK_UN)
            os.close(held.descriptor)


@contextlib.contextmanager
def build_lock(warehouse_dir: Path) -> Iterator[None]:
    """Hold the warehouse's build lock for the block, so that one build at a time writes it."""
    acquire(warehouse_dir)
    try:
        yield
    finally:
        release(warehouse_dir)


def reset_build_database(warehouse_dir: Path, owner: str | None = None) -> None:
    """Start from an empty private database and no half-staged release; callers hold the lock."""
    from pipelines.lib.publish import remove_stale_staging

    check_layout(warehouse_dir)
    build = Path(warehouse_dir) / BUILD_FOLDER
    shutil.rmtree(build, ignore_errors=True)
    remove_stale_staging(Path(warehouse_dir))
    if owner is not None:
        build.mkdir(parents=True, exist_ok=True)
        (build / OWNER_NAME).write_text(owner + "\n", encoding="utf-8")


def owner_of(warehouse_dir: Path) -> str | None:
    """The owner recorded in the private build folder (the run that reset it), None if there is none."""
    try:
        return (Path(warehouse_dir) / BUILD_FOLDER / OWNER_NAME).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def claim_for_run(warehouse_dir: Path, run_id: str, *, whole_graph: bool, ran_steps_before: Callable[[], bool]) -> bool:
    """The lock and reset for a run Dagster launched; True if this call took the lock (release it
    with ``release``), False if the CLI build in this process already holds it (and reset).

    whole_graph: the run rebuilds everything, so it starts from an empty private database; a run of a
    few selected assets keeps it (to redo a step) under the same lock. ran_steps_before: whether this
    run already finished steps (multiprocess: each step process claims again).
    """
    if not acquire(warehouse_dir):
        return False
    try:
        owner = owner_of(warehouse_dir)
        if owner != run_id:
            if ran_steps_before():
                raise BuildLocked(
                    f"the private database in {Path(warehouse_dir) / BUILD_FOLDER} changed hands while this "
                    f"run was between steps (now {owner or 'reset'}): another build ran in between; "
                    "nothing was published by this run, start it again"
                )
            if whole_graph:
                reset_build_database(warehouse_dir, owner=run_id)
            else:
                (Path(warehouse_dir) / BUILD_FOLDER).mkdir(parents=True, exist_ok=True)
                (Path(warehouse_dir) / BUILD_FOLDER / OWNER_NAME).write_text(run_id + "\n", encoding="utf-8")
    except BaseException:
        release(warehouse_dir)
        raise
    return True


__all__ = [
    "BuildLocked",
    "UnsafePath",
    "acquire",
    "release",
    "build_lock",
    "claim_for_run",
    "reset_build_database",
    "check_layout",
    "held_here",
]
