"""raw.*: one asset per source snapshot, checksum-verified and lossless."""

import dagster as dg

from pipelines.defs.resources import FlopcastResource
from pipelines.lib.sources import SOURCES, SourceSpec
from pipelines.lib.stages import materialize_raw
from pipelines.lib.warehouse import connect


def raw_asset(spec: SourceSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", spec.name],
        group_name="raw",
        kinds={"csv", "parquet", "duckdb"},
        description=f"{spec.description}: every cell as text, checksum verified, tagged with source, version and "
        "row number (a DuckDB view over one Parquet file).",
    )
    def _raw(flopcast: FlopcastResource) -> dg.MaterializeResult:
        with connect(flopcast.locations.build_db) as con:
            result = materialize_raw(con, flopcast.locations.sources_dir, spec.name, flopcast.pins.get(spec.name))
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": result.rows,
                "columns": result.columns,
                "source_version": result.version,
                "sha256": result.sha256,
                "path": dg.MetadataValue.path(result.path),
            }
        )

    return _raw


raw_assets = [raw_asset(spec) for spec in SOURCES]
