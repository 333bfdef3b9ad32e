"""The HTML report: charts and tables from the build database, published with the warehouse."""

import base64

import dagster as dg

from pipelines.defs.resources import FlopcastResource
from pipelines.lib.publish import source_versions
from pipelines.lib.report import load_report_data, render_report
from pipelines.lib.warehouse import connect

REPORT_INPUTS = [  # every table pipelines.lib.report.queries reads
    ["marts", "training_runs"],
    ["marts", "trend_fits"],
    ["marts", "projections"],
    ["marts", "constraints"],
    ["marts", "roadblocks"],
    ["marts", "seed_claims"],
    ["marts", "assumptions"],
    ["marts", "country_electricity_latest"],
    ["marts", "backtests"],
    ["marts", "backtest_skill"],
    ["marts", "value_provenance"],
    ["marts", "release_diff"],
]


@dg.asset(
    key=["report"],
    deps=REPORT_INPUTS,
    group_name="report",
    kinds={"html", "plotly", "matplotlib"},
    description="warehouse/report/index.html (self-contained, interactive Plotly charts with PNG fallbacks) "
    "and one PNG per chart; moved into place by publish.",
)
def report(flopcast: FlopcastResource) -> dg.MaterializeResult:
    locations = flopcast.locations
    with connect(locations.build_db) as con:
        data = load_report_data(con, source_versions(con, locations.sources_dir))
    written = render_report(data, locations.build_report_dir)
    metadata = {"index": dg.MetadataValue.path(str(locations.report_dir / "index.html"))}
    for name, path in sorted(written.items()):
        if path.suffix == ".png":
            encoded = base64.b64encode(path.read_bytes()).decode("ascii")
            metadata[name] = dg.MetadataValue.md(f"![{name}](data:image/png;base64,{encoded})")
    return dg.MaterializeResult(metadata=metadata)
