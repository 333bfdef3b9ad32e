"""The rendered HTML report, opened in headless Chromium the way a reader opens it: from disk, offline.

The page is loaded through its file:// URL rather than a loopback web server, with the browser's
network emulated offline and every request recorded: the report is meant to be self-contained
(plotly.js inlined, PNG fallbacks as data: URIs), so opening the file is what a user does, and
anything it still fetched would be seen here. The charts are checked as plotly.js drew them (an SVG
with points), a real mouse move over a point must show that point's model in the hover label, and
with JavaScript disabled the PNG fallbacks must show instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.lib.report import CHARTS, INTERACTIVE_CHARTS
from tests.e2e.cdp import CHROMIUM, Chromium

# CI (.ci/run) installs Chromium and sets FLOPCAST_REQUIRE_BROWSER=1, so there a missing browser fails;
# on a developer's machine without Chromium these tests are skipped with the reason.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and os.environ.get("FLOPCAST_REQUIRE_BROWSER") != "1",
        reason=f"{CHROMIUM} is not installed (apt-get install chromium); CI requires it",
    ),
]

# For every <img>: what it is, whether it decoded, where it landed and whether CSS hides it.
IMAGES = """
Array.from(document.images).map(img => {
  const box = img.getBoundingClientRect();
  const style = getComputedStyle(img);
  let opacity = 1;
  for (let el = img; el; el = el.parentElement) opacity *= parseFloat(getComputedStyle(el).opacity);
  return {
    id: img.id, alt: img.alt, src: img.currentSrc.slice(0, 40),
    complete: img.complete, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
    box: {x: box.x + scrollX, y: box.y + scrollY, width: box.width, height: box.height},
    display: style.display, visibility: style.visibility, opacity,
    visible: img.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}),
  };
})
"""


def image_problems(images: list[dict]) -> list[str]:
    problems = []
    for img in images:
        name = img["id"] or img["alt"] or img["src"]
        if not (img["complete"] and img["naturalWidth"] > 0 and img["naturalHeight"] > 0):
            problems.append(
                f"{name}: not decoded (complete={img['complete']}, "
                f"natural size {img['naturalWidth']}x{img['naturalHeight']})"
            )
        if img["box"]["width"] <= 0 or img["box"]["height"] <= 0:
            problems.append(f"{name}: laid out with zero size {img['box']}")
        if img["display"] == "none" or img["visibility"] != "visible" or img["opacity"] == 0 or not img["visible"]:
            problems.append(
                f"{name}: hidden (display={img['display']}, visibility={img['visibility']}, "
                f"opacity={img['opacity']}, checkVisibility={img['visible']})"
            )
    return problems


# For every Plotly chart: whether plotly.js drew it (its SVG), how many points and how large it is.
CHARTS_JS = """
Array.from(document.querySelectorAll('.plotly-graph-div')).map(gd => {
  const box = gd.getBoundingClientRect();
  return {id: gd.id, drawn: !!gd._fullLayout && !!gd.querySelector('svg.main-svg'),
          points: gd.querySelectorAll('.scatterlayer path.point').length,
          legend: gd.querySelectorAll('.legend .traces').length,
          width: box.width, height: box.height};
})
"""

# The frontier run drawn farthest from any other point of the compute chart (so the pointer is over
# it alone), its centre in the viewport after scrolling it into view, and its hover fields as written.
PICK_POINT = """
(() => {
  const gd = document.getElementById('plot-compute_trend');
  gd.scrollIntoView({block: 'center'});
  const traces = Array.from(gd.querySelectorAll('.scatterlayer .trace'));
  const centre = el => { const r = el.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; };
  const all = traces.flatMap(t => Array.from(t.querySelectorAll('path.point')).map(centre));
  const frontier = Array.from(traces[1].querySelectorAll('path.point')).map(centre);
  let best = -1, bestGap = -1;
  frontier.forEach(([x, y], i) => {
    const gap = Math.min(...all.filter(([u, v]) => u !== x || v !== y).map(([u, v]) => Math.hypot(u - x, v - y)));
    if (gap > bestGap) { best = i; bestGap = gap; }
  });
  const text = s => new DOMParser().parseFromString(s, 'text/html').documentElement.textContent;
  const [model, organization, date] = gd.data[1].customdata[best].map(text);
  return {x: frontier[best][0], y: frontier[best][1], gap: bestGap, model, organization, date, n: frontier.length};
})()
"""

# The compute chart's hover label text once it appears (null if none within 3 s).
HOVER_TEXT = """
new Promise(resolve => {
  const started = performance.now();
  (function poll() {
    const label = document.querySelector('#plot-compute_trend .hoverlayer .hovertext');
    if (label || performance.now() - started > %d) resolve(label ? label.textContent : null);
    else requestAnimationFrame(poll);
  })();
})
"""


def report_index(built) -> Path:
    index = built.warehouse_dir / "report" / "index.html"
    assert index.is_file(), f"the build published no report at {index}"
    return index


def test_report_opens_offline_and_plotly_draws_every_chart(built, tmp_path):
    index = report_index(built)
    with Chromium() as browser:
        browser.go_offline()
        browser.load(index.as_uri())
        charts = browser.evaluate(CHARTS_JS)
        shot = browser.screenshot(tmp_path / "report.png")
        browser.drain(0.1)
        errors, requests = browser.errors(), browser.requests()
    where = f"(screenshot: {shot})"

    assert errors == [], f"the page logged errors {where}:\n" + "\n".join(errors)
    # The file itself is the only request: plotly.js and every chart are inside it.
    assert [url for url in requests if not url.startswith("data:")] == [index.as_uri()], requests
    by_id = {chart["id"]: chart for chart in charts}
    assert set(by_id) == {f"plot-{name}" for name in INTERACTIVE_CHARTS}, f"charts: {sorted(by_id)} {where}"
    for chart in charts:
        assert chart["drawn"], f"plotly.js did not draw {chart['id']} {where}"
        assert chart["width"] > 300 and chart["height"] > 300, f"{chart['id']} laid out as {chart} {where}"
        assert chart["legend"] >= 2, f"{chart['id']} has no legend to toggle series: {chart} {where}"
        assert chart["points"] > 0, f"{chart['id']} shows no point: {chart} {where}"
    # The real record: hundreds of runs with a compute estimate.
    assert by_id["plot-compute_trend"]["points"] > 300, by_id["plot-compute_trend"]
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n"), f"the screenshot is not a PNG {where}"
    assert len(png) > 20_000, f"the screenshot is suspiciously small ({len(png)} bytes) {where}"


def test_hovering_a_point_shows_its_model_organization_and_date(built):
    index = report_index(built)
    with Chromium() as browser:
        browser.go_offline()
        browser.load(index.as_uri())
        point = browser.evaluate(PICK_POINT)
        before = browser.evaluate(HOVER_TEXT % 300)  # no label before the pointer moves
        browser.move_mouse(point["x"], point["y"])
        label = browser.evaluate(HOVER_TEXT % 3000)
        errors = browser.errors()
    assert point["n"] > 50 and point["gap"] > 3, point
    assert before is None, before
    assert label is not None, f"no hover label over {point}"
    assert point["model"] in label and point["date"] in label and point["organization"] in label, (label, point)
    assert " FLOP" in label, label
    assert errors == [], errors


def test_without_javascript_the_png_charts_show(built, tmp_path):
    index = report_index(built)
    with Chromium() as browser:
        browser.go_offline()
        browser.disable_javascript()
        browser.load(index.as_uri())
        images = browser.evaluate(IMAGES)  # DevTools' Runtime.evaluate runs with the page's scripts off
        shot = browser.screenshot(tmp_path / "report-no-js.png")
        plotted = browser.evaluate("document.querySelectorAll('svg.main-svg').length")
    charts = [img for img in images if img["src"].startswith("data:image/png;base64,")]
    assert sorted(img["id"] for img in charts) == sorted(f"chart-{name}" for name in CHARTS), (charts, shot)
    problems = image_problems(images)
    assert problems == [], f"images a reader without JavaScript would not see (screenshot: {shot}):\n" + "\n".join(
        problems
    )
    assert plotted == 0  # scripts really were off


def open_page(url: str, screenshot_path):
    """Load ``url`` offline and return (errors, images, screenshot path, requests)."""
    with Chromium() as browser:
        browser.go_offline()
        browser.load(url)
        images = browser.evaluate(IMAGES)
        shot = browser.screenshot(screenshot_path)
        browser.drain(0.1)
        return browser.errors(), images, shot, browser.requests()


NEGATIVE_CONTROL = """<!doctype html>
<html><head><title>broken</title></head><body>
<h1>A page with two problems</h1>
<img id="ok" alt="fine" width="40" height="20"
     src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==">
<img id="broken" alt="a chart that is not there" width="40" height="20" src="missing-chart.png">
<img id="remote" alt="a chart from a CDN" width="40" height="20" src="https://cdn.example.org/chart.png" style="display:none">
<script>console.error("boom")</script>
</body></html>
"""


def test_the_checks_catch_a_broken_image_and_a_console_error(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(NEGATIVE_CONTROL, encoding="utf-8")

    errors, images, shot, requests = open_page(page.as_uri(), tmp_path / "broken.png")

    assert "console.error: boom" in errors, errors
    assert any("missing-chart.png" in error for error in errors), errors  # the failed load is logged too
    # Both loads were attempted and recorded (offline, the remote one failed).
    assert any(url.endswith("/missing-chart.png") for url in requests), requests
    assert "https://cdn.example.org/chart.png" in requests, requests
    problems = image_problems([img for img in images if img["id"] != "remote"])
    assert len(problems) == 1 and problems[0].startswith("broken: not decoded"), problems
    assert shot.read_bytes().startswith(b"\x89PNG"), shot
