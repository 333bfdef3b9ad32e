"""The report's charts as PNG files, drawn with matplotlib's object API (no pyplot global state).

The PNGs are attached to the ``report`` asset in Dagster and are the page's fallback for readers
without JavaScript (``<noscript>``); each carries a source line and an as-of line. Same input, same
bytes: fixed figure size, dpi and style, no "Software" stamp, no timestamps. During `flopcast build`
``draw_charts`` runs in the build helper process (``pipelines.lib.build_helper``).
"""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl

from pipelines.lib.report import series as sr
from pipelines.lib.report.formatting import (
    METHOD_LABELS,
    finite,
    fmt_growth,
    fmt_interval,
    fmt_number,
    fmt_tokens,
    fmt_usd,
    gw_tick,
    power_of_ten_tick,
    tokens_tick,
    usd_tick,
)
from pipelines.lib.report.formatting import label as _label
from pipelines.lib.report.queries import ReportData
from pipelines.lib.report.text import CHARTS, chart_source_line

FIGSIZE_IN = (10.0, 5.6)
DPI = 120
# The axes' place in each chart, as fractions of the figure: a fixed layout. Constrained layout
# measured every artist two or three times per chart (a third of the report's rendering time). These
# margins fit the widest tick label the y formatters write ("10,000 GW", "$100B", "10²⁹"), the
# axis labels, the title and the last year label, and line the six charts up on the page.
AXES_MARGINS = {"left": 0.12, "right": 0.985, "bottom": 0.125, "top": 0.945}
# Under the axes of every PNG (a PNG travels alone: Dagster metadata, a slide): where the data come
# from and how current they are, in figure fractions.
FOOTER_Y = 0.008
PLANT_LABEL_X = 0.99  # the power chart's power-plant labels: right-aligned at the right edge, under the bands
FOOTER_STYLE = {"fontsize": 7.5, "color": "#57606a", "va": "bottom"}

STYLE = {
    "font.family": "DejaVu Sans",  # bundled with matplotlib: the same glyphs on every machine
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 8.5,
    "legend.framealpha": 0.92,
    "svg.hashsalt": "flopcast",
    "text.parse_math": False,  # '$' in a model name or in "$1B–$10B" is text, never mathtext (which can crash)
    "path.simplify": False,
}
COLORS = {
    "frontier": "#c0392b",
    "notable": "#2c6fbb",
    "early": "#7f7f7f",
    "observed": "#b0b0b0",
    "run": "#2c6fbb",
    "run_alt": "#16a085",
    "cluster": "#e67e22",
    "post": "#7b2cbf",
    "reference": "#333333",
    "country": "#8c6d31",
    "stock": "#2e7d32",
}


# --------------------------------------------------------------------------------------------
# Chart helpers


def _log_axis(ax, formatter=None) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    # At most ~16 labels: every decade on the projection charts, every other one across 80 years.
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=16))
    ax.yaxis.set_minor_formatter(NullFormatter())
    # Plain text, not mathtext (text.parse_math is off so that '$' in a name stays text): 10²⁶.
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: (formatter or power_of_ten_tick)(v)))


def _year_axis(ax, start: float, end: float) -> None:
    from matplotlib.ticker import MultipleLocator

    ax.set_xlim(start, end)
    span = end - start
    major = 10 if span > 40 else 5 if span > 25 else 2  # whole years, never 2027.5
    ax.xaxis.set_major_locator(MultipleLocator(major))
    ax.xaxis.set_minor_locator(MultipleLocator(major / 2 if major == 10 else 1))


def _draw_band(ax, band: sr.Band | None, color: str, label: str) -> None:
    if band is None:
        return
    ax.fill_between(band.x, band.low, band.high, color=color, alpha=0.18, linewidth=0)
    ax.plot(band.x, band.central, color=color, linewidth=2.2, label=f"{label} (central, 90% band)")


def _reference_lines(ax, references: list[tuple], x_axes: float = 0.01) -> None:
    """Horizontal reference lines, each labelled at the left of its column right under (or over) its line.

    A reference is (value, text, colour, line style) or (value, text, colour, line style, column x
    in axes fractions; a column right of the middle is right-aligned at x). A label never covers another label of its column nor another reference
    line: close neighbours (the 6.8 GW power station and a 6.5 GW country) would otherwise print
    one label across the other's line, so a label goes under its line, else over it, else as close
    above as free space allows. The axis limits must already be set.
    """
    if not references:
        return
    low, high = (math.log10(v) for v in ax.get_ylim())
    height = 0.032 * (high - low)  # one 8 pt line of text, in decades of this axis
    gap = 0.004 * (high - low)
    lines = [math.log10(r[0]) for r in references]
    taken: dict[float, list[tuple[float, float]]] = {}

    def free(bottom: float, column: float, own: float) -> bool:
        return all(bottom + height <= b or bottom >= t for b, t in taken.get(column, [])) and all(
            not (bottom - gap / 2 < y < bottom + height + gap / 2) for y in lines if y != own
        )

    for reference in sorted(references, key=lambda r: (r[0], r[1])):
        value, text, color, linestyle = reference[:4]
        column = reference[4] if len(reference) > 4 else x_axes
        ax.axhline(value, color=color, linewidth=1.0, linestyle=linestyle, alpha=0.85, zorder=1)
        line = math.log10(value)
        below, above = line - height - gap, line + gap
        bottom = next((b for b in (below, above) if b > low and free(b, column, line)), None)
        if bottom is None:  # crowded: the first free place above the line
            bottom = above
            while not free(bottom, column, line) and bottom < high:
                bottom += gap
        taken.setdefault(column, []).append((bottom, bottom + height))
        ax.text(
            column,
            10**bottom,
            text,
            transform=ax.get_yaxis_transform(),
            fontsize=8,
            color=color,
            va="bottom",
            ha="left" if column < 0.5 else "right",
            zorder=6,
            bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
        )


def _post_marker(ax, x: float, y: float, text: str, label: str | None = None) -> None:
    """A star for one of the post's figures, labelled above-left: projections rise to the right."""
    ax.scatter(
        [x], [y], marker="*", s=170, color=COLORS["post"], edgecolor="white", linewidth=0.6, zorder=7, label=label
    )
    ax.annotate(
        text,
        (x, y),
        xytext=(-7, 6),
        textcoords="offset points",
        fontsize=8,
        color=COLORS["post"],
        ha="right",
        va="bottom",
        zorder=7,
        bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
    )


def _post_markers(ax, data: ReportData, claim_ids, text, legend: str) -> list[float]:
    """A star for each of the post's claims that has a year and a value (the first drawn carries the
    legend entry); returns the values drawn, for the axis limits."""
    drawn = []
    for claim_id in claim_ids:
        claim = sr.claim(data, claim_id)
        if claim and claim["year"] is not None and finite(claim["claimed_value"]):
            label = None if drawn else legend
            _post_marker(ax, claim["year"] + 0.5, claim["claimed_value"], text(claim), label=label)
            drawn.append(claim["claimed_value"])
    return drawn


def _annotate_run(ax, x: float, y: float, text: str, offset=(14, -34)) -> None:
    """A named run, labelled below-right: the space under a rising cloud of points is empty."""
    ax.annotate(
        text,
        (x, y),
        xytext=offset,
        textcoords="offset points",
        fontsize=8,
        ha="left",
        va="top",
        arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.8},
        zorder=7,
    )


def _ylim_from(values: list[float], pad_low: float = 3.0, pad_high: float = 3.0) -> tuple[float, float] | None:
    positive = [v for v in values if finite(v) and v > 0]
    if not positive:
        return None
    return min(positive) / pad_low, max(positive) * pad_high


def _no_data(ax, what: str) -> str:
    ax.text(0.5, 0.5, f"No {what} in this build", transform=ax.transAxes, ha="center", va="center", fontsize=12)
    ax.set_axis_off()
    return f"Empty chart: no {what} in this build."


# --------------------------------------------------------------------------------------------
# The five charts: each draws on one Axes and returns its alt text


COMPUTE_FITS = (  # (population, legend name, colour, line style)
    ("notable_before_2010", "Notable models before 2010", COLORS["early"], "--"),
    ("notable_since_2010", "Notable models since 2010", COLORS["notable"], "-"),
    ("frontier", f"Frontier (top {sr.DEFAULTS.frontier_top_n} at release)", COLORS["frontier"], "-"),
)


def chart_compute_trend(ax, data: ReportData) -> str:
    """Draw training compute over time with the fitted trends and the frontier; returns its description (the alt text)."""
    runs = sr.observed(data, "training_compute_flop", frontier_only=False)
    if runs.height == 0:
        return _no_data(ax, "training compute estimates")
    frontier = runs.filter(pl.col("is_frontier").fill_null(False))
    others = runs.filter(~pl.col("is_frontier").fill_null(False))
    ax.scatter(
        others["publication_year_fraction"],
        others["training_compute_flop"],
        s=10,
        color=COLORS["observed"],
        alpha=0.55,
        linewidth=0,
        label=f"Notable models ({runs.height} with a compute estimate)",
        zorder=2,
    )
    ax.scatter(
        frontier["publication_year_fraction"],
        frontier["training_compute_flop"],
        s=16,
        color=COLORS["frontier"],
        alpha=0.55,
        linewidth=0,
        label="of which frontier at release",
        zorder=3,
    )
    described = []
    for population, name, color, linestyle in COMPUTE_FITS:
        fit = sr.fit(data, "training_compute_flop", population)
        if fit is None or fit["start_date"] is None or fit["end_date"] is None:
            continue
        x0, x1 = sr.year_fraction(fit["start_date"]), sr.year_fraction(fit["end_date"])
        # log10 y = intercept + slope * x: a straight line on a log axis.
        y0, y1 = (10 ** (fit["intercept_log10"] + fit["slope_oom_per_year"] * x) for x in (x0, x1))
        low, high, _ = sr.fit_interval(fit)
        label = (
            f"{name}, {fit['start_date'].year}–{fit['end_date'].year}: {fmt_growth(fit['growth_per_year'])} "
            f"(90% {fmt_interval(low, high, '×')}), n={fit['n']}"
        )
        ax.plot([x0, x1], [y0, y1], color=color, linestyle=linestyle, linewidth=2.4, label=label, zorder=4)
        described.append(f"{name.lower()} {fmt_growth(fit['growth_per_year'])}")
    _log_axis(ax)
    _year_axis(ax, math.floor(runs["publication_year_fraction"].min()) - 1, data.as_of.year + 1.5)
    ax.set_title("Training compute of notable AI models")
    ax.set_xlabel("Publication date")
    ax.set_ylabel("Training compute (FLOP, log scale)")
    ax.legend(loc="upper left")
    return (
        f"Scatter plot, log scale: training compute of {runs.height} notable AI models by publication date, "
        f"{frontier.height} frontier models highlighted, with fitted trends: " + "; ".join(described) + "."
    )


def chart_projection_fan(ax, data: ReportData) -> str:
    """Draw the projection fan of the largest run; returns its description (the alt text)."""
    band = sr.band(data, "training_compute_flop", None)
    fit = sr.fit(data, "training_compute_flop", "records")
    # Same window as the other projection charts: the fit's early years are in compute_trend.png.
    since = float(sr.CONTEXT_SINCE_YEAR)
    frontier = sr.observed(data, "training_compute_flop", since=since)
    records = sr.records(data, "training_compute_flop")
    if band is None and frontier.height == 0:
        return _no_data(ax, "compute projection")
    ax.scatter(
        frontier["publication_year_fraction"],
        frontier["training_compute_flop"],
        s=16,
        color=COLORS["frontier"],
        alpha=0.35,
        linewidth=0,
        label="Observed frontier runs",
        zorder=2,
    )
    shown = records.filter(pl.col("publication_year_fraction") >= since - 2)
    if shown.height:
        # The record is a step: it holds until a larger run is published, up to the as-of date.
        xs = shown["publication_year_fraction"].to_list() + [sr.year_fraction(data.as_of)]
        ys = shown["training_compute_flop"].to_list()
        ax.step(
            xs,
            ys + ys[-1:],
            where="post",
            color="#111111",
            linewidth=1.6,
            label="Record (largest run so far)",
            zorder=4,
        )
    if fit is not None and band is not None:
        # The record trend over the observed window, so the fan visibly continues the data.
        x0, x1 = since, band.x[0]
        ax.plot(
            [x0, x1],
            [10 ** (fit["intercept_log10"] + fit["slope_oom_per_year"] * x) for x in (x0, x1)],
            color="#111111",
            linestyle=":",
            linewidth=1.4,
            label=f"Trend of the records, {fmt_growth(fit['growth_per_year'])}",
        )
    method, coverage, n_backtests = sr.selected_coverage(data, "training_compute_flop")
    label = "Projected largest run"
    if method and coverage is not None:
        label += f" ({_label(METHOD_LABELS, method)}; its 90% bands held in {coverage:.0%} of {n_backtests} backtests)"
    _draw_band(ax, band, COLORS["frontier"], label)
    values = frontier["training_compute_flop"].to_list() + (band.low + band.high if band else [])
    post_growth, gpt4_claim = sr.claim(data, "growth_rate"), sr.claim(data, "gpt4_compute")
    x_end = band.x[-1] if band else data.as_of.year + 1
    if gpt4_claim and post_growth and finite(post_growth["claimed_value"]) and finite(gpt4_claim["claimed_value"]):
        # The post's own extrapolation: x10 every two years from its GPT-4 figure.
        x_start = gpt4_claim["year"] + 0.5
        slope = math.log10(post_growth["claimed_value"])
        ax.plot(
            [x_start, x_end],
            [gpt4_claim["claimed_value"] * 10 ** (slope * (x - x_start)) for x in (x_start, x_end)],
            color=COLORS["post"],
            linestyle="--",
            linewidth=1.3,
            alpha=0.8,
            label=f"The post's path: {fmt_growth(post_growth['claimed_value'])} from 1e26 in 2022",
        )
    values += _post_markers(
        ax,
        data,
        ("gpt4_compute", "frontier_2024_compute"),
        lambda c: f"post, {c['year']}: {fmt_number(c['claimed_value'])} FLOP",
        "The post's milestones",
    )
    gpt4, largest = sr.named_run(data, sr.GPT4_PATTERN, "training_compute_flop"), sr.largest_run(data)
    if gpt4:
        _annotate_run(
            ax,
            gpt4["publication_year_fraction"],
            gpt4["training_compute_flop"],
            f"{gpt4['model']}: {fmt_number(gpt4['training_compute_flop'])} FLOP{sr.curated_mark(data, gpt4)}",
            offset=(22, -52),
        )
    if largest and (gpt4 is None or largest["model_id"] != gpt4["model_id"]):
        _annotate_run(
            ax,
            largest["publication_year_fraction"],
            largest["training_compute_flop"],
            f"largest observed: {largest['model']}, {fmt_number(largest['training_compute_flop'])} FLOP"
            f"{sr.curated_mark(data, largest)}",
            offset=(14, -30),
        )
    _log_axis(ax)
    limits = _ylim_from(values, 5, 4)
    if limits:
        ax.set_ylim(*limits)
    _year_axis(ax, math.floor(since), x_end + 0.8)
    ax.set_title("Compute of the largest training run: observed and projected")
    ax.set_xlabel("Year")
    ax.set_ylabel("Training compute (FLOP, log scale)")
    ax.legend(loc="upper left")
    summary = ""
    if band:
        summary = (
            f" The projection reaches {fmt_number(band.central[-1])} FLOP in {band.years[-1]} "
            f"(90% band {fmt_interval(band.low[-1], band.high[-1])})."
        )
    return (
        "Log-scale chart of the training compute of frontier runs since "
        f"{math.floor(since)} and the record as a step line, continued by a projected band for the largest run, "
        "with the seed post's milestones marked as stars." + summary
    )


def chart_backtest(ax, data: ReportData) -> str:
    """Projected vs observed: what the published method would have said in each past year."""
    method, coverage, n_backtests = sr.selected_coverage(data, "training_compute_flop")
    if method is None or data.backtests is None:
        return _no_data(ax, "backtests")
    rows = data.backtests.filter((pl.col("metric") == "training_compute_flop") & (pl.col("method") == method))
    records = sr.records(data, "training_compute_flop")
    first = min(rows["as_of"].min().year, data.as_of.year) if rows.height else data.as_of.year
    shown = records.filter(pl.col("publication_year_fraction") >= first - 1)
    if shown.height:
        xs = shown["publication_year_fraction"].to_list() + [sr.year_fraction(data.as_of)]
        ys = shown["training_compute_flop"].to_list()
        ax.step(xs, ys + ys[-1:], where="post", color="#111111", linewidth=1.6, label="Observed record", zorder=4)
    palette = {1: "#2c6fbb", 2: "#16a085", 3: "#e67e22", 4: "#c0392b"}
    values = ys[:] if shown.height else []
    for horizon in sorted(set(rows["horizon_years"].to_list())):
        part = rows.filter(pl.col("horizon_years") == horizon)
        x = [sr.year_fraction(d) for d in part["target_date"].to_list()]
        central, low, high = (
            part["projected_central"].to_list(),
            part["projected_low"].to_list(),
            part["projected_high"].to_list(),
        )
        held = sum(part["is_covered"].to_list())
        ax.errorbar(
            x,
            central,
            yerr=[[c - lo for c, lo in zip(central, low)], [hi - c for c, hi in zip(central, high)]],
            fmt="o",
            markersize=4,
            capsize=2,
            linewidth=0.9,
            color=palette.get(horizon, "#555555"),
            alpha=0.8,
            label=f"Projected {horizon} year{'s' if horizon > 1 else ''} ahead (band held {held} of {part.height})",
        )
        values += low + high
    _finish_axes(
        ax,
        formatter=None,
        values=values,
        pads=(2, 2),
        years=(first - 0.5, data.as_of.year + 1),
        title=f"Backtest of the published method ({_label(METHOD_LABELS, method)})",
        xlabel="Target date (1 July of each year)",
        ylabel="Largest run so far (FLOP, log scale)",
        legend="upper left",
    )
    skill = data.backtest_skill.filter((pl.col("metric") == "training_compute_flop") & (pl.col("method") == method))
    mae = float((skill["mean_abs_error_oom"] * skill["n_backtests"]).sum() / max(int(skill["n_backtests"].sum()), 1))
    bias = float((skill["mean_error_oom"] * skill["n_backtests"]).sum() / max(int(skill["n_backtests"].sum()), 1))
    return (
        f"Log-scale chart: for each year since {first}, the largest-run compute the published method would have "
        f"projected 1 to 4 years ahead from the data known then, with its 90% band, against the record actually "
        f"observed. Over {n_backtests} backtests the band held {coverage:.0%} of the time (nominal 90%); the mean "
        f"absolute error is {mae:.2f} orders of magnitude and the mean error {bias:+.2f}."
    )


def _observed_with_bands(ax, data: ReportData, series, column: str, unit: float, label: str):
    """Draw the observed frontier runs of `column` (divided by `unit`) and the projection bands of `series`.

    Returns (bands, values drawn) or None when there is neither: the power and cost charts share it.
    """
    bands = [(sr.band(data, metric, method), name, color) for metric, method, name, color in series]
    bands = [b for b in bands if b[0] is not None]
    observed = sr.observed(data, column, since=sr.CONTEXT_SINCE_YEAR, min_flop=sr.CONTEXT_MIN_FLOP)
    if not bands and observed.height == 0:
        return None
    ax.scatter(
        observed["publication_year_fraction"],
        observed[column] / unit,
        s=18,
        color=COLORS["run"],
        alpha=0.45,
        linewidth=0,
        zorder=3,
        label=label,
    )
    for band, name, color in bands:
        _draw_band(ax, band, color, name)
    values = (observed[column] / unit).to_list() + [v for b, _, _ in bands for v in b.low + b.high]
    return bands, values


def _projection_years(data: ReportData, bands) -> tuple[float, float]:
    """The year axis of a projection chart: from the context start to just past the last band."""
    x_end = max((b.x[-1] for b, _, _ in bands), default=data.as_of.year + 1)
    return sr.CONTEXT_SINCE_YEAR, x_end + 0.8


def _band_summary(data: ReportData, bands, fmt) -> str:
    """Each band's central value in the headline year, for the chart's description."""
    year = sr.headline_year(data)
    return "; ".join(f"{name.lower()} {fmt(b.at(year)[1])} in {year}" for b, name, _ in bands if year and b.at(year))


def _finish_axes(ax, *, formatter, values, pads, years, title, xlabel, ylabel, legend, references=None) -> None:
    """The log value axis fitted to what is drawn, the year axis, reference lines, titles and legend."""
    _log_axis(ax, formatter)
    limits = _ylim_from(values + [r[0] for r in references or []], *pads)
    if limits:
        ax.set_ylim(*limits)
    _year_axis(ax, *years)
    if references is not None:
        _reference_lines(ax, references)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc=legend)


POWER_SERIES = (  # (metric, method, legend name, colour)
    ("cluster_power_gw", "trend", "Largest cluster, power capacity", COLORS["cluster"]),
    ("training_power_gw", "from_compute", "Largest run, from compute", COLORS["run"]),
    ("training_power_gw", "power_draw_trend", "Largest run, power-draw trend", COLORS["run_alt"]),
)


def chart_power(ax, data: ReportData) -> str:
    """Draw the largest run's and cluster's power against power stations and countries; returns its description (the alt text)."""
    drawn = _observed_with_bands(
        ax,
        data,
        POWER_SERIES,
        "training_power_w",
        1e9,
        f"Observed frontier runs ≥{fmt_number(sr.CONTEXT_MIN_FLOP)} FLOP (Epoch power draw)",
    )
    if drawn is None:
        return _no_data(ax, "power projection")
    bands, values = drawn
    values += _post_markers(
        ax,
        data,
        ("cluster_2026_power", "cluster_2028_power"),
        lambda c: f"post: {fmt_number(c['claimed_value'])} GW cluster ({c['year']})",
        "The post's cluster claims",
    )
    # Countries are labelled at the left edge, power plants at the right edge (under the bands): a
    # country as large as a power station (Greece's 6.5 GW beside the 6.8 GW station) no longer puts
    # the two labels one above the other around what looks like one line.
    references = [
        (value, text, COLORS["reference"], "--", PLANT_LABEL_X)
        if kind == "plant"
        else (value, text, COLORS["country"], ":")
        for value, text, kind in sr.power_references(data)
    ]
    countries = [r for r in references if r[3] == ":"]
    _finish_axes(
        ax,
        formatter=gw_tick,
        values=values,
        pads=(2, 3),
        years=_projection_years(data, bands),
        title="Power of the largest training run and cluster vs power stations and countries",
        xlabel="Year",
        ylabel="Power (log scale)",
        legend="lower right",
        references=references,
    )
    summary = _band_summary(data, bands, lambda v: f"{fmt_number(v)} GW")
    return (
        "Log-scale chart of projected power with 90% bands, against one nuclear reactor, the largest US power "
        f"station and the average electricity demand of {len(countries)} countries: " + summary + "."
    )


def chart_data(ax, data: ReportData) -> str:
    """Draw the largest run's training tokens against the stock of public text; returns its description (the alt text)."""
    band = sr.band(data, "training_tokens", "compute_optimal")
    observed = sr.token_runs(data)
    if band is None and observed.height == 0:
        return _no_data(ax, "token projection")
    ax.scatter(
        observed["publication_year_fraction"],
        observed["training_tokens"],
        s=18,
        color=COLORS["frontier"],
        alpha=0.45,
        linewidth=0,
        zorder=3,
        label=f"Observed frontier runs ≥{fmt_number(sr.CONTEXT_MIN_FLOP)} FLOP (pre-training data)",
    )
    _draw_band(ax, band, COLORS["frontier"], "Compute-optimal tokens of the largest run")
    values = observed["training_tokens"].to_list() + (band.low + band.high if band else [])
    stock = sr.assumption(data, "data_stock_tokens")
    if stock and finite(stock["value"]):
        if finite(stock["low"]) and finite(stock["high"]):
            ax.axhspan(
                stock["low"],
                stock["high"],
                color=COLORS["stock"],
                alpha=0.10,
                linewidth=0,
                zorder=1,
                label=f"Stock of public text, 90% interval ({fmt_tokens(stock['low'])}–{fmt_tokens(stock['high'])})",
            )
            values += [stock["low"], stock["high"]]
        ax.axhline(
            stock["value"],
            color=COLORS["stock"],
            linewidth=1.6,
            zorder=2,
            label=f"Stock of public text, central ({fmt_tokens(stock['value'])})",
        )
    post = sr.assumption(data, "post_internet_tokens")
    if post and finite(post["value"]):
        ax.axhline(
            post["value"],
            color=COLORS["post"],
            linewidth=1.3,
            linestyle="--",
            zorder=2,
            label=f"The post's Internet text ({fmt_tokens(post['value'])})",
        )
    llama = sr.named_run(data, sr.LLAMA_PATTERN, "training_tokens")
    if llama:
        ax.scatter(
            [llama["publication_year_fraction"]],
            [llama["training_tokens"]],
            s=60,
            color=COLORS["frontier"],
            edgecolor="black",
            linewidth=0.8,
            zorder=5,
        )
        _annotate_run(
            ax,
            llama["publication_year_fraction"],
            llama["training_tokens"],
            f"{llama['model']}: {fmt_tokens(llama['training_tokens'])}{sr.curated_mark(data, llama, 'training_tokens')}",
        )
    x_end = band.x[-1] if band else data.as_of.year + 1
    _finish_axes(
        ax,
        formatter=tokens_tick,
        values=values,
        pads=(3, 3),
        years=(sr.CONTEXT_SINCE_YEAR, x_end + 0.8),
        title="Training data of the largest run vs the stock of public text",
        xlabel="Year",
        ylabel="Training tokens (log scale, T = trillion)",
        legend="upper left",
    )
    year = sr.headline_year(data)
    summary = ""
    if band and year and band.at(year):
        summary = f" In {year} a compute-optimal largest run would use {fmt_tokens(band.at(year)[1])}."
    return (
        "Log-scale chart of compute-optimal training tokens of the largest run with its 90% band, against the "
        "stock of public text (central line and shaded 90% interval) and the post's 60 trillion tokens." + summary
    )


COST_SERIES = (  # (metric, method, legend name, colour)
    ("cluster_hardware_cost_usd", "trend", "Largest cluster, hardware cost", COLORS["cluster"]),
    ("training_cost_usd", None, "Largest run, training cost in 2023 dollars", COLORS["run"]),
)


def chart_cost(ax, data: ReportData) -> str:
    """Draw the largest run's and cluster's cost against reference sums; returns its description (the alt text)."""
    drawn = _observed_with_bands(
        ax, data, COST_SERIES, "training_cost_usd", 1, f"Observed frontier runs ≥{fmt_number(sr.CONTEXT_MIN_FLOP)} FLOP"
    )
    if drawn is None:
        return _no_data(ax, "cost projection")
    bands, values = drawn
    what = {"gpt4_cost": "GPT-4 run", "frontier_2024_cost": "frontier run", "cluster_2028_cost": "cluster"}
    values += _post_markers(
        ax,
        data,
        tuple(what),
        lambda c: f"post: {fmt_usd(c['claimed_value'])} {what[c['claim_id']]} ({c['year']})",
        "The post's cost claims",
    )
    references = [(value, text, COLORS["reference"], "--") for value, text in sr.cost_references(data)]
    _finish_axes(
        ax,
        formatter=usd_tick,
        values=values,
        pads=(3, 3),
        years=_projection_years(data, bands),
        title="Cost of the largest training run and cluster",
        xlabel="Year",
        ylabel="US dollars (log scale)",
        legend="lower right",
        references=references,
    )
    summary = _band_summary(data, bands, fmt_usd)
    return (
        "Log-scale chart of projected run cost and cluster hardware cost with 90% bands, against $1B, $10B and "
        "$100B reference lines and the seed post's cost claims: " + summary + "."
    )


CHART_DRAWERS = {
    "compute_trend": chart_compute_trend,
    "projection_fan": chart_projection_fan,
    "backtest": chart_backtest,
    "power": chart_power,
    "data": chart_data,
    "cost": chart_cost,
}


# --------------------------------------------------------------------------------------------
# Rendering


def draw_charts(data: ReportData, out_dir: Path) -> dict[str, tuple[Path, str]]:
    """One PNG per chart in out_dir; {name: (path, alt text)}. During `flopcast build` this runs in
    the build helper process, which has imported matplotlib while the build ran its first stages."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn: dict[str, tuple[Path, str]] = {}
    for name in CHARTS:
        figure, alt = chart_figure(name, data)
        path = out_dir / f"{name}.png"
        _save(figure, path)
        drawn[name] = (path, alt)
    return drawn


def chart_figure(name: str, data: ReportData):
    """(matplotlib Figure, alt text) of one chart, with its source and as-of lines."""
    import matplotlib

    matplotlib.use("Agg")  # here, not at import: importing the module must not touch matplotlib's state
    from matplotlib import style
    from matplotlib.figure import Figure

    # "default" first so a user's matplotlibrc cannot change the bytes.
    with style.context(["default", STYLE]):
        figure = Figure(figsize=FIGSIZE_IN, dpi=DPI)
        figure.subplots_adjust(**AXES_MARGINS)
        alt = CHART_DRAWERS[name](figure.add_subplot(), data)
        _footer(figure, data, name)
    return figure, alt


def _save(figure, path: Path) -> None:
    from matplotlib import style

    with style.context(["default", STYLE]):
        figure.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


def _footer(figure, data: ReportData, name: str) -> None:
    """The source line (left) and the as-of line (right) under the chart."""
    figure.text(0.01, FOOTER_Y, chart_source_line(name), ha="left", **FOOTER_STYLE)
    figure.text(0.99, FOOTER_Y, f"Data as of {data.as_of.isoformat()} · flopcast", ha="right", **FOOTER_STYLE)


def warm_up_charts() -> None:
    """Import what drawing needs and draw one small figure with text (matplotlib loads its font on
    first use), without writing anything: the build helper does this before the report is due."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import style
    from matplotlib.figure import Figure

    with style.context(["default", STYLE]):
        figure = Figure(figsize=(1, 1), dpi=DPI)
        figure.add_subplot().set_title("warm-up")
        figure.savefig(io.BytesIO(), format="png", dpi=DPI)
