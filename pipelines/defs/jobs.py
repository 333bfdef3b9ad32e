"""The job `build_warehouse`: the whole graph, sources to published warehouse.

Its own module so that the entry point (pipelines/definitions.py) and the automation that requests
it (pipelines/defs/schedules.py) both import it without importing each other.
"""

import dagster as dg

BUILD_JOB = "build_warehouse"


def build_job():
    """The whole graph as one asset job (resolved against the assets of the Definitions it joins)."""
    return dg.define_asset_job(
        BUILD_JOB, selection=dg.AssetSelection.all(), description="The whole graph: sources to published warehouse."
    )
