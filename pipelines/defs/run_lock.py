"""The build lock and reset for runs Dagster launches (the UI, schedules, sensors, `dagster job execute`).

Called from the `flopcast` resource's setup and teardown, so every run, however it starts, holds the
warehouse's build lock while its steps run (pipelines/lib/build_lock.py says how, and why).
"""

from pathlib import Path

import dagster as dg

from pipelines.lib import build_lock
from pipelines.lib.sources import SOURCES


def _whole_graph(run: dg.DagsterRun | None) -> bool:
    """A run that rebuilds from the sources and publishes starts from an empty private database."""
    selection = run.asset_selection if run is not None else None
    if not selection:
        return True
    needed = {dg.AssetKey(["publish"])} | {dg.AssetKey(["raw", spec.name]) for spec in SOURCES}
    return needed <= set(selection)


def claim(warehouse_dir: str, context: dg.InitResourceContext) -> None:
    run_id = context.run.run_id if context.run is not None else None
    if not run_id:  # resources built outside a run (e.g. build_resources in a test): nothing to guard
        return

    def ran_steps_before() -> bool:
        instance = context.instance
        if instance is None:
            return False
        return bool(instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS, limit=1).records)

    build_lock.claim_for_run(
        Path(warehouse_dir), run_id, whole_graph=_whole_graph(context.run), ran_steps_before=ran_steps_before
    )


def release(warehouse_dir: str, context: dg.InitResourceContext) -> None:
    if context.run is not None:
        build_lock.release(Path(warehouse_dir))
