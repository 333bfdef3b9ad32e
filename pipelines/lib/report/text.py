"""The report's words: chart titles, captions and source lines, and the headline's sentences.

Sentences that carry emphasis are ``markupsafe.Markup`` built with ``Markup.format``, which escapes
every value from the data; the template (Jinja2, autoescape on) escapes everything else.
"""

from __future__ import annotations

import math

import polars as pl
from markupsafe import Markup

from pipelines.lib.report import series as sr
from pipelines.lib.report.formatting import (
    METHOD_LABELS,
    METRIC_LABELS,
    REFERENCE_LABELS,
    SUBJECT_LABELS,
    fmt_quantity,
    label,
)
from pipelines.lib.report.queries import ReportData

CHARTS = ("compute_trend", "projection_fan", "backtest", "power", "data", "cost")
# Interactive only: the seed post's claims against the data (its table is in the claims section).
INTERACTIVE_CHARTS = (*CHARTS, "claims")
TITLES = {
    "compute_trend": "Compute trend",
    "projection_fan": "Projection of the largest run",
    "backtest": "Backtest: what the method would have projected",
    "power": "Energy: power vs reactors and countries",
    "data": "Data: tokens vs the stock of text",
    "cost": "Money: run and cluster cost",
    "claims": "The seed post's claims against the data",
}
VERDICT_COLORS = {
    "about right": "#1b7f3b",
    "overstated": "#b3261e",
    "understated": "#9a6700",
    "inside": "#1b7f3b",
    "above": "#b3261e",
    "below": "#9a6700",
}
ATTRIBUTION = (
    "Data on AI models, machine-learning hardware and GPU clusters: Epoch AI, 'Data on AI Models', "
    "'Data on Machine Learning Hardware' and 'Data on GPU Clusters', published online at epoch.ai, "
    "licensed under CC BY 4.0. Electricity demand per country: Ember, Yearly Electricity Data, "
    "licensed under CC BY 4.0. flopcast derived the fits, projections and comparisons; neither "
    "Epoch AI nor Ember endorses them."
)
CC_BY_URL = "https://creativecommons.org/licenses/by/4.0/"
_MODELS = "Epoch AI, Data on AI Models (CC BY 4.0)"
SOURCE_LINES = {  # the first line under each PNG: where its data come from
    "compute_trend": f"Source: {_MODELS}; trend fits: flopcast",
    "projection_fan": f"Source: {_MODELS}; projection: flopcast; stars: the seed post",
    "backtest": f"Source: {_MODELS}; backtests: flopcast",
    "power": (
        "Sources: Epoch AI, Data on AI Models and Data on GPU Clusters (CC BY 4.0); Ember, Yearly "
        "Electricity Data (CC BY 4.0); projections: flopcast"
    ),
    "data": f"Sources: {_MODELS}; stock of text: Villalobos et al. (2024); projection: flopcast",
    "cost": (
        "Sources: Epoch AI, Data on AI Models, Machine Learning Hardware and GPU Clusters (CC BY 4.0); "
        "projections: flopcast"
    ),
    "claims": f"Sources: the seed post; {_MODELS}; comparison: flopcast",
}


def chart_source_line(name: str) -> str:
    """The source line printed under a chart."""
    return SOURCE_LINES[name]


CAPTIONS = {
    "compute_trend": (
        "Each dot is a notable AI model with a training-compute estimate (Epoch AI), placed at its publication "
        "date; red dots were among the ten largest runs when released. The vertical axis is logarithmic, so a "
        "straight line is a constant growth rate and each gridline is ×10. The lines are least-squares fits of "
        "log10(compute) on time over each population's window; the legend gives growth per year with its 90% "
        "interval. Compare the slopes: growth sped up sharply around 2010, and the frontier grows faster than "
        "the field as a whole."
    ),
    "projection_fan": (
        "The red dots are frontier runs; the black step is the record (the largest run published so far) and the "
        "dotted line the trend of the records. The solid line with its shaded band is the projected largest run "
        "of each year, by the method the backtests chose: it starts where the record trend stands at the as-of "
        "date and its band is a 90% prediction band (slope and scatter); the legend says how often such bands held "
        "in backtests. A calendar year is drawn at its middle. Purple stars are the seed post's milestones and the "
        "dashed purple line its ×10-every-two-years path from 1e26 FLOP in 2022."
    ),
    "backtest": (
        "How the published method would have done in the past. For each year since 2012 it was fitted only on "
        "the runs published by 1 July of that year and projected 1 to 4 years ahead (dots, with their 90% bands); "
        "the black step is the record that was actually observed. A dot above the step is an over-projection. "
        "The legend counts how often the band contained the observed record; marts.backtests has every row and "
        "marts.backtest_skill the error, bias, coverage and interval score of every candidate method."
    ),
    "power": (
        "Three projections of power, each with its 90% band: the capacity of the largest GPU cluster (orange, "
        "trend of Epoch's cluster list), the draw of the largest training run estimated from its compute and "
        "hardware efficiency (blue), and the trend of Epoch's own power-draw estimates (green). Dashed lines are "
        "one nuclear reactor and the largest US power station; dotted lines are countries' average electricity "
        "demand (annual TWh / 8.76), from the median country to the largest, chosen by quantile. Where a band "
        "crosses a country's line, the run or cluster draws as much power as that whole country."
    ),
    "data": (
        "The band is the number of training tokens a compute-optimal (Chinchilla, about 20 tokens per parameter) "
        "largest run would use, derived from the compute projection. The green line and shaded area are the "
        "estimated stock of human-generated public text (Villalobos et al., 2024) with its 90% interval; the "
        "dashed purple line is the post's 60 trillion tokens. When the band crosses the green line, fresh public "
        "text alone no longer suffices: repeated epochs, synthetic or private data would be needed."
    ),
    "cost": (
        "Projected cost of the largest training run (blue, in 2023 dollars, amortised hardware and energy per "
        "Epoch AI) and hardware cost of the largest cluster (orange), each with its 90% band, against $1B, $10B "
        "and $100B (about one hyperscaler's yearly capital spending, the money roadblock). The post's figures "
        "are purple stars: note they mix one run's cost (2022, 2024) with a whole cluster's price (2028)."
    ),
    "claims": (
        "Each row is one figure of the seed post: the star is what the post claims, the dot and bar what the data "
        "say (central value and 90% interval), on a log scale of the ratio to the data's central value, so every "
        "claim shares one axis. A star inside the bar is consistent with the data; a star beyond ×1.25 of the dot "
        "is over- or understated. Values marked curated come from sources/curated/, with their citation."
    ),
}


def roadblock_when(row: dict) -> str:
    """When a roadblock binds, in words: the central year and its 90% range, or not before the horizon."""
    if row.get("first_year_central") is not None:
        earliest, latest = row.get("first_year_earliest"), row.get("first_year_latest")
        band = f" (90% range {earliest if earliest is not None else '?'}–{latest if latest is not None else 'after ' + str(row.get('horizon_year'))})"
        return f"{row['first_year_central']}{band}"
    text = f"not before {row.get('horizon_year')}"
    if row.get("first_year_earliest") is not None:
        text += f" (possible from {row['first_year_earliest']} on the high path)"
    return text


def first_binding(data: ReportData) -> list[tuple[str, dict]]:
    """Each roadblock's earliest binding row (central path), earliest roadblock first."""
    best: dict[str, dict] = {}
    for row in data.roadblocks.sort("roadblock", "subject", "metric", "method").iter_rows(named=True):
        year = row.get("first_year_central")
        current = best.get(row["roadblock"])
        if current is None or (
            year is not None and (current["first_year_central"] is None or year < current["first_year_central"])
        ):
            best[row["roadblock"]] = row
    never = 10**6
    return sorted(best.items(), key=lambda item: (item[1]["first_year_central"] or never, item[0]))


def binding_sentence(data: ReportData) -> Markup:
    """Which roadblock binds first on the central path, and whether the data can tell."""
    order = first_binding(data)
    horizon = sr.horizon_year(data)
    binding = [(name, row) for name, row in order if row["first_year_central"] is not None]
    if not order:
        return Markup("No roadblock was evaluated in this build.")
    if not binding:
        return Markup("No roadblock binds on the central path before {}.").format(horizon)
    lead_name, lead = binding[0]
    leaders = [name for name, row in binding if row["first_year_central"] == lead["first_year_central"]]
    what = (
        f"the {label(METRIC_LABELS, lead['metric'])} of the {label(SUBJECT_LABELS, lead['subject'])} "
        f"({label(METHOD_LABELS, lead['method'])}) would cross the {label(REFERENCE_LABELS, lead['reference'])} "
        f"({fmt_quantity(lead['reference_value'], lead['unit'])})"
    )
    text = Markup("<strong>{}</strong> {} first: in {} {}.").format(
        " and ".join(leaders).capitalize(), "binds" if len(leaders) == 1 else "bind", roadblock_when(lead), what
    )
    later = [(name, row) for name, row in order if name not in leaders]
    if later:
        text += (
            " Then "
            + " and ".join(
                f"{name} ({row['first_year_central']})"
                if row["first_year_central"] is not None
                else f"{name} (not before {horizon})"
                for name, row in later
            )
            + "."
        )
    # Overlapping 90% ranges: the data cannot order these roadblocks with confidence.
    lead_latest = lead.get("first_year_latest") or horizon
    overlapping = [
        name
        for name, row in later
        if row.get("first_year_earliest") is not None
        and lead_latest is not None
        and row["first_year_earliest"] <= lead_latest
    ]
    if overlapping:
        text += (
            f" The 90% range of {lead_name} overlaps those of {' and '.join(overlapping)}, "
            "so the data do not settle the order."
        )
    return text


def country_sentences(data: ReportData, year: int | None) -> list[Markup]:
    """Sentences saying how many countries the projected power exceeds in the year, for the report."""
    if year is None or data.constraints.height == 0 or "n_countries_exceeded" not in data.constraints.columns:
        return []
    rows = (
        data.constraints.filter(
            (pl.col("year") == year)
            & (pl.col("roadblock") == "energy")
            & (pl.col("scenario") == "central")
            & pl.col("n_countries_exceeded").is_not_null()
        )
        .unique(["subject", "metric", "method"], keep="first")
        .sort("subject", "metric", "method", descending=[False, False, False])
    )
    total = data.countries.height
    sentences = []
    for row in rows.iter_rows(named=True):
        what = f"{label(SUBJECT_LABELS, row['subject'])} ({label(METHOD_LABELS, row['method'])})"
        text = Markup(
            "In {} the {} would draw about <strong>{}</strong>, more than the average electricity demand "
            "of {} of {} countries"
        ).format(year, what, fmt_quantity(row["projected_value"], row["unit"]), row["n_countries_exceeded"], total)
        if row.get("largest_country_exceeded"):
            text += f" (the largest of them: {row['largest_country_exceeded']})"
        sentences.append(text + ".")
    return sentences


HEADLINE_PROJECTIONS = (  # (metric, method, what)
    ("training_compute_flop", None, "Compute of the largest run"),
    ("training_cost_usd", None, "Cost of the largest run"),
    ("cluster_hardware_cost_usd", "trend", "Hardware cost of the largest cluster"),
    ("training_power_gw", "from_compute", "Power of the largest run (from compute)"),
    ("training_power_gw", "power_draw_trend", "Power of the largest run (power-draw trend)"),
    ("cluster_power_gw", "trend", "Power capacity of the largest cluster"),
    ("training_tokens", "compute_optimal", "Compute-optimal tokens of the largest run"),
)


def band_note(data: ReportData) -> str:
    """What the bands mean, and how often the largest-run bands have held in backtests."""
    method, coverage, n = sr.selected_coverage(data, "training_compute_flop")
    note = (
        "The largest run's bands are 90% prediction bands (slope and scatter of the method the backtests chose); "
        "the clusters' are the 5th-95th percentiles of bootstrap lines (slope uncertainty only, not backtested). "
    )
    if method and coverage is not None and data.backtests is not None:
        rows = data.backtests.filter((pl.col("metric") == "training_compute_flop") & (pl.col("method") == method))
        bias = float(rows["error_oom"].mean()) if rows.height else math.nan
        note += (
            f"In {n} backtests of the compute path (fitted on what was known in each year since 2012, 1-4 years "
            f"ahead) the band held {coverage:.0%} of the time, and the central value was on average "
            f"{bias:+.2f} orders of magnitude off (positive: too high)."
        )
    return note
