"""The reader's report: interactive charts and the tables behind them, in one self-contained HTML file.

``load_report_data`` reads the published marts into plain polars frames; ``render_report`` writes
``index.html`` and one PNG per chart. The page inlines plotly.js once and draws each chart with it
(hover a point for its model, organization, date and value; zoom; toggle series in the legend), so it
opens offline with no CDN; each chart's PNG is embedded as a ``data:`` URI in a ``<noscript>`` for
readers without JavaScript, and is attached to the ``report`` asset in Dagster.

The package, by job:
  queries.py             ReportData and the SQL that fills it
  formatting.py          numbers, units, labels and axis ticks, as a reader sees them
  series.py              reading the frames: fits, bands, observed runs, references, curation
  text.py                chart titles, captions, source lines; the headline's sentences
  png_charts.py          the matplotlib charts (drawn in the build helper process during a build)
  interactive_charts.py  the same charts (and the claims chart) as Plotly figures
  page.py + templates/   what the page shows, rendered by Jinja2 with autoescape

Same input, same bytes: fixed figure sizes and ids, no timestamps, every table sorted before it is written.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.lib.report.formatting import fmt_number, fmt_quantity, fmt_range, fmt_usd
from pipelines.lib.report.png_charts import STYLE, draw_charts, warm_up_charts
from pipelines.lib.report.queries import ReportData, load_report_data
from pipelines.lib.report.text import CHARTS, INTERACTIVE_CHARTS

__all__ = [
    "CHARTS",
    "INTERACTIVE_CHARTS",
    "STYLE",
    "ReportData",
    "draw_charts",
    "fmt_number",
    "fmt_quantity",
    "fmt_range",
    "fmt_usd",
    "load_report_data",
    "render_report",
    "warm_up_charts",
]


def render_report(data: ReportData, out_dir: Path) -> dict[str, Path]:
    """Write ``out_dir/index.html`` and one PNG per chart; return their paths by name.

    In a build the PNGs are drawn by the build helper process; the Plotly charts are made here
    meanwhile (a thread waits for the helper's reply), so the interactive page adds no wait."""
    from pipelines.lib.build_helper import BuildHelper, active, handed_off
    from pipelines.lib.report.interactive_charts import chart_divs, plotly_js
    from pipelines.lib.report.page import render_html

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if active() is not None:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1) as pool:
            handed = pool.submit(handed_off, "the charts", BuildHelper.draw_charts, data, out_dir)
            interactive, script = chart_divs(data), plotly_js()
            drawn = handed.result() or draw_charts(data, out_dir)
    else:
        drawn = draw_charts(data, out_dir)
        interactive, script = chart_divs(data), plotly_js()
    index = out_dir / "index.html"
    # Bytes, not text mode: no platform newline translation.
    index.write_bytes(render_html(data, drawn, interactive, script).encode("utf-8"))
    return {"index": index, **{name: path for name, (path, _alt) in drawn.items()}}
