"""The report rendered from a real build of the bundled sources."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from pipelines.lib.report import CHARTS, INTERACTIVE_CHARTS, load_report_data, render_report

pytestmark = pytest.mark.integration

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_report_renders_from_the_published_warehouse(built, tmp_path):
    sources = json.loads(built.manifest.read_text(encoding="utf-8"))["sources"]
    with duckdb.connect(str(built.published_db), read_only=True) as con:
        data = load_report_data(con, sources)
    assert data.runs.height > 0 and data.fits.height > 0 and data.projections.height > 0
    paths = render_report(data, tmp_path / "report")
    assert set(paths) == {"index", *CHARTS}
    for name in CHARTS:
        png = paths[name].read_bytes()
        assert png.startswith(PNG_MAGIC) and len(png) > 5_000, name
    page = paths["index"].read_text(encoding="utf-8")
    markup = re.sub(r"<script>.*?</script>", "<script></script>", page, flags=re.DOTALL)  # plotly.js has its own
    assert markup.count('<noscript><img id="chart-') == markup.count('src="data:image/png;base64,') == len(CHARTS)
    # plotly.js inlined once and one Plotly chart per interactive chart, nothing fetched.
    assert page.count("<script>/**\n* plotly.js v") == 1 and "<script src" not in page
    for name in INTERACTIVE_CHARTS:
        assert f'<div id="plot-{name}" class="plotly-graph-div"' in page, name
    # The headline names the as-of date of the fits and which roadblock binds first.
    assert data.as_of.isoformat() in page
    assert re.search(r"<strong>(Data|Energy|Money)[^<]*</strong> binds? first|No roadblock binds", page)
    for name in sources:
        assert name in page
