"""publish: the only asset that touches the published warehouse; runs after every blocking check."""

import dagster as dg

from pipelines.defs.resources import FlopcastResource
from pipelines.lib.datacard import write_data_card
from pipelines.lib.publish import publish


def publish_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=["publish"],
        deps=upstream,
        group_name="publish",
        kinds={"duckdb", "parquet"},
        description="Checkpoint the private build database and atomically replace warehouse/flopcast.duckdb, Parquet files, "
                    "manifest.json and the data card (DATA_CARD.md, datapackage.json).",
    )
    def _publish(flopcast: FlopcastResource) -> dg.MaterializeResult:
        manifest = publish(flopcast.locations, extras=write_data_card)
        tables = manifest["tables"]
        return dg.MaterializeResult(
            metadata={
                "published": dg.MetadataValue.path(str(flopcast.locations.published_db)),
                "tables": len(tables),
                "rows": dg.MetadataValue.json({name: t["rows"] for name, t in tables.items()}),
                "source_versions": dg.MetadataValue.json({name: s["version"] for name, s in manifest["sources"].items()}),
            }
        )

    return _publish
