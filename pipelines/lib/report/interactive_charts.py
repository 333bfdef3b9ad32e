"""The report's charts as interactive Plotly figures: hover a point for its model, organization, date and
value; zoom; click a legend entry to hide or show a series.

Figures are plain dicts in Plotly's JSON schema, serialized by ``plotly.io.to_html(..., validate=False)``
without plotly.js, which the page inlines once (``plotly_js``): building ``plotly.graph_objects``
would cost a third of a second of validation per report for nothing. plotly is imported here, lazily,
and only by ``chart_divs`` / ``plotly_js``.

Every text from the data (model and organization names, citations) is HTML-escaped before it goes
into a figure: Plotly draws hover labels and annotations from a subset of HTML and decodes entities,
so an escaped name shows as written and can never become markup.
"""

from __future__ import annotations

import html
import math

import polars as pl

from pipelines.lib.report import series as sr
from pipelines.lib.report.formatting import (
    METHOD_LABELS,
    finite,
    fmt_growth,
    fmt_interval,
    fmt_number,
    fmt_quantity,
    fmt_tokens,
    fmt_usd,
    gw_tick,
    label,
    power_of_ten_tick,
    tokens_tick,
    usd_tick,
)
from pipelines.lib.report.png_charts import COLORS
from pipelines.lib.report.queries import ReportData
from pipelines.lib.report.text import INTERACTIVE_CHARTS

HEIGHT_PX = 720
LEGEND_PX = 190  # room under the x axis for the legend
CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "scrollZoom": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendDataToCloud"],
}
POINT_HOVER = (
    "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>published %{customdata[2]}<br>%{customdata[3]}<extra></extra>"
)


def esc(value) -> str:
    """A value as HTML-escaped text for Plotly's labels and hovers (a list as its comma-separated items)."""
    if isinstance(value, list):  # a list column (a model's organizations): its items, comma-separated
        value = ", ".join(map(str, value))
    return html.escape("" if value is None else str(value), quote=True)


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


# --- traces ------------------------------------------------------------------------------------


def run_points(
    data: ReportData,
    runs: pl.DataFrame,
    column: str,
    name: str,
    color: str,
    *,
    scale: float = 1.0,
    fmt=fmt_number,
    unit: str = "",
    size: int = 6,
    opacity: float = 0.6,
    symbol: str = "circle",
) -> dict:
    """A scatter of runs whose hover names the model, its organization, date and value (and the
    citation when the value comes from sources/curated/)."""
    curated = sr.curated_citations(data)
    has_org = "organization" in runs.columns
    customdata = []
    for row in runs.iter_rows(named=True):
        value = f"{fmt(row[column] * scale)}{unit}"
        citation = curated.get((row["model_id"], column)) or ("curated run" if row.get("source") == "curated" else None)
        if citation:
            value += f"<br>curated: {esc(citation)}"
        customdata.append(
            [
                esc(row["model"]),
                esc(row.get("organization") if has_org else None) or "organization unknown",
                esc(row["publication_date"]),
                value,
            ]
        )
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": runs["publication_year_fraction"].to_list(),
        "y": [v * scale for v in runs[column].to_list()],
        "customdata": customdata,
        "hovertemplate": POINT_HOVER,
        "marker": {"color": color, "size": size, "opacity": opacity, "symbol": symbol},
    }


def band_traces(band: sr.Band | None, color: str, name: str, fmt=fmt_number, unit: str = "") -> list[dict]:
    """The 90% band (filled between low and high) and its central line, toggled together."""
    if band is None:
        return []
    group = name
    hover = [
        f"{year}: {fmt(c)}{unit} (90% band {fmt(lo)}–{fmt(hi)}{unit})"
        for year, lo, c, hi in zip(band.years, band.low, band.central, band.high)
    ]
    return [
        {
            "type": "scatter",
            "mode": "lines",
            "x": band.x,
            "y": band.low,
            "line": {"width": 0, "color": color},
            "legendgroup": group,
            "showlegend": False,
            "hoverinfo": "skip",
            "name": f"{name} (5%)",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": band.x,
            "y": band.high,
            "line": {"width": 0, "color": color},
            "fill": "tonexty",
            "fillcolor": _rgba(color, 0.18),
            "legendgroup": group,
            "showlegend": False,
            "hoverinfo": "skip",
            "name": f"{name} (95%)",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": band.x,
            "y": band.central,
            "line": {"width": 2.5, "color": color},
            "legendgroup": group,
            "name": f"{name} (central, 90% band)",
            "text": hover,
            "hovertemplate": f"<b>{esc(name)}</b><br>%{{text}}<extra></extra>",
        },
    ]


def hline(
    value: float, text: str, color: str, dash: str, x: tuple[float, float], group: str | None = None, show: bool = True
) -> dict:
    """A reference level as a trace (so the legend can toggle it and hovering it names it)."""
    return {
        "type": "scatter",
        "mode": "lines",
        "x": list(x),
        "y": [value, value],
        "name": esc(text),
        "line": {"color": color, "dash": dash, "width": 1.2},
        "legendgroup": group or text,
        "showlegend": show,
        "hovertemplate": f"{esc(text)}<extra></extra>",
    }


def post_stars(data: ReportData, claim_ids: tuple[str, ...], text, name: str) -> tuple[list[dict], list[float]]:
    """The seed post's claimed values as star markers (traces and their y values) for the given claims."""
    xs, ys, labels = [], [], []
    for claim_id in claim_ids:
        claim = sr.claim(data, claim_id)
        if claim and claim["year"] is not None and finite(claim["claimed_value"]):
            xs.append(claim["year"] + 0.5)
            ys.append(claim["claimed_value"])
            labels.append(esc(text(claim)))
    if not xs:
        return [], []
    return [
        {
            "type": "scatter",
            "mode": "markers+text",
            "name": name,
            "x": xs,
            "y": ys,
            "text": labels,
            "textposition": "top left",
            "textfont": {"color": COLORS["post"], "size": 11},
            "marker": {"symbol": "star", "size": 15, "color": COLORS["post"], "line": {"color": "white", "width": 1}},
            "hovertemplate": "%{text}<extra></extra>",
        }
    ], ys


def record_step(data: ReportData, since: float, name: str) -> tuple[list[dict], list[float]]:
    """The compute record as a step line from `since` to the as-of date (traces and their y values)."""
    records = sr.records(data, "training_compute_flop").filter(pl.col("publication_year_fraction") >= since)
    if records.height == 0:
        return [], []
    xs = records["publication_year_fraction"].to_list() + [sr.year_fraction(data.as_of)]
    ys = records["training_compute_flop"].to_list()
    models = [esc(m) for m in records["model"].to_list()]
    return [
        {
            "type": "scatter",
            "mode": "lines",
            "line": {"shape": "hv", "color": "#111111", "width": 1.8},
            "name": name,
            "x": xs,
            "y": ys + ys[-1:],
            "text": models + models[-1:],
            "hovertemplate": "record: <b>%{text}</b><br>%{y:.2e} FLOP<extra></extra>",
        }
    ], ys


# --- axes and layout ---------------------------------------------------------------------------


def log_axis(
    values: list[float], title: str, tick=power_of_ten_tick, pad_low: float = 3.0, pad_high: float = 3.0
) -> dict:
    """A log y axis over the values (padded), one labelled tick per decade, labels as on the PNGs."""
    finite_values = [v for v in values if finite(v) and v > 0]
    axis = {"type": "log", "title": {"text": title}, "gridcolor": "#eeeeee", "zeroline": False}
    if not finite_values:
        return axis
    low, high = math.log10(min(finite_values) / pad_low), math.log10(max(finite_values) * pad_high)
    decades = list(range(math.ceil(low), math.floor(high) + 1))
    step = max(1, math.ceil(len(decades) / 16))  # at most ~16 labels, as on the PNGs
    decades = decades[::step]
    axis.update(
        {"range": [low, high], "tickvals": [10.0**d for d in decades], "ticktext": [tick(10.0**d) for d in decades]}
    )
    return axis


def layout(
    title: str, xaxis_title: str, x_range: tuple[float, float], yaxis: dict, annotations: list[dict] | None = None
) -> dict:
    """The shared look. The legend sits under the plot: inside it, its box would hide part of a band."""
    return {
        "title": {"text": esc(title), "x": 0.01, "font": {"size": 16}},
        "height": HEIGHT_PX,
        "margin": {"l": 90, "r": 20, "t": 50, "b": LEGEND_PX},
        "font": {"family": "DejaVu Sans, Arial, sans-serif", "size": 12},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "hovermode": "closest",
        "xaxis": {
            "title": {"text": xaxis_title},
            "range": list(x_range),
            "gridcolor": "#eeeeee",
            "zeroline": False,
            "tickformat": "d",
        },
        "yaxis": yaxis,
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.1, "yanchor": "top", "font": {"size": 11}},
        "annotations": annotations or [],
    }


def run_annotation(run: dict, column: str, text: str, ax: int = 40, ay: int = 45) -> dict:
    """A Plotly arrow annotation pointing at a run."""
    return {
        "x": run["publication_year_fraction"],
        "y": math.log10(run[column]),
        "text": text,
        "showarrow": True,
        "arrowhead": 0,
        "ax": ax,
        "ay": ay,
        "font": {"size": 11},
        "bgcolor": "rgba(255,255,255,0.8)",
        "xanchor": "left",
    }


def empty(title: str, what: str) -> dict:
    """A chart that says there is no data of that kind in this build."""
    return {
        "data": [],
        "layout": {
            **layout(title, "", (0, 1), {"visible": False}),
            "xaxis": {"visible": False},
            "annotations": [
                {
                    "text": f"No {what} in this build",
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                }
            ],
        },
    }


# --- the charts --------------------------------------------------------------------------------

COMPUTE_FITS = (
    ("notable_before_2010", "Notable models before 2010", COLORS["early"], "dash"),
    ("notable_since_2010", "Notable models since 2010", COLORS["notable"], "solid"),
    ("frontier", f"Frontier (top {sr.DEFAULTS.frontier_top_n} at release)", COLORS["frontier"], "solid"),
)


def figure_compute_trend(data: ReportData) -> dict:
    """The interactive chart of training compute over time, with the fitted trends and the frontier."""
    title = "Training compute of notable AI models"
    runs = sr.observed(data, "training_compute_flop", frontier_only=False)
    if runs.height == 0:
        return empty(title, "training compute estimates")
    frontier = runs.filter(pl.col("is_frontier").fill_null(False))
    others = runs.filter(~pl.col("is_frontier").fill_null(False))
    traces = [
        run_points(
            data,
            others,
            "training_compute_flop",
            f"Notable models ({runs.height} with a compute estimate)",
            COLORS["observed"],
            unit=" FLOP",
            size=5,
        ),
        run_points(
            data,
            frontier,
            "training_compute_flop",
            "of which frontier at release",
            COLORS["frontier"],
            unit=" FLOP",
            size=7,
        ),
    ]
    for population, name, color, dash in COMPUTE_FITS:
        fit = sr.fit(data, "training_compute_flop", population)
        if fit is None or fit["start_date"] is None or fit["end_date"] is None:
            continue
        x0, x1 = sr.year_fraction(fit["start_date"]), sr.year_fraction(fit["end_date"])
        low, high, _ = sr.fit_interval(fit)
        text = (
            f"{name}, {fit['start_date'].year}–{fit['end_date'].year}: {fmt_growth(fit['growth_per_year'])} "
            f"(90% {fmt_interval(low, high, '×')}), n={fit['n']}"
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": text,
                "x": [x0, x1],
                "y": [10 ** (fit["intercept_log10"] + fit["slope_oom_per_year"] * x) for x in (x0, x1)],
                "line": {"color": color, "dash": dash, "width": 2.6},
                "hovertemplate": f"{esc(text)}<extra></extra>",
            }
        )
    yaxis = log_axis(
        runs["training_compute_flop"].to_list(), "Training compute (FLOP, log scale)", pad_low=2, pad_high=2
    )
    x_range = (math.floor(runs["publication_year_fraction"].min()) - 1, data.as_of.year + 1.5)
    return {"data": traces, "layout": layout(title, "Publication date", x_range, yaxis)}


def figure_projection_fan(data: ReportData) -> dict:
    """The interactive projection fan: the record as a step, the projected largest run and its band."""
    title = "Compute of the largest training run: observed and projected"
    band = sr.band(data, "training_compute_flop", None)
    since = float(sr.CONTEXT_SINCE_YEAR)
    frontier = sr.observed(data, "training_compute_flop", since=since)
    if band is None and frontier.height == 0:
        return empty(title, "compute projection")
    traces = [
        run_points(
            data,
            frontier,
            "training_compute_flop",
            "Observed frontier runs",
            COLORS["frontier"],
            unit=" FLOP",
            opacity=0.45,
        )
    ]
    step, values = record_step(data, since - 2, "Record (largest run so far)")
    traces += step
    fit = sr.fit(data, "training_compute_flop", "records")
    if fit is not None and band is not None:
        x0, x1 = since, band.x[0]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"Trend of the records, {fmt_growth(fit['growth_per_year'])}",
                "x": [x0, x1],
                "y": [10 ** (fit["intercept_log10"] + fit["slope_oom_per_year"] * x) for x in (x0, x1)],
                "line": {"color": "#111111", "dash": "dot", "width": 1.5},
                "hoverinfo": "skip",
            }
        )
    method, coverage, n_backtests = sr.selected_coverage(data, "training_compute_flop")
    name = "Projected largest run"
    if method and coverage is not None:
        name += f" ({label(METHOD_LABELS, method)}; its 90% bands held in {coverage:.0%} of {n_backtests} backtests)"
    traces += band_traces(band, COLORS["frontier"], name, unit=" FLOP")
    values = frontier["training_compute_flop"].to_list() + values + (band.low + band.high if band else [])
    post_growth, gpt4_claim = sr.claim(data, "growth_rate"), sr.claim(data, "gpt4_compute")
    x_end = band.x[-1] if band else data.as_of.year + 1
    if gpt4_claim and post_growth and finite(post_growth["claimed_value"]) and finite(gpt4_claim["claimed_value"]):
        x_start, slope = gpt4_claim["year"] + 0.5, math.log10(post_growth["claimed_value"])
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [x_start, x_end],
                "y": [gpt4_claim["claimed_value"] * 10 ** (slope * (x - x_start)) for x in (x_start, x_end)],
                "name": f"The post's path: {fmt_growth(post_growth['claimed_value'])} from 1e26 in 2022",
                "line": {"color": COLORS["post"], "dash": "dash", "width": 1.4},
                "hoverinfo": "skip",
            }
        )
    stars, star_values = post_stars(
        data,
        ("gpt4_compute", "frontier_2024_compute"),
        lambda c: f"post, {c['year']}: {fmt_number(c['claimed_value'])} FLOP",
        "The post's milestones",
    )
    traces += stars
    values += star_values
    annotations = []
    gpt4, largest = sr.named_run(data, sr.GPT4_PATTERN, "training_compute_flop"), sr.largest_run(data)
    if gpt4:
        annotations.append(
            run_annotation(
                gpt4,
                "training_compute_flop",
                esc(f"{gpt4['model']}: {fmt_number(gpt4['training_compute_flop'])} FLOP{sr.curated_mark(data, gpt4)}"),
                50,
                60,
            )
        )
    if largest and (gpt4 is None or largest["model_id"] != gpt4["model_id"]):
        annotations.append(
            run_annotation(
                largest,
                "training_compute_flop",
                esc(
                    f"largest observed: {largest['model']}, {fmt_number(largest['training_compute_flop'])} FLOP"
                    f"{sr.curated_mark(data, largest)}"
                ),
                30,
                40,
            )
        )
    yaxis = log_axis(values, "Training compute (FLOP, log scale)", pad_low=5, pad_high=4)
    return {
        "data": traces,
        "layout": layout(title, "Year", (math.floor(since), x_end + 0.8), yaxis, annotations=annotations),
    }


BACKTEST_COLORS = {1: "#2c6fbb", 2: "#16a085", 3: "#e67e22", 4: "#c0392b"}


def figure_backtest(data: ReportData) -> dict:
    """The interactive backtest: what the published method would have projected in past years, and what happened."""
    method, rows = sr.backtest_rows(data)
    if method is None:
        return empty("Backtest of the published method", "backtests")
    first = min(rows["as_of"].min().year, data.as_of.year) if rows.height else data.as_of.year
    traces, values = record_step(data, first - 1, "Observed record")
    for horizon in sorted(set(rows["horizon_years"].to_list())):
        part = rows.filter(pl.col("horizon_years") == horizon)
        central, low, high = (
            part["projected_central"].to_list(),
            part["projected_low"].to_list(),
            part["projected_high"].to_list(),
        )
        held = sum(part["is_covered"].to_list())
        text = [
            f"fitted on data to {a}, {horizon} year{'s' if horizon > 1 else ''} ahead<br>projected {fmt_number(c)} FLOP "
            f"(90% band {fmt_number(lo)}–{fmt_number(hi)})<br>band {'held' if ok else 'missed'}"
            for a, c, lo, hi, ok in zip(part["as_of"].to_list(), central, low, high, part["is_covered"].to_list())
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [sr.year_fraction(d) for d in part["target_date"].to_list()],
                "y": central,
                "text": text,
                "hovertemplate": "%{text}<extra></extra>",
                "name": f"Projected {horizon} year{'s' if horizon > 1 else ''} ahead (band held {held} of {part.height})",
                "marker": {"color": BACKTEST_COLORS.get(horizon, "#555555"), "size": 7},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [h - c for c, h in zip(central, high)],
                    "arrayminus": [c - lo for c, lo in zip(central, low)],
                    "thickness": 1,
                    "width": 3,
                },
            }
        )
        values += low + high
    yaxis = log_axis(values, "Largest run so far (FLOP, log scale)", pad_low=2, pad_high=2)
    return {
        "data": traces,
        "layout": layout(
            f"Backtest of the published method ({label(METHOD_LABELS, method)})",
            "Target date (1 July of each year)",
            (first - 0.5, data.as_of.year + 1),
            yaxis,
        ),
    }


def observed_with_bands(data: ReportData, series, column: str, label: str, *, scale: float, fmt, unit: str = ""):
    """Traces of the observed frontier runs of `column` and the projection bands of `series`, and the values drawn.

    None when there is neither: the power and cost charts share it.
    """
    bands = [(sr.band(data, metric, method), name, color) for metric, method, name, color in series]
    bands = [b for b in bands if b[0] is not None]
    observed = sr.observed(data, column, since=sr.CONTEXT_SINCE_YEAR, min_flop=sr.CONTEXT_MIN_FLOP)
    if not bands and observed.height == 0:
        return None
    traces = [run_points(data, observed, column, label, COLORS["run"], scale=scale, fmt=fmt)]
    for band, name, color in bands:
        traces += band_traces(band, color, name, fmt=fmt_number if unit else fmt, unit=unit)
    values = [v * scale for v in observed[column].to_list()] + [v for b, _, _ in bands for v in b.low + b.high]
    return bands, traces, values


POWER_SERIES = (
    ("cluster_power_gw", "trend", "Largest cluster, power capacity", COLORS["cluster"]),
    ("training_power_gw", "from_compute", "Largest run, from compute", COLORS["run"]),
    ("training_power_gw", "power_draw_trend", "Largest run, power-draw trend", COLORS["run_alt"]),
)


def figure_power(data: ReportData) -> dict:
    """The interactive chart of the largest run's and cluster's power against power stations and countries."""
    title = "Power of the largest training run and cluster vs power stations and countries"
    label = f"Observed frontier runs ≥{fmt_number(sr.CONTEXT_MIN_FLOP)} FLOP (Epoch power draw)"
    drawn = observed_with_bands(data, POWER_SERIES, "training_power_w", label, scale=1e-9, fmt=gw_tick, unit=" GW")
    if drawn is None:
        return empty(title, "power projection")
    bands, traces, values = drawn
    stars, star_values = post_stars(
        data,
        ("cluster_2026_power", "cluster_2028_power"),
        lambda c: f"post: {fmt_number(c['claimed_value'])} GW cluster ({c['year']})",
        "The post's cluster claims",
    )
    traces += stars
    x_end = max((b.x[-1] for b, _, _ in bands), default=data.as_of.year + 1)
    x = (sr.CONTEXT_SINCE_YEAR, x_end + 0.8)
    references = sr.power_references(data)
    first_country = True
    for value, text, kind in references:
        if kind == "plant":
            traces.append(hline(value, text, COLORS["reference"], "dash", x))
        else:  # the countries toggle together: one legend entry
            traces.append(hline(value, text, COLORS["country"], "dot", x, group="countries", show=first_country))
            if first_country:
                traces[-1]["name"] = "Countries' average electricity demand"
                traces[-1]["hovertemplate"] = f"{esc(text)}<extra></extra>"
            first_country = False
    yaxis = log_axis(
        values + star_values + [r[0] for r in references], "Power (log scale)", tick=gw_tick, pad_low=2, pad_high=3
    )
    # Labelled as on the PNG: countries at the left edge over their line, power plants at the right
    # edge under it (a 6.5 GW country and the 6.8 GW station must not read as one line's two labels).
    annotations = [
        {
            "xref": "paper",
            "x": 0.005 if kind == "country" else 0.995,
            "y": math.log10(value),
            "xanchor": "left" if kind == "country" else "right",
            "yanchor": "bottom" if kind == "country" else "top",
            "text": esc(text),
            "showarrow": False,
            "bgcolor": "rgba(255,255,255,0.8)",
            "font": {"size": 10, "color": COLORS["country"] if kind == "country" else COLORS["reference"]},
        }
        for value, text, kind in references
    ]
    return {"data": traces, "layout": layout(title, "Year", x, yaxis, annotations=annotations)}


def figure_data(data: ReportData) -> dict:
    """The interactive chart of the largest run's training tokens against the stock of public text."""
    title = "Training data of the largest run vs the stock of public text"
    band = sr.band(data, "training_tokens", "compute_optimal")
    observed = sr.token_runs(data)
    if band is None and observed.height == 0:
        return empty(title, "token projection")
    traces = [
        run_points(
            data,
            observed,
            "training_tokens",
            f"Observed frontier runs ≥{fmt_number(sr.CONTEXT_MIN_FLOP)} FLOP (pre-training data)",
            COLORS["frontier"],
            fmt=fmt_tokens,
        )
    ]
    traces += band_traces(
        band, COLORS["frontier"], "Compute-optimal tokens of the largest run", fmt=tokens_tick, unit=" tokens"
    )
    values = observed["training_tokens"].to_list() + (band.low + band.high if band else [])
    x_end = band.x[-1] if band else data.as_of.year + 1
    x = (sr.CONTEXT_SINCE_YEAR, x_end + 0.8)
    stock = sr.assumption(data, "data_stock_tokens")
    if stock and finite(stock["value"]):
        if finite(stock["low"]) and finite(stock["high"]):
            name = f"Stock of public text, 90% interval ({fmt_tokens(stock['low'])}–{fmt_tokens(stock['high'])})"
            traces += [
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": list(x),
                    "y": [stock["low"]] * 2,
                    "line": {"width": 0},
                    "legendgroup": "stock",
                    "showlegend": False,
                    "hoverinfo": "skip",
                    "name": name,
                },
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": list(x),
                    "y": [stock["high"]] * 2,
                    "line": {"width": 0},
                    "fill": "tonexty",
                    "fillcolor": _rgba(COLORS["stock"], 0.10),
                    "legendgroup": "stock",
                    "name": name,
                    "hoverinfo": "skip",
                },
            ]
            values += [stock["low"], stock["high"]]
        traces.append(
            hline(
                stock["value"],
                f"Stock of public text, central ({fmt_tokens(stock['value'])})",
                COLORS["stock"],
                "solid",
                x,
            )
        )
    post = sr.assumption(data, "post_internet_tokens")
    if post and finite(post["value"]):
        traces.append(
            hline(post["value"], f"The post's Internet text ({fmt_tokens(post['value'])})", COLORS["post"], "dash", x)
        )
    annotations = []
    llama = sr.named_run(data, sr.LLAMA_PATTERN, "training_tokens")
    if llama:
        annotations.append(
            run_annotation(
                llama,
                "training_tokens",
                esc(
                    f"{llama['model']}: {fmt_tokens(llama['training_tokens'])}{sr.curated_mark(data, llama, 'training_tokens')}"
                ),
            )
        )
    yaxis = log_axis(values, "Training tokens (log scale, T = trillion)", tick=tokens_tick)
    return {"data": traces, "layout": layout(title, "Year", x, yaxis, annotations=annotations)}


COST_SERIES = (
    ("cluster_hardware_cost_usd", "trend", "Largest cluster, hardware cost", COLORS["cluster"]),
    ("training_cost_usd", None, "Largest run, training cost in 2023 dollars", COLORS["run"]),
)


def figure_cost(data: ReportData) -> dict:
    """The interactive chart of the largest run's and cluster's cost against reference sums."""
    title = "Cost of the largest training run and cluster"
    label = f"Observed frontier runs ≥{fmt_number(sr.CONTEXT_MIN_FLOP)} FLOP"
    drawn = observed_with_bands(data, COST_SERIES, "training_cost_usd", label, scale=1.0, fmt=fmt_usd)
    if drawn is None:
        return empty(title, "cost projection")
    bands, traces, values = drawn
    what = {"gpt4_cost": "GPT-4 run", "frontier_2024_cost": "frontier run", "cluster_2028_cost": "cluster"}
    stars, star_values = post_stars(
        data,
        tuple(what),
        lambda c: f"post: {fmt_usd(c['claimed_value'])} {what[c['claim_id']]} ({c['year']})",
        "The post's cost claims",
    )
    traces += stars
    x_end = max((b.x[-1] for b, _, _ in bands), default=data.as_of.year + 1)
    x = (sr.CONTEXT_SINCE_YEAR, x_end + 0.8)
    references = sr.cost_references(data)
    traces += [hline(value, text, COLORS["reference"], "dash", x) for value, text in references]
    yaxis = log_axis(values + star_values + [r[0] for r in references], "US dollars (log scale)", tick=usd_tick)
    return {"data": traces, "layout": layout(title, "Year", x, yaxis)}


def figure_claims(data: ReportData) -> dict:
    """Each claim against the data, as the ratio to the data's central value (one log axis for all)."""
    title = "The seed post's claims against the data"
    claims = data.claims.filter(
        pl.col("data_value").is_not_null()
        & (pl.col("data_value") > 0)
        & pl.col("claimed_value").is_not_null()
        & (pl.col("claimed_value") > 0)
    )
    if claims.height == 0:
        return empty(title, "checkable claims")
    claims = claims.sort(["year", "claim_id"], nulls_last=False, descending=[True, True])  # first claim on top
    names, ratios, lows, highs, data_text, claim_text, verdicts = [], [], [], [], [], [], []
    for row in claims.iter_rows(named=True):
        name = row["statement"] or row["claim_id"]
        if row.get("year") is not None and str(row["year"]) not in name:
            name += f" ({row['year']})"
        names.append(esc(name))
        central = row["data_value"]
        ratios.append(row["claimed_value"] / central)
        low = row["data_low"] / central if finite(row.get("data_low")) else 1.0
        high = row["data_high"] / central if finite(row.get("data_high")) else 1.0
        lows.append(1.0 - low)
        highs.append(high - 1.0)
        citations = sr.claim_curated_citations(data, row)
        text = f"data: {fmt_quantity(central, row['unit'])}"
        if finite(row.get("data_low")) and finite(row.get("data_high")):
            text += f" (90% {fmt_quantity(row['data_low'], row['unit'])}–{fmt_quantity(row['data_high'], row['unit'])})"
        if citations:
            text += "<br>curated: " + esc("; ".join(citations))
        data_text.append(text)
        claim_text.append(
            f"claimed: {fmt_quantity(row['claimed_value'], row['unit'])}<br>verdict: {esc(row.get('verdict'))}"
            f"{'; interval: ' + esc(row['interval_verdict']) if row.get('interval_verdict') else ''}"
        )
        verdicts.append(row.get("verdict"))
    traces = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "The data (central value, 90% interval)",
            "x": [1.0] * len(names),
            "y": names,
            "text": data_text,
            "hovertemplate": "<b>%{y}</b><br>%{text}<extra></extra>",
            "marker": {"color": "#111111", "size": 8},
            "error_x": {
                "type": "data",
                "symmetric": False,
                "array": highs,
                "arrayminus": lows,
                "thickness": 2,
                "width": 5,
            },
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "The post's claim",
            "x": ratios,
            "y": names,
            "text": claim_text,
            "hovertemplate": "<b>%{y}</b><br>%{text}<extra></extra>",
            "marker": {"symbol": "star", "size": 14, "color": COLORS["post"], "line": {"color": "white", "width": 1}},
        },
    ]
    spread = [r for r in ratios] + [1 - lo for lo in lows] + [1 + hi for hi in highs]
    xaxis = log_axis(
        [v for v in spread if v > 0],
        "Claim ÷ data's central value (log scale; 1 = the data)",
        tick=lambda v: f"×{fmt_number(v)}",
        pad_low=2,
        pad_high=2,
    )
    base = layout(title, "", (0, 1), {})
    base["xaxis"] = xaxis
    base["yaxis"] = {"automargin": True, "gridcolor": "#eeeeee"}
    base["margin"] = {**base["margin"], "l": 20}
    base["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": 1,
            "x1": 1,
            "y0": 0,
            "y1": 1,
            "line": {"color": "#888888", "width": 1},
        }
    ]
    return {"data": traces, "layout": base}


FIGURES = {
    "compute_trend": figure_compute_trend,
    "projection_fan": figure_projection_fan,
    "backtest": figure_backtest,
    "power": figure_power,
    "data": figure_data,
    "cost": figure_cost,
    "claims": figure_claims,
}


def figures(data: ReportData) -> dict[str, dict]:
    """Every interactive chart of the report, by name, in page order."""
    return {name: FIGURES[name](data) for name in INTERACTIVE_CHARTS}


def chart_divs(data: ReportData) -> dict[str, str]:
    """{name: the chart's <div> and the <script> that draws it}; plotly.js itself is not included."""
    import plotly.io as pio

    return {
        name: pio.to_html(
            figure,
            config=CONFIG,
            include_plotlyjs=False,
            full_html=False,
            validate=False,
            div_id=f"plot-{name}",
            default_height=f"{HEIGHT_PX}px",
        )
        for name, figure in figures(data).items()
    }


def plotly_js() -> str:
    """plotly.js from the installed package, to inline once in the page (no CDN, no network)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()
