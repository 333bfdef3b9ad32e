"""publish: the only asset that touches the published warehouse; runs after every blocking check."""

import dagster as dg

from pipelines.defs.resources import FlopcastResource
from pipelines.lib.datacard import write_data_card
from pipelines.lib.publish import PUBLIC_SCHEMAS, publish
from pipelines.lib.stages import QUARANTINE_TABLE, REJECTED_CELLS_TABLE


def graph_tables(upstream: list[dg.AssetKey]) -> set[str]:
    """The public tables the graph makes: every asset keyed [schema, table] in a public schema, and
    the quarantine tables the clean assets fill."""
    tables = {".".join(key.path) for key in upstream if len(key.path) == 2 and key.path[0] in PUBLIC_SCHEMAS}
    return tables | {".".join(QUARANTINE_TABLE), ".".join(REJECTED_CELLS_TABLE)}


def publish_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    expected = graph_tables(upstream)

    @dg.asset(
        key=["publish"],
        deps=upstream,
        group_name="publish",
        kinds={"duckdb", "parquet"},
        description="Check that the private build database holds exactly the graph's public tables, checkpoint it and "
        "atomically replace warehouse/flopcast.duckdb, Parquet files, manifest.json and the data card "
        "(DATA_CARD.md, datapackage.json).",
    )
    def _publish(flopcast: FlopcastResource) -> dg.MaterializeResult:
        manifest = publish(flopcast.locations, extras=write_data_card, expected_tables=expected)
        tables = manifest["tables"]
        return dg.MaterializeResult(
            metadata={
                "published": dg.MetadataValue.path(str(flopcast.locations.published_db)),
                "tables": len(tables),
                "rows": dg.MetadataValue.json({name: t["rows"] for name, t in tables.items()}),
                "source_versions": dg.MetadataValue.json(
                    {name: s["version"] for name, s in manifest["sources"].items()}
                ),
            }
        )

    return _publish
