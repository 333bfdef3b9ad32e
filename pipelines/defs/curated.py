"""The curated layer: analysts' corrections and new runs applied over the source, with provenance."""

import dagster as dg

from pipelines.defs.resources import FlopcastResource
from pipelines.defs.sql_models import described_schema
from pipelines.lib.stages import materialize_curated
from pipelines.lib.warehouse import connect


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["clean", "curated_values"],
            deps=[["staging", "notable_models"]],
            group_name="curated",
            kinds={"csv", "duckdb"},
            description="Every validated value of sources/curated/ (corrections, new runs, scenario estimates) with citation, file and line.",
        ),
        dg.AssetSpec(
            ["intermediate", "notable_models_curated"],
            deps=[["staging", "notable_models"]],
            group_name="curated",
            kinds={"duckdb"},
            description="staging.notable_models with the curated corrections and new runs applied (curated > source).",
        ),
        dg.AssetSpec(
            ["marts", "value_provenance"],
            deps=[["staging", "notable_models"]],
            group_name="curated",
            kinds={"duckdb"},
            description="For each field a curated value set: the source value, the curated value, the citation.",
        ),
    ],
)
def curated(flopcast: FlopcastResource):
    with connect(flopcast.locations.build_db) as con:
        values, applied_rows, provenance = materialize_curated(
            con, flopcast.locations.sources_dir, flopcast.analysis.as_of
        )
        schemas = {name: described_schema(con, name) for name in ("clean.curated_values", "marts.value_provenance")}
    statuses = provenance.group_by("status").len().sort("status")
    yield dg.MaterializeResult(
        asset_key=["clean", "curated_values"],
        metadata={
            **schemas["clean.curated_values"],
            "dagster/row_count": values.height,
            "scenarios": sorted(set(values["estimates"].to_list()) - {"baseline"}),
        },
    )
    yield dg.MaterializeResult(
        asset_key=["intermediate", "notable_models_curated"], metadata={"dagster/row_count": applied_rows}
    )
    yield dg.MaterializeResult(
        asset_key=["marts", "value_provenance"],
        metadata={
            **schemas["marts.value_provenance"],
            "dagster/row_count": provenance.height,
            "by_status": dg.MetadataValue.json(dict(statuses.iter_rows())),
        },
    )
