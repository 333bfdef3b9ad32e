"""The rendered HTML report, opened in headless Chromium the way a reader opens it: from disk.

The page is loaded through its file:// URL rather than a loopback web server: the report is meant to
be self-contained (charts are data: URIs), so opening the file directly is what a user does, and
anything it still fetched relatively would fail here just as it would for them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.cdp import CHROMIUM, Chromium

# CI (.ci/run) installs Chromium and sets FLOPCAST_REQUIRE_BROWSER=1, so there a missing browser fails;
# on a developer's machine without Chromium these tests are skipped with the reason.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and os.environ.get("FLOPCAST_REQUIRE_BROWSER") != "1",
                       reason=f"{CHROMIUM} is not installed (apt-get install chromium); CI requires it"),
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
            problems.append(f"{name}: not decoded (complete={img['complete']}, "
                            f"natural size {img['naturalWidth']}x{img['naturalHeight']})")
        if img["box"]["width"] <= 0 or img["box"]["height"] <= 0:
            problems.append(f"{name}: laid out with zero size {img['box']}")
        if img["display"] == "none" or img["visibility"] != "visible" or img["opacity"] == 0 or not img["visible"]:
            problems.append(f"{name}: hidden (display={img['display']}, visibility={img['visibility']}, "
                            f"opacity={img['opacity']}, checkVisibility={img['visible']})")
    return problems


def open_page(url: str, screenshot_path):
    """Load ``url`` and return (errors, images, screenshot path)."""
    with Chromium() as browser:
        browser.load(url)
        images = browser.evaluate(IMAGES)
        shot = browser.screenshot(screenshot_path)
        browser.drain(0.1)
        return browser.errors(), images, shot


def test_report_renders_in_chromium_without_errors(built, tmp_path):
    index = built.warehouse_dir / "report" / "index.html"
    assert index.is_file(), f"the build published no report at {index}"

    errors, images, shot = open_page(index.as_uri(), tmp_path / "report.png")
    where = f"(screenshot: {shot})"

    assert errors == [], f"the page logged errors {where}:\n" + "\n".join(errors)
    charts = [img for img in images if img["src"].startswith("data:image/png;base64,")]
    assert len(charts) >= 5, f"expected at least 5 charts, found {[c['id'] for c in charts]} {where}"
    problems = image_problems(images)
    assert problems == [], f"images that a reader would not see {where}:\n" + "\n".join(problems)

    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n"), f"the screenshot is not a PNG {where}"
    assert len(png) > 20_000, f"the screenshot is suspiciously small ({len(png)} bytes) {where}"


NEGATIVE_CONTROL = """<!doctype html>
<html><head><title>broken</title></head><body>
<h1>A page with two problems</h1>
<img id="ok" alt="fine" width="40" height="20"
     src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==">
<img id="broken" alt="a chart that is not there" width="40" height="20" src="missing-chart.png">
<script>console.error("boom")</script>
</body></html>
"""


def test_the_checks_catch_a_broken_image_and_a_console_error(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(NEGATIVE_CONTROL, encoding="utf-8")

    errors, images, shot = open_page(page.as_uri(), tmp_path / "broken.png")

    assert "console.error: boom" in errors, errors
    assert any("missing-chart.png" in error for error in errors), errors  # the failed load is logged too
    problems = image_problems(images)
    assert len(problems) == 1 and problems[0].startswith("broken: not decoded"), problems
    assert shot.read_bytes().startswith(b"\x89PNG"), shot
