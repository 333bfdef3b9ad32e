"""The page: everything the template shows, gathered from the frames, and the Jinja2 rendering.

Cells and sentences are plain strings (the template escapes them: autoescape is on) or
``markupsafe.Markup`` built with ``Markup.format`` (which escapes every value it is given).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from markupsafe import Markup

from pipelines.lib.report import series as sr
from pipelines.lib.report.formatting import (
    METHOD_LABELS,
    METRIC_LABELS,
    REFERENCE_LABELS,
    SUBJECT_LABELS,
    finite,
    fmt_growth,
    fmt_interval,
    fmt_months,
    fmt_number,
    fmt_quantity,
    fmt_range,
    label,
)
from pipelines.lib.report.queries import ReportData
from pipelines.lib.report.text import (
    ATTRIBUTION,
    CAPTIONS,
    CC_BY_URL,
    HEADLINE_PROJECTIONS,
    INTERACTIVE_CHARTS,
    TITLES,
    VERDICT_COLORS,
    band_note,
    binding_sentence,
    country_sentences,
    roadblock_when,
)

TEMPLATE = "report.html.j2"
RELEASE_DIFF_LIMIT = 50


@dataclass
class Table:
    headers: list[str]
    rows: list[list]  # cells: str (escaped by the template) or Markup
    table_id: str = ""
    numeric: set[int] = field(default_factory=set)
    nowrap: set[int] = field(default_factory=set)  # columns that must not wrap (dates, versions)


def code(text) -> Markup:
    """Text as an escaped <code> element."""
    return Markup("<code>{}</code>").format(text)


def small(text) -> Markup:
    """Text as an escaped small-print span."""
    return Markup('<span class="small">{}</span>').format(text)


def curated_badge(citations: list[str] | str | None) -> Markup:
    """'curated' with its citation(s), for a value that comes from sources/curated/."""
    if not citations:
        return Markup("")
    citations = [citations] if isinstance(citations, str) else citations
    text = "; ".join(citations)
    return Markup('<span class="curated" title="value from sources/curated/: {}">curated: {}</span>').format(text, text)


def verdict_badge(verdict: str | None) -> Markup:
    """A coloured badge; 'overstated ×4.8' takes the colour of its first word(s)."""
    key = next((k for k in VERDICT_COLORS if (verdict or "").startswith(k)), "")
    color = VERDICT_COLORS.get(key, "#57606a")
    return Markup('<span class="verdict" style="background:{}">{}</span>').format(color, verdict or "n/a")


# --- sections ------------------------------------------------------------------------------------


def headline(data: ReportData) -> dict:
    """The headline block at the top of the report: frontier compute growth and the headline-year projections."""
    year = sr.headline_year(data)
    fit = sr.fit(data, "training_compute_flop", "frontier")
    growth = Markup("")
    if fit:
        low, high, kind = sr.fit_interval(fit)
        growth = Markup(
            "Training compute of frontier runs has grown <strong>{}</strong> (90% {} interval {}) since {}, "
            "doubling every <strong>{}</strong> (n = {})."
        ).format(
            fmt_growth(fit["growth_per_year"]),
            kind,
            fmt_interval(low, high, "×"),
            fit["start_date"].year,
            fmt_months(fit["doubling_time_months"]),
            fit["n"],
        )
        post = sr.claim(data, "growth_rate")
        if post and finite(post["claimed_value"]):
            growth += f" The post's ×10 every two years is {fmt_growth(post['claimed_value'])}."
    countries = country_sentences(data, year)
    # The answer in three sentences: how fast, how big against countries, what stops it first.
    lead = Markup(" ").join(part for part in (growth, *countries[:1], binding_sentence(data)) if part)
    largest = sr.largest_run(data)
    largest_text = None
    if largest:
        largest_text = Markup("The largest run on record is {} ({} FLOP, published {}){}.").format(
            largest["model"],
            fmt_number(largest["training_compute_flop"]),
            largest["publication_date"],
            Markup(" ") + curated_badge(sr.curated_citation(data, largest, "training_compute_flop"))
            if sr.curated_citation(data, largest, "training_compute_flop")
            else "",
        )
    projections = None
    if year is not None:
        rows = []
        for metric, method, what in HEADLINE_PROJECTIONS:
            band = sr.band(data, metric, method)
            point = band.at(year) if band else None
            if point is None:
                continue
            low, central, high = point
            rows.append([what, fmt_quantity(central, band.unit), fmt_range(low, high, band.unit)])
        if rows:
            projections = Table(["Quantity", "Central", "90% band"], rows, "projections", numeric={1, 2})
    roadblocks = None
    if data.roadblocks.height:
        rows = []
        for row in data.roadblocks.sort("roadblock", "subject", "metric", "method", "reference").iter_rows(named=True):
            rows.append(
                [
                    Markup("<strong>{}</strong>").format(row["roadblock"]),
                    f"{label(SUBJECT_LABELS, row['subject'])}: {label(METRIC_LABELS, row['metric'])} "
                    f"({label(METHOD_LABELS, row['method'])})",
                    f"{label(REFERENCE_LABELS, row['reference'])} ({fmt_quantity(row['reference_value'], row['unit'])})",
                    roadblock_when(row),
                ]
            )
        roadblocks = Table(["Roadblock", "Projected quantity", "Reference", "First year it binds"], rows, "roadblocks")
    return {
        "lead": lead,
        "largest": largest_text,
        "more_countries": countries[1:],
        "year": year,
        "projections": projections,
        "band_note": band_note(data),
        "roadblocks": roadblocks,
    }


def figures(data: ReportData, drawn: dict[str, tuple[Path, str]], interactive: dict[str, str]) -> list[dict]:
    """One figure per chart: the interactive chart when there is one, the PNG as its no-JS fallback."""
    from pipelines.lib.report.png_charts import DPI, FIGSIZE_IN

    width, height = int(FIGSIZE_IN[0] * DPI), int(FIGSIZE_IN[1] * DPI)
    shown = []
    for name in INTERACTIVE_CHARTS:
        if name not in drawn and name not in interactive:
            continue
        png = None
        if name in drawn:
            path, alt = drawn[name]
            png = {
                "src": "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii"),
                "alt": alt,
                "width": width,
                "height": height,
            }
        shown.append(
            {
                "name": name,
                "title": TITLES[name],
                "caption": CAPTIONS[name],
                "png": png,
                "interactive": Markup(interactive[name]) if name in interactive else None,
            }
        )
    return shown


def fits_table(data: ReportData) -> Table:
    """The table of every trend fit (window, growth per year with its interval, doubling time)."""
    rows = []
    for fit in data.fits.sort("metric", "population", "start_date").iter_rows(named=True):
        window = f"{fit['start_date']} – {fit['end_date']}" if fit.get("start_date") else "—"
        note = f" (break at {fit['break_year']:g})" if finite(fit.get("break_year")) else ""
        if fit.get("is_selection_truncated"):
            note += " (selected on the fitted value: not a trend)"
        rows.append(
            [
                code(fit["metric"]),
                code(fit["population"]) + note,
                str(fit["n"]),
                window,
                fmt_growth(fit["growth_per_year"]),
                fmt_interval(fit.get("growth_per_year_low"), fit.get("growth_per_year_high"), "×"),
                fmt_interval(fit.get("growth_per_year_boot_low"), fit.get("growth_per_year_boot_high"), "×"),
                fmt_months(fit["doubling_time_months"]),
                fmt_number(fit["r2"]),
            ]
        )
    return Table(
        ["Metric", "Population", "n", "Window", "Growth", "90% (SE)", "90% (bootstrap)", "Doubling time", "r²"],
        rows,
        "trend-fits",
        numeric={2, 4, 5, 6, 7, 8},
    )


def claims_table(data: ReportData) -> Table:
    """The table of the seed post's claims against what the data give."""
    rows = []
    # Timeless claims first, then in the post's chronological order.
    for claim in data.claims.sort(["year", "claim_id"], nulls_last=False).iter_rows(named=True):
        interval = ""
        if finite(claim.get("data_low")) and finite(claim.get("data_high")):
            interval = f"({fmt_range(claim['data_low'], claim['data_high'], claim['unit'])})"
        statement = claim["statement"] or claim["claim_id"]
        if claim.get("year") is not None and str(claim["year"]) not in statement:
            statement += f" ({claim['year']})"
        curated = sr.claim_curated_citations(data, claim)
        data_cell = Markup("{}<br>{}").format(fmt_quantity(claim["data_value"], claim["unit"]), small(interval))
        basis = claim.get("basis") or ""
        if curated:
            # Epoch's confidence label describes Epoch's figure, not the curated one that replaced it.
            data_cell += Markup("<br>") + curated_badge(curated)
            basis += " (curated value)"
        basis_cell = Markup("{}<br>{}").format(basis, small(claim.get("evidence") or ""))
        if claim.get("uncertainty"):
            basis_cell += Markup("<br>") + small(f"interval: {claim['uncertainty']}")
        rows.append(
            [
                statement,
                fmt_quantity(claim["claimed_value"], claim["unit"]),
                data_cell,
                basis_cell,
                verdict_badge(claim.get("verdict")),
                verdict_badge(claim.get("interval_verdict")) if "interval_verdict" in claim else "",
            ]
        )
    return Table(
        ["Claim", "Claimed", "Data (90% interval)", "Basis", "Verdict", "Interval"], rows, "seed-claims", numeric={1}
    )


def assumptions_table(data: ReportData) -> Table:
    """The table of the assumptions with their ranges and citations."""
    rows = []
    for item in data.assumptions.sort("name").iter_rows(named=True):
        value = fmt_number(item["value"], 3)
        if finite(item.get("low")) and finite(item.get("high")):
            value += f" ({fmt_number(item['low'], 3)}–{fmt_number(item['high'], 3)})"
        citation = Markup("{}").format(item.get("citation") or "")
        if item.get("is_overridden"):
            citation += Markup(" ") + small("(overridden)")
        rows.append([code(item["name"]), value, item.get("unit") or "", citation])
    return Table(["Name", "Value (range)", "Unit", "Citation"], rows, "assumptions", numeric={1})


def sources_table(data: ReportData) -> Table | None:
    """The table of the sources with versions, licences and citations (None without sources)."""
    rows = []
    for name in sorted(data.sources):
        info = data.sources[name] or {}
        rows.append([code(name), info.get("version") or "", info.get("license") or "", info.get("citation") or ""])
    return Table(["Source", "Version", "Licence", "Citation"], rows, "sources", nowrap={1}) if rows else None


def release_diff(data: ReportData) -> dict | None:
    """The summary of what changed since the previous source version, or None when nothing did."""
    from pipelines.lib.release_diff import format_summary, summarize_diff

    diff = data.release_diff
    if diff is None or diff.height == 0:
        return None
    rows = [
        [str(v) if v is not None else "" for v in row]
        for row in diff.select("change", "model", "column", "old_value", "new_value")
        .head(RELEASE_DIFF_LIMIT)
        .iter_rows()
    ]
    return {
        "versions": f"{diff['old_version'][0]} → {diff['new_version'][0]}",
        "summary": format_summary(summarize_diff(diff)),
        "table": Table(["change", "model", "column", "old", "new"], rows),
        "total": diff.height,
        "limit": RELEASE_DIFF_LIMIT,
    }


def curated_values_table(data: ReportData) -> Table | None:
    """Every baseline value that comes from sources/curated/, with its citation."""
    provenance = data.provenance
    if provenance is None or provenance.height == 0:
        return None
    rows = []
    for row in provenance.filter(pl.col("estimates") == "baseline").sort("model_id", "field").iter_rows(named=True):
        rows.append(
            [
                row["model"] or row["model_id"],
                code(row["field"]),
                row["status"] or "",
                row["source_value"] or "—",
                row["curated_value"] or "—",
                row["citation"] or "",
            ]
        )
    if not rows:
        return None
    return Table(["Model", "Field", "Status", "Source value", "Curated value", "Citation"], rows, "curated-values")


# --- rendering -----------------------------------------------------------------------------------


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(
    data: ReportData, drawn: dict[str, tuple[Path, str]], interactive: dict[str, str], plotly_js: str | None
) -> str:
    """The whole page. ``interactive`` maps chart names to Plotly divs (no <script src>); ``plotly_js``
    is plotly.js itself, inlined once (None: a page of PNGs without any script)."""
    template = _environment().get_template(TEMPLATE)
    return template.render(
        as_of=data.as_of.isoformat(),
        headline=headline(data),
        figures=figures(data, drawn, interactive),
        fits=fits_table(data),
        claims=claims_table(data),
        assumptions=assumptions_table(data),
        curated_values=curated_values_table(data),
        release_diff=release_diff(data),
        sources=sources_table(data),
        attribution=ATTRIBUTION,
        cc_by_url=CC_BY_URL,
        plotly_js=Markup(plotly_js) if plotly_js else None,
    )
