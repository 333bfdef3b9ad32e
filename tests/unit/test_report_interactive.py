"""The report's interactive charts, curation marks, PNG source lines and power ticks, on the synthetic
warehouse of test_report.py (with a hostile model name and a curated value)."""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import polars as pl
import pytest

from pipelines.lib.report import ReportData, interactive_charts, png_charts, render_report
from pipelines.lib.report.formatting import gw_tick
from pipelines.lib.report.text import CHARTS, INTERACTIVE_CHARTS, SOURCE_LINES
from tests.unit.test_report import synthetic_report_data

EVIL_CITATION = "https://example.org/<b>gpt-4</b>?a=1&b=2"
ESCAPED_EVIL = "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt; Megatron"  # html.escape, for Plotly


def curated_data() -> ReportData:
    """The synthetic warehouse with GPT-4's compute replaced by a curated value, as a build records it."""
    data = synthetic_report_data()
    provenance = pl.DataFrame(
        [
            {
                "estimates": "baseline",
                "model_id": "gpt4",
                "model": "GPT-4 (Mar 2023)",
                "field": "training_compute_flop",
                "status": "override",
                "source_value": "2.1e+25",
                "curated_value": "2.2e+25",
                "citation": EVIL_CITATION,
                "note": None,
                "author": "ana",
                "curated_date": dt.date(2026, 8, 1),
                "file": "curated/corrections.csv",
                "line": 2,
            }
        ]
    )
    claims = data.claims.with_columns(
        pl.when(pl.col("claim_id") == "gpt4_compute")
        .then(
            pl.lit(
                f"GPT-4 (Mar 2023) (published 2023-03-15, trained 2022), curated value (sources/curated/, "
                f"citation: {EVIL_CITATION}), Epoch confidence Likely: x/÷3"
            )
        )
        .otherwise(pl.col("evidence"))
        .alias("evidence")
    )
    return ReportData(
        **{**{f: getattr(data, f) for f in data.__dataclass_fields__}, "provenance": provenance, "claims": claims}
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    paths = render_report(curated_data(), tmp_path_factory.mktemp("report"))
    return paths["index"].read_text(encoding="utf-8")


def _points(figure: dict) -> list[list[str]]:
    return [row for trace in figure["data"] for row in trace.get("customdata", [])]


def test_hover_names_model_organization_date_and_value_and_escapes_them():
    figures = interactive_charts.figures(curated_data())
    assert set(figures) == set(INTERACTIVE_CHARTS)
    points = _points(figures["compute_trend"])
    assert len(points) == 39  # every synthetic run with compute
    evil = next(p for p in points if "Megatron" in p[0])
    # Plotly draws hover text from a subset of HTML: the name goes in escaped and shows as written.
    assert evil[0] == ESCAPED_EVIL and "<script" not in json.dumps(figures)
    assert evil[1] == "organization unknown" and evil[2] == "2025-07-09" and evil[3] == "3e27 FLOP"
    for name in ("compute_trend", "projection_fan", "power", "data", "cost"):
        trace = next(t for t in figures[name]["data"] if t.get("customdata"))
        assert "%{customdata[0]}" in trace["hovertemplate"] and "published %{customdata[2]}" in trace["hovertemplate"]


def test_curated_values_are_marked_with_their_citation_wherever_shown(page):
    escaped_citation = "https://example.org/&lt;b&gt;gpt-4&lt;/b&gt;?a=1&amp;b=2"
    figures = interactive_charts.figures(curated_data())
    gpt4 = next(p for p in _points(figures["compute_trend"]) if p[0] == "GPT-4 (Mar 2023)")
    assert gpt4[3] == f"2.1e25 FLOP<br>curated: {escaped_citation}"  # hover text
    others = [p for p in _points(figures["compute_trend"]) if p[0] != "GPT-4 (Mar 2023)"]
    assert not any("curated" in p[3] for p in others)
    annotations = [a["text"] for a in figures["projection_fan"]["layout"]["annotations"]]
    assert any(
        text.startswith("GPT-4 (Mar 2023): 2.1e25 FLOP (curated: https://example.org/&lt;b&gt;") for text in annotations
    )
    claim_chart = next(t for t in figures["claims"]["data"] if t["name"].startswith("The data"))
    assert sum("curated: " + escaped_citation in text for text in claim_chart["text"]) == 1
    # The page: the claims table's data cell and basis, and the table of curated values.
    claims = re.search(r'<table id="seed-claims">(.*?)</table>', page, re.DOTALL).group(1)
    row = next(r for r in claims.split("<tr>") if "GPT-4 training compute" in r)
    assert (
        f'<span class="curated" title="value from sources/curated/: {escaped_citation}">curated: {escaped_citation}</span>'
        in row
    )
    assert "observed (curated value)" in row
    assert sum('class="curated"' in r for r in claims.split("<tr>")) == 1
    curated = re.search(r'<table id="curated-values">(.*?)</table>', page, re.DOTALL).group(1)
    assert "GPT-4 (Mar 2023)" in curated and escaped_citation in curated and "override" in curated
    assert "<b>gpt-4</b>" not in page


def test_no_curated_section_without_curated_values(tmp_path):
    page = render_report(synthetic_report_data(), tmp_path)["index"].read_text(encoding="utf-8")
    assert 'id="curated-values"' not in page and '<span class="curated" title=' not in page


def test_source_dates_in_the_credits_table_do_not_wrap(page):
    sources = re.search(r'<table id="sources">(.*?)</table>', page, re.DOTALL).group(1)
    assert re.findall(r'<td class="nowrap">([^<]*)</td>', sources) == ["2025-05-21", "2026-07-19"]
    assert "td.nowrap { white-space: nowrap; }" in page


def test_every_png_carries_a_source_line_and_an_as_of_line():
    data = synthetic_report_data()
    for name in CHARTS:
        figure, _ = png_charts.chart_figure(name, data)
        texts = [t.get_text() for t in figure.texts]
        assert SOURCE_LINES[name] in texts, (name, texts)
        assert "Data as of 2026-07-15 · flopcast" in texts, (name, texts)
    assert "Ember" in SOURCE_LINES["power"] and all("Epoch AI" in SOURCE_LINES[n] for n in CHARTS)


def test_power_ticks_share_one_format():
    ticks = [gw_tick(10.0**k) for k in range(-4, 7)]
    assert ticks == [
        "100 kW",
        "1 MW",
        "10 MW",
        "100 MW",
        "1 GW",
        "10 GW",
        "100 GW",
        "1 TW",
        "10 TW",
        "100 TW",
        "1,000 TW",
    ]
    assert not any("e" in t.split()[0] for t in ticks)
    # The interactive chart labels its log axis with the same text.
    axis = interactive_charts.figures(synthetic_report_data())["power"]["layout"]["yaxis"]
    assert axis["ticktext"] == [gw_tick(v) for v in axis["tickvals"]] and len(axis["ticktext"]) >= 5


def _value(label: str) -> float:
    return float(re.search(r"([\d.,]+) GW\)?$", label).group(1).replace(",", ""))


def test_power_labels_cover_no_other_line_and_no_other_label():
    """Synthetic 'Country 06' averages 6.0 GW, next to the 6.8 GW power station: each label sits by its
    own line, crossing no other reference line and overlapping no other label (measured as drawn)."""
    data = synthetic_report_data()
    figure, _ = png_charts.chart_figure("power", data)
    ax = figure.axes[0]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    lines = {
        round(line.get_ydata()[0], 6): ax.transData.transform((0, line.get_ydata()[0]))[1]
        for line in ax.get_lines()
        if len(set(line.get_ydata())) == 1 and line.get_linestyle() in ("--", ":")
    }
    labels = [t for t in ax.texts if t.get_text().endswith(" GW)") or " country) " in t.get_text()]
    assert len(labels) == len(lines) >= 6
    boxes = {t.get_text(): t.get_window_extent(renderer) for t in labels}
    for text, box in boxes.items():
        own = _value(text)
        crossed = [
            value for value, y in lines.items() if box.y0 < y < box.y1 and not math.isclose(value, own, rel_tol=0.06)
        ]
        assert crossed == [], f"{text!r} is drawn across the line(s) at {crossed} GW"
    items = list(boxes.items())
    height = max(box.height for box in boxes.values())
    for i, (a, box_a) in enumerate(items):
        for b, box_b in items[i + 1 :]:
            assert not box_a.overlaps(box_b), f"{a!r} and {b!r} overlap"
            # Two lines closer than a label's height: their labels are not one above the other
            # around what reads as one line (the 6.0 GW country and the 6.8 GW power station).
            y_a, y_b = (lines[round(_value(t), 6)] for t in (a, b))
            if abs(y_a - y_b) < height:
                assert box_a.x1 < box_b.x0 or box_b.x1 < box_a.x0, f"{a!r} and {b!r} are stacked"
