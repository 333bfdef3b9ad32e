"""Blocking checks on the clean tables: row and cell conservation and the great-expectations suites.

A failing blocking check stops every downstream asset, publish included, so a bad snapshot never
reaches the published warehouse.
"""

import dagster as dg

from pipelines.defs.clean import clean_asset_key
from pipelines.defs.resources import FlopcastResource
from pipelines.lib.sources import SOURCES, SourceSpec
from pipelines.lib.stages import cell_conservation, row_conservation, validate_clean_table
from pipelines.lib.warehouse import connect


def conservation_check(spec: SourceSpec) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=clean_asset_key(spec.name),
        name="row_conservation",
        blocking=True,
        description="raw rows = clean rows + quarantined rows: no row is ever dropped silently.",
    )
    def _check(flopcast: FlopcastResource) -> dg.AssetCheckResult:
        with connect(flopcast.locations.build_db) as con:
            counts = row_conservation(con, spec.name)
        return dg.AssetCheckResult(
            passed=counts.holds,
            description=None
            if counts.holds
            else (
                f"{spec.name}: {counts.raw_rows} raw rows but {counts.clean_rows} clean + "
                f"{counts.quarantined_rows} quarantined = {counts.clean_rows + counts.quarantined_rows}"
            ),
            metadata={
                "raw_rows": counts.raw_rows,
                "clean_rows": counts.clean_rows,
                "quarantined_rows": counts.quarantined_rows,
            },
        )

    return _check


def cell_conservation_check(spec: SourceSpec) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=clean_asset_key(spec.name),
        name="cell_conservation",
        blocking=True,
        description="Every unreadable cell of a clean row is null and listed in quarantine.rejected_cells, and every "
        "entry there is a real raw cell of a clean row whose value is null.",
    )
    def _check(flopcast: FlopcastResource) -> dg.AssetCheckResult:
        with connect(flopcast.locations.build_db) as con:
            cells = cell_conservation(con, spec.name)
        problems = []
        if cells.unrecorded:
            problems.append(
                "unreadable cells of clean rows missing from quarantine.rejected_cells (row, field): "
                + ", ".join(f"({row}, {field})" for row, field in cells.unrecorded)
            )
        if cells.unfounded:
            problems.append(
                "quarantine.rejected_cells entries without a matching raw cell or null clean value (row, field): "
                + ", ".join(f"({row}, {field})" for row, field in cells.unfounded)
            )
        return dg.AssetCheckResult(
            passed=cells.holds,
            description=None if cells.holds else f"{spec.name}: " + "; ".join(problems),
            metadata={
                "rejected_cells": cells.rejected_cells,
                "unrecorded_examples": len(cells.unrecorded),
                "unfounded_examples": len(cells.unfounded),
            },
        )

    return _check


def expectations_check(spec: SourceSpec) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=clean_asset_key(spec.name),
        name="expectations",
        blocking=True,
        description="great-expectations suite: nulls, keys, ranges, accepted values, no dates after the snapshot.",
    )
    def _check(flopcast: FlopcastResource) -> dg.AssetCheckResult:
        locations = flopcast.locations
        with connect(locations.build_db) as con:
            result = validate_clean_table(con, locations.sources_dir, spec.name, locations.checks_dir)
        failures = [o for o in result.to_json_dict()["outcomes"] if not o["success"]]
        return dg.AssetCheckResult(
            passed=result.success,
            description=f"{result.evaluated - result.failed}/{result.evaluated} expectations met",
            metadata={
                "evaluated": result.evaluated,
                "failed": result.failed,
                "failures": dg.MetadataValue.json(failures),
                "report": dg.MetadataValue.path(str(locations.checks_dir / f"{result.table}.json")),
            },
        )

    return _check


clean_checks = [
    make(spec) for spec in SOURCES for make in (conservation_check, cell_conservation_check, expectations_check)
]
