"""clean.*: typed, unit-suffixed tables; unusable rows go to quarantine.rejected_rows, unusable cells of
kept rows to quarantine.rejected_cells."""

import dagster as dg

from pipelines.defs.resources import FlopcastResource
from pipelines.defs.sql_models import described_schema
from pipelines.lib.sources import SOURCES, SourceSpec
from pipelines.lib.stages import clean_table_name, materialize_clean
from pipelines.lib.warehouse import connect


def clean_asset_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["clean", clean_table_name(source)])


def clean_asset(spec: SourceSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=clean_asset_key(spec.name),
        deps=[dg.AssetKey(["raw", spec.name])],
        group_name="clean",
        kinds={"duckdb", "polars"},
        description=f"{spec.description}: typed and checked; rejected rows in quarantine.rejected_rows, "
        "rejected cells (set to null) in quarantine.rejected_cells.",
    )
    def _clean(flopcast: FlopcastResource) -> dg.MaterializeResult:
        with connect(flopcast.locations.build_db) as con:
            result = materialize_clean(con, flopcast.locations.sources_dir, spec.name, flopcast.analysis.as_of)
            schema = described_schema(con, f"clean.{clean_table_name(spec.name)}")
        preview = result.rejected_preview.select("row_number", "reasons")
        return dg.MaterializeResult(
            metadata={
                **schema,
                "dagster/row_count": result.clean_rows,
                "raw_rows": result.raw_rows,
                "quarantined_rows": result.rejected_rows,
                "quarantined_cells": result.rejected_cells,
                "source_version": result.version,
                "quarantine_preview": dg.MetadataValue.md(_markdown(preview)),
                "rejected_cells_preview": dg.MetadataValue.md(_cells_markdown(result.rejected_cells_preview)),
            }
        )

    return _clean


def _markdown(frame) -> str:
    if frame.height == 0:
        return "no rows quarantined"
    lines = ["| row | reasons |", "| --- | --- |"]
    lines += [f"| {row} | {'; '.join(reasons)} |" for row, reasons in frame.iter_rows()]
    return "\n".join(lines)


def _cells_markdown(frame) -> str:
    if frame is None or frame.height == 0:
        return "no cells rejected"
    lines = ["| row | column | reason |", "| --- | --- | --- |"]
    lines += [
        f"| {row} | {column} | {reason} |"
        for row, column, reason in frame.select("row_number", "source_column", "reason").iter_rows()
    ]
    return "\n".join(lines)


clean_assets = [clean_asset(spec) for spec in SOURCES]
