"""marts.release_diff: what changed in the main source between the version this build uses and the previous one."""

import dagster as dg

from pipelines.defs.resources import FlopcastResource
from pipelines.lib.release_diff import MAIN_SOURCE, format_summary, release_diff_for_build, summarize_diff
from pipelines.lib.sources import load_snapshot
from pipelines.lib.warehouse import connect, quote, write_table


@dg.asset(
    key=["marts", "release_diff"],
    deps=[dg.AssetKey(["raw", MAIN_SOURCE])],
    group_name="marts",
    kinds={"duckdb", "polars"},
    description="Typed changes in the clean notable-models rows between the snapshot version this build uses "
    "and the one before it (added, removed, changed per column, quarantined, unquarantined); "
    "empty when there is no earlier version.",
)
def release_diff(flopcast: FlopcastResource) -> dg.MaterializeResult:
    sources_dir = flopcast.locations.sources_dir
    with connect(flopcast.locations.build_db) as con:
        # The version raw.* actually loaded (pins included).
        (used,) = con.execute(f"SELECT min(_source_version) FROM raw.{quote(MAIN_SOURCE)}").fetchone()
        used = used or load_snapshot(sources_dir, MAIN_SOURCE, flopcast.pins.get(MAIN_SOURCE)).version
        diff = release_diff_for_build(sources_dir, used, as_of=flopcast.analysis.as_of)
        write_table(con, "marts", "release_diff", diff)
    summary = summarize_diff(diff)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": diff.height,
            "new_version": used,
            "old_version": diff["old_version"][0] if diff.height else None,
            "summary": dg.MetadataValue.md("\n".join(format_summary(summary))),
            "by_change": dg.MetadataValue.json(summary["by_change"]),
        }
    )
