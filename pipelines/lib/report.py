"""The reader's report: five charts and the tables behind them, in one self-contained HTML file.

``load_report_data`` reads the published marts into plain polars frames; ``render_report`` draws
the charts with matplotlib's object API (no pyplot global state) and writes ``index.html`` with
every chart embedded as a ``data:`` URI, so the report opens offline, can be mailed or archived,
and needs no JavaScript.

Same input, same bytes: fixed figure size, dpi and style, no "Software" stamp in the PNGs, no
timestamps, every table sorted before it is written.
"""

from __future__ import annotations

import base64
import datetime
import html
import math
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

CHARTS = ("compute_trend", "projection_fan", "backtest", "power", "data", "cost")
HEADLINE_YEAR = 2030  # a round year just past the post's last milestone (2028); falls back to the horizon
FIGSIZE_IN = (10.0, 5.6)
DPI = 120
# The axes' place in each chart, as fractions of the figure: a fixed layout. Constrained layout
# measured every artist two or three times per chart (a third of the report's rendering time). These
# margins fit the widest tick label the y formatters write ("10,000 GW", "$100B", "10²⁹"), the
# axis labels, the title and the last year label, and line the six charts up on the page.
AXES_MARGINS = {"left": 0.12, "right": 0.985, "bottom": 0.085, "top": 0.945}
# Countries drawn on the power chart: the median country, then ever larger ones up to the largest.
COUNTRY_QUANTILES = (0.5, 0.75, 0.9, 0.975, 1.0)
# The projection charts show observed frontier runs of at least this size as context: smaller
# frontier runs from the early 2010s would stretch the log axis without saying anything about 2030.
CONTEXT_SINCE_YEAR = 2019
CONTEXT_MIN_FLOP = 1e23

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

SUBJECT_LABELS = {"largest_run": "largest training run", "largest_cluster": "largest cluster"}
METRIC_LABELS = {
    "training_compute_flop": "training compute",
    "training_cost_usd": "training cost",
    "cluster_hardware_cost_usd": "hardware cost",
    "training_power_gw": "power draw",
    "cluster_power_gw": "power capacity",
    "training_tokens": "training tokens",
    "parameters": "parameters",
}
METHOD_LABELS = {
    "trend": "trend",
    "record_trend": "record trend",
    "record_level_frontier_slope": "record level, frontier growth",
    "record_anchored": "last record, frontier growth",
    "frontier_offset": "frontier line + top-decile offset",
    "from_compute": "from compute",
    "power_draw_trend": "power-draw trend",
    "compute_optimal": "compute-optimal",
}
REFERENCE_LABELS = {
    "public_text_stock": "stock of public text",
    "post_internet_text": "the post's 60T tokens",
    "largest_us_power_station": "largest US power station",
    "one_nuclear_reactor": "one nuclear reactor",
    "largest_company_capex": "one company's yearly capex",
    "usd_1b": "$1B",
    "usd_10b": "$10B",
}
VERDICT_COLORS = {"about right": "#1b7f3b", "overstated": "#b3261e", "understated": "#9a6700",
                  "inside": "#1b7f3b", "above": "#b3261e", "below": "#9a6700"}
ATTRIBUTION = (
    "Data on AI models, machine-learning hardware and GPU clusters: Epoch AI, 'Data on AI Models', "
    "'Data on Machine Learning Hardware' and 'Data on GPU Clusters', published online at epoch.ai, "
    "licensed under CC BY 4.0. Electricity demand per country: Ember, Yearly Electricity Data, "
    "licensed under CC BY 4.0. flopcast derived the fits, projections and comparisons; neither "
    "Epoch AI nor Ember endorses them."
)
CC_BY_URL = "https://creativecommons.org/licenses/by/4.0/"


@dataclass(frozen=True)
class ReportData:
    """Plain polars frames, read by the caller from the build database."""

    runs: pl.DataFrame
    fits: pl.DataFrame
    projections: pl.DataFrame
    constraints: pl.DataFrame
    roadblocks: pl.DataFrame
    countries: pl.DataFrame
    claims: pl.DataFrame
    assumptions: pl.DataFrame
    as_of: datetime.date
    sources: dict  # source name -> {"version": ..., "citation": ..., "license": ...}
    release_diff: pl.DataFrame | None = None  # marts.release_diff: changes since the previous snapshot
    backtests: pl.DataFrame | None = None  # marts.backtests
    backtest_skill: pl.DataFrame | None = None  # marts.backtest_skill
    provenance: pl.DataFrame | None = None  # marts.value_provenance: values from sources/curated/


# --------------------------------------------------------------------------------------------
# Loading


_QUERIES = {
    "runs": "SELECT * FROM marts.training_runs ORDER BY model_id",
    # The report shows the baseline estimates; curated scenarios are compared in the tables themselves.
    "fits": "SELECT * FROM marts.trend_fits WHERE estimates = 'baseline' ORDER BY metric, population, start_date",
    "projections": "SELECT * FROM marts.projections WHERE estimates = 'baseline' ORDER BY subject, metric, method, year, scenario",
    "constraints": "SELECT * FROM marts.constraints ORDER BY year, roadblock, subject, metric, method, scenario, reference",
    "roadblocks": "SELECT * FROM marts.roadblocks ORDER BY roadblock, subject, metric, method, reference",
    "countries": "SELECT * FROM marts.country_electricity_latest ORDER BY average_power_gw, country_or_region",
    "claims": "SELECT * FROM marts.seed_claims ORDER BY claim_id",
    "assumptions": "SELECT * FROM marts.assumptions ORDER BY name",
}


def load_report_data(con: duckdb.DuckDBPyConnection, sources: dict) -> ReportData:
    """Read every table the report shows. ``sources`` is the manifest's ``sources`` mapping."""
    frames = {name: con.execute(sql).pl() for name, sql in _QUERIES.items()}
    # The as-of date is the one the fits were made with, never today: the report must not change
    # when nothing upstream did.
    as_of = frames["fits"]["as_of"].max() if frames["fits"].height else None
    if as_of is None:
        as_of = frames["runs"]["publication_date"].max()
    if as_of is None:
        raise ValueError("cannot date the report: marts.trend_fits and marts.training_runs are both empty")
    has_diff = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts' "
                           "AND table_name = 'release_diff'").fetchone()[0]
    diff = con.execute("SELECT * FROM marts.release_diff ORDER BY change, model_id, \"column\"").pl() if has_diff else None
    has_backtests = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts' "
                                "AND table_name = 'backtest_skill'").fetchone()[0]
    backtests = skill = None
    if has_backtests:
        backtests = con.execute("SELECT * FROM marts.backtests ORDER BY metric, method, as_of, horizon_years").pl()
        skill = con.execute("SELECT * FROM marts.backtest_skill ORDER BY metric, method, horizon_years").pl()
    has_provenance = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts' "
                                 "AND table_name = 'value_provenance'").fetchone()[0]
    provenance = (con.execute("SELECT * FROM marts.value_provenance ORDER BY estimates, model_id, field").pl()
                  if has_provenance else None)
    return ReportData(**frames, as_of=as_of, sources=dict(sources), release_diff=diff, backtests=backtests,
                      backtest_skill=skill, provenance=provenance)


# --------------------------------------------------------------------------------------------
# Number formatting: what a reader sees, in one place


def _finite(value) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def fmt_number(value, digits: int = 2) -> str:
    """2 significant figures by default: 4.8, 0.36, 1,100, 3.1e26."""
    if not _finite(value):
        return "—"
    if value == 0:
        return "0"
    rounded = float(f"{value:.{digits}g}")
    magnitude = abs(rounded)
    if 1e-2 <= magnitude < 1e5:
        decimals = max(0, digits - 1 - math.floor(math.log10(magnitude)))
        text = f"{rounded:,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")  # 1e26, not 1.0e26
    return f"{mantissa}e{int(exponent)}"


def fmt_usd(value) -> str:
    if not _finite(value):
        return "—"
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"${fmt_number(value / scale)}{suffix}"
    return f"${fmt_number(value)}"


def fmt_tokens(value) -> str:
    return fmt_quantity(value, "tokens")


def fmt_growth(value) -> str:
    return "—" if not _finite(value) else f"{fmt_number(value)}×/yr"


def fmt_interval(low, high, suffix: str = "") -> str:
    if not (_finite(low) and _finite(high)):
        return "—"
    return f"{fmt_number(low)}–{fmt_number(high)}{suffix}"


def fmt_months(value) -> str:
    return "—" if not _finite(value) or value <= 0 else f"{fmt_number(value)} months"


def _unit_parts(value: float, unit: str) -> tuple[str, str]:
    """The number as a reader expects it for this unit, and the unit suffix to write once."""
    if unit.startswith("USD"):
        base_year = re.search(r"\((\d{4})\)", unit)
        return fmt_usd(value), (f" ({base_year.group(1)} dollars)" if base_year else "")
    if unit == "tokens":
        # The post and the data-stock literature count text in trillions of tokens.
        return f"{fmt_number(value / 1e12)}T", " tokens"
    if unit in ("x/year", "×/year"):
        return fmt_number(value), "×/yr"
    if unit == "ratio":
        return fmt_number(value), "×"
    if unit == "fraction":
        return fmt_number(value * 100), "%"
    return fmt_number(value), (f" {unit}" if unit else "")


def fmt_quantity(value, unit: str | None) -> str:
    """A value with its unit: 3.1e29 FLOP, $17B (2023 dollars), 12 GW, 1,000T tokens, 4.8×/yr."""
    if not _finite(value):
        return "—"
    number, suffix = _unit_parts(value, unit or "")
    return number + suffix


def fmt_range(low, high, unit: str | None) -> str:
    """An interval with its unit written once: 1.8e29–5e29 FLOP, $6.5B–$41B."""
    if not (_finite(low) and _finite(high)):
        return "—"
    (low_text, suffix), (high_text, _) = _unit_parts(low, unit or ""), _unit_parts(high, unit or "")
    return f"{low_text}–{high_text}{suffix}"


def _label(mapping: dict, key: str | None) -> str:
    return mapping.get(key, (key or "").replace("_", " "))


# --------------------------------------------------------------------------------------------
# Reading the frames


def _year_fraction(day: datetime.date) -> float:
    """The fits' time axis: the middle of the day, as a fraction of its year."""
    days_in_year = 366 if (day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)) else 365
    return day.year + (day.timetuple().tm_yday - 0.5) / days_in_year


def _fit(data: ReportData, metric: str, population: str) -> dict | None:
    rows = data.fits.filter((pl.col("metric") == metric) & (pl.col("population") == population))
    return rows.sort("start_date").row(0, named=True) if rows.height else None


def _fit_interval(fit: dict) -> tuple[float | None, float | None, str]:
    """The bootstrap 90% interval when there is one (it does not assume normal residuals)."""
    if _finite(fit.get("growth_per_year_boot_low")) and _finite(fit.get("growth_per_year_boot_high")):
        return fit["growth_per_year_boot_low"], fit["growth_per_year_boot_high"], "bootstrap"
    return fit.get("growth_per_year_low"), fit.get("growth_per_year_high"), "standard error"


@dataclass(frozen=True)
class Band:
    years: list[int]
    low: list[float]
    central: list[float]
    high: list[float]
    unit: str

    @property
    def x(self) -> list[float]:
        return [year + 0.5 for year in self.years]  # a calendar year is drawn at its middle, as projected

    def at(self, year: int) -> tuple[float, float, float] | None:
        if year not in self.years:
            return None
        i = self.years.index(year)
        return self.low[i], self.central[i], self.high[i]


def _band(data: ReportData, metric: str, method: str | None) -> Band | None:
    """A projected metric's band; method None for a metric with one method (the backtest-chosen largest-run paths)."""
    rows = data.projections.filter(pl.col("metric") == metric)
    if method is not None:
        rows = rows.filter(pl.col("method") == method)
    if rows.height == 0:
        return None
    wide = rows.pivot(on="scenario", index="year", values="value", aggregate_function="first").sort("year")
    if not {"low", "central", "high"} <= set(wide.columns):
        return None
    return Band(wide["year"].to_list(), wide["low"].to_list(), wide["central"].to_list(), wide["high"].to_list(),
                rows.sort("year")["unit"][0])


def _assumption(data: ReportData, name: str) -> dict | None:
    rows = data.assumptions.filter(pl.col("name") == name)
    return rows.row(0, named=True) if rows.height else None


def _claim(data: ReportData, claim_id: str) -> dict | None:
    rows = data.claims.filter(pl.col("claim_id") == claim_id)
    return rows.row(0, named=True) if rows.height else None


def _headline_year(data: ReportData) -> int | None:
    years = sorted(set(data.projections["year"].to_list())) if data.projections.height else []
    if not years:
        return None
    return HEADLINE_YEAR if HEADLINE_YEAR in years else years[-1]


def _horizon_year(data: ReportData) -> int | None:
    if data.roadblocks.height and data.roadblocks["horizon_year"].max() is not None:
        return int(data.roadblocks["horizon_year"].max())
    return int(data.projections["year"].max()) if data.projections.height else None


def _observed(data: ReportData, column: str, *, frontier_only: bool = True, since: float | None = None,
              min_flop: float | None = None) -> pl.DataFrame:
    runs = data.runs.filter(pl.col(column).is_not_null() & (pl.col(column) > 0)
                            & pl.col("publication_year_fraction").is_not_null())
    if frontier_only:
        runs = runs.filter(pl.col("is_frontier").fill_null(False))
    if since is not None:
        runs = runs.filter(pl.col("publication_year_fraction") >= since)
    if min_flop is not None:
        runs = runs.filter(pl.col("training_compute_flop").fill_null(0) >= min_flop)
    return runs.sort("publication_year_fraction", "model_id")


def _largest_run(data: ReportData) -> dict | None:
    runs = data.runs.filter(pl.col("training_compute_flop").is_not_null())
    if runs.height == 0:
        return None
    # Ties broken by id so the label never depends on row order.
    return runs.sort(["training_compute_flop", "model_id"], descending=[True, False]).row(0, named=True)


def _named_run(data: ReportData, pattern: str, column: str) -> dict | None:
    """The earliest run whose name matches ``pattern`` and has ``column``: e.g. the original GPT-4."""
    runs = data.runs.filter(pl.col("model").str.contains(pattern) & pl.col(column).is_not_null()
                            & pl.col("publication_year_fraction").is_not_null())
    return runs.sort("publication_year_fraction", "model_id").row(0, named=True) if runs.height else None


def _countries_for_chart(data: ReportData) -> list[dict]:
    """Countries at fixed quantiles of average power: a deterministic small-to-large ladder."""
    countries = data.countries.filter(pl.col("average_power_gw").is_not_null() & (pl.col("average_power_gw") > 0))
    countries = countries.sort("average_power_gw", "country_or_region")
    if countries.height == 0:
        return []
    picked, seen = [], set()
    # From the top down, so a country two quantiles land on keeps the higher one ("largest").
    for q in sorted(COUNTRY_QUANTILES, reverse=True):
        row = countries.row(min(countries.height - 1, round(q * (countries.height - 1))), named=True)
        if row["country_or_region"] not in seen:
            seen.add(row["country_or_region"])
            picked.append({**row, "quantile": q})
    return picked[::-1]


# --------------------------------------------------------------------------------------------
# Chart helpers


def _log_axis(ax, formatter=None) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    # At most ~16 labels: every decade on the projection charts, every other one across 80 years.
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=16))
    ax.yaxis.set_minor_formatter(NullFormatter())
    # Plain text, not mathtext (text.parse_math is off so that '$' in a name stays text): 10²⁶.
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: (formatter or _power_of_ten)(v)))


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float) -> str:
    if not (value > 0 and math.isfinite(value)):
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return fmt_number(value)
    return "10" + str(int(round(exponent))).translate(_SUPERSCRIPTS)


def _year_axis(ax, start: float, end: float) -> None:
    from matplotlib.ticker import MultipleLocator

    ax.set_xlim(start, end)
    span = end - start
    major = 10 if span > 40 else 5 if span > 25 else 2  # whole years, never 2027.5
    ax.xaxis.set_major_locator(MultipleLocator(major))
    ax.xaxis.set_minor_locator(MultipleLocator(major / 2 if major == 10 else 1))


def _draw_band(ax, band: Band | None, color: str, label: str) -> None:
    if band is None:
        return
    ax.fill_between(band.x, band.low, band.high, color=color, alpha=0.18, linewidth=0)
    ax.plot(band.x, band.central, color=color, linewidth=2.2, label=f"{label} (central, 90% band)")


def _reference_lines(ax, references: list[tuple[float, str, str, str]], x_axes: float = 0.01) -> None:
    """Horizontal reference lines, labelled at the left edge right under (or over) each line.

    Close neighbours (the 6.8 GW power station and a 6.5 GW country) would print on top of each
    other: a label goes under its line, else over it, else as close above as free space allows.
    The axis limits must already be set.
    """
    if not references:
        return
    low, high = (math.log10(v) for v in ax.get_ylim())
    height = 0.032 * (high - low)  # one 8 pt line of text, in decades of this axis
    taken: list[tuple[float, float]] = []

    def free(bottom: float) -> bool:
        return all(bottom + height <= b or bottom >= t for b, t in taken)

    for value, text, color, linestyle in sorted(references, key=lambda r: (r[0], r[1])):
        ax.axhline(value, color=color, linewidth=1.0, linestyle=linestyle, alpha=0.85, zorder=1)
        line = math.log10(value)
        below, above = line - height - 0.004 * (high - low), line + 0.004 * (high - low)
        bottom = below if free(below) and below > low else above
        while not free(bottom):
            bottom = max(t for b, t in taken if not (bottom + height <= b or bottom >= t))
        taken.append((bottom, bottom + height))
        ax.text(x_axes, 10**bottom, text, transform=ax.get_yaxis_transform(), fontsize=8, color=color,
                va="bottom", ha="left", zorder=6,
                bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})


def _post_marker(ax, x: float, y: float, text: str, label: str | None = None) -> None:
    """A star for one of the post's figures, labelled above-left: projections rise to the right."""
    ax.scatter([x], [y], marker="*", s=170, color=COLORS["post"], edgecolor="white", linewidth=0.6, zorder=7,
               label=label)
    ax.annotate(text, (x, y), xytext=(-7, 6), textcoords="offset points", fontsize=8, color=COLORS["post"],
                ha="right", va="bottom", zorder=7,
                bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})


def _annotate_run(ax, x: float, y: float, text: str, offset=(14, -34)) -> None:
    """A named run, labelled below-right: the space under a rising cloud of points is empty."""
    ax.annotate(text, (x, y), xytext=offset, textcoords="offset points", fontsize=8, ha="left", va="top",
                arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.8}, zorder=7)


def _ylim_from(values: list[float], pad_low: float = 3.0, pad_high: float = 3.0) -> tuple[float, float] | None:
    finite = [v for v in values if _finite(v) and v > 0]
    if not finite:
        return None
    return min(finite) / pad_low, max(finite) * pad_high


def _no_data(ax, what: str) -> str:
    ax.text(0.5, 0.5, f"No {what} in this build", transform=ax.transAxes, ha="center", va="center", fontsize=12)
    ax.set_axis_off()
    return f"Empty chart: no {what} in this build."


def _usd_tick(value: float) -> str:
    return fmt_usd(value)


def _gw_tick(value: float) -> str:
    if value >= 1:
        return f"{fmt_number(value, 3)} GW"
    return f"{fmt_number(value * 1e3, 3)} MW"


def _tokens_tick(value: float) -> str:
    if value >= 1e12:
        return f"{value / 1e12:,.0f}T" if value >= 1e13 else f"{fmt_number(value / 1e12, 3)}T"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{fmt_number(value / scale, 3)}{suffix}"
    return fmt_number(value, 3)


# --------------------------------------------------------------------------------------------
# The five charts: each draws on one Axes and returns its alt text


COMPUTE_FITS = (  # (population, legend name, colour, line style)
    ("notable_before_2010", "Notable models before 2010", COLORS["early"], "--"),
    ("notable_since_2010", "Notable models since 2010", COLORS["notable"], "-"),
    ("frontier", "Frontier (top 10 at release)", COLORS["frontier"], "-"),
)


def chart_compute_trend(ax, data: ReportData) -> str:
    runs = _observed(data, "training_compute_flop", frontier_only=False)
    if runs.height == 0:
        return _no_data(ax, "training compute estimates")
    frontier = runs.filter(pl.col("is_frontier").fill_null(False))
    others = runs.filter(~pl.col("is_frontier").fill_null(False))
    ax.scatter(others["publication_year_fraction"], others["training_compute_flop"], s=10, color=COLORS["observed"],
               alpha=0.55, linewidth=0, label=f"Notable models ({runs.height} with a compute estimate)", zorder=2)
    ax.scatter(frontier["publication_year_fraction"], frontier["training_compute_flop"], s=16,
               color=COLORS["frontier"], alpha=0.55, linewidth=0, label="of which frontier at release", zorder=3)
    described = []
    for population, name, color, linestyle in COMPUTE_FITS:
        fit = _fit(data, "training_compute_flop", population)
        if fit is None or fit["start_date"] is None or fit["end_date"] is None:
            continue
        x0, x1 = _year_fraction(fit["start_date"]), _year_fraction(fit["end_date"])
        # log10 y = intercept + slope * x: a straight line on a log axis.
        y0, y1 = (10 ** (fit["intercept_log10"] + fit["slope_oom_per_year"] * x) for x in (x0, x1))
        low, high, _ = _fit_interval(fit)
        label = (f"{name}, {fit['start_date'].year}–{fit['end_date'].year}: {fmt_growth(fit['growth_per_year'])} "
                 f"(90% {fmt_interval(low, high, '×')}), n={fit['n']}")
        ax.plot([x0, x1], [y0, y1], color=color, linestyle=linestyle, linewidth=2.4, label=label, zorder=4)
        described.append(f"{name.lower()} {fmt_growth(fit['growth_per_year'])}")
    _log_axis(ax)
    _year_axis(ax, math.floor(runs["publication_year_fraction"].min()) - 1, data.as_of.year + 1.5)
    ax.set_title("Training compute of notable AI models")
    ax.set_xlabel("Publication date")
    ax.set_ylabel("Training compute (FLOP, log scale)")
    ax.legend(loc="upper left")
    return (f"Scatter plot, log scale: training compute of {runs.height} notable AI models by publication date, "
            f"{frontier.height} frontier models highlighted, with fitted trends: " + "; ".join(described) + ".")


def _curated_mark(data: ReportData, run: dict, column: str = "training_compute_flop") -> str:
    """' (curated: <citation>)' when the run's value comes from sources/curated/, else ''."""
    provenance = data.provenance
    if provenance is None or provenance.height == 0:
        return ""
    hit = provenance.filter((pl.col("estimates") == "baseline") & (pl.col("model_id") == run["model_id"])
                            & (pl.col("field") == column))
    if run.get("source") == "curated" and hit.height == 0:
        return " (curated run)"
    return f" (curated: {hit['citation'][0]})" if hit.height else ""


def _records(data: ReportData, column: str) -> pl.DataFrame:
    """Runs that set a new record for `column` (larger than every run before them), in date order."""
    runs = data.runs.filter(pl.col(column).is_not_null() & (pl.col(column) > 0) & pl.col("publication_year_fraction").is_not_null())
    runs = runs.sort("publication_year_fraction", "model_id")
    previous = runs[column].cum_max().shift(1)
    return runs.filter(previous.is_null() | (runs[column] > previous))


def selected_coverage(data: ReportData, metric: str) -> tuple[str | None, float | None, int]:
    """The published method of a largest-run metric, its backtest band coverage and how many backtests."""
    skill = data.backtest_skill
    if skill is None or skill.height == 0:
        return None, None, 0
    rows = skill.filter((pl.col("metric") == metric) & pl.col("is_selected"))
    if rows.height == 0:
        return None, None, 0
    n = int(rows["n_backtests"].sum())
    return rows["method"][0], float((rows["coverage"] * rows["n_backtests"]).sum() / n), n


def chart_projection_fan(ax, data: ReportData) -> str:
    band = _band(data, "training_compute_flop", None)
    fit = _fit(data, "training_compute_flop", "records")
    # Same window as the other projection charts: the fit's early years are in compute_trend.png.
    since = float(CONTEXT_SINCE_YEAR)
    frontier = _observed(data, "training_compute_flop", since=since)
    records = _records(data, "training_compute_flop")
    if band is None and frontier.height == 0:
        return _no_data(ax, "compute projection")
    ax.scatter(frontier["publication_year_fraction"], frontier["training_compute_flop"], s=16,
               color=COLORS["frontier"], alpha=0.35, linewidth=0, label="Observed frontier runs", zorder=2)
    shown = records.filter(pl.col("publication_year_fraction") >= since - 2)
    if shown.height:
        # The record is a step: it holds until a larger run is published, up to the as-of date.
        xs = shown["publication_year_fraction"].to_list() + [_year_fraction(data.as_of)]
        ys = shown["training_compute_flop"].to_list()
        ax.step(xs, ys + ys[-1:], where="post", color="#111111", linewidth=1.6, label="Record (largest run so far)", zorder=4)
    if fit is not None and band is not None:
        # The record trend over the observed window, so the fan visibly continues the data.
        x0, x1 = since, band.x[0]
        ax.plot([x0, x1], [10 ** (fit["intercept_log10"] + fit["slope_oom_per_year"] * x) for x in (x0, x1)],
                color="#111111", linestyle=":", linewidth=1.4,
                label=f"Trend of the records, {fmt_growth(fit['growth_per_year'])}")
    method, coverage, n_backtests = selected_coverage(data, "training_compute_flop")
    label = "Projected largest run"
    if method and coverage is not None:
        label += f" ({_label(METHOD_LABELS, method)}; its 90% bands held in {coverage:.0%} of {n_backtests} backtests)"
    _draw_band(ax, band, COLORS["frontier"], label)
    values = frontier["training_compute_flop"].to_list() + (band.low + band.high if band else [])
    post_growth, gpt4_claim = _claim(data, "growth_rate"), _claim(data, "gpt4_compute")
    x_end = (band.x[-1] if band else data.as_of.year + 1)
    if gpt4_claim and post_growth and _finite(post_growth["claimed_value"]) and _finite(gpt4_claim["claimed_value"]):
        # The post's own extrapolation: x10 every two years from its GPT-4 figure.
        x_start = gpt4_claim["year"] + 0.5
        slope = math.log10(post_growth["claimed_value"])
        ax.plot([x_start, x_end], [gpt4_claim["claimed_value"] * 10 ** (slope * (x - x_start)) for x in (x_start, x_end)],
                color=COLORS["post"], linestyle="--", linewidth=1.3, alpha=0.8,
                label=f"The post's path: {fmt_growth(post_growth['claimed_value'])} from 1e26 in 2022")
    for claim_id in ("gpt4_compute", "frontier_2024_compute"):
        claim = _claim(data, claim_id)
        if claim and claim["year"] is not None and _finite(claim["claimed_value"]):
            _post_marker(ax, claim["year"] + 0.5, claim["claimed_value"],
                         f"post, {claim['year']}: {fmt_number(claim['claimed_value'])} FLOP",
                         label="The post's milestones" if claim_id == "gpt4_compute" else None)
            values.append(claim["claimed_value"])
    gpt4, largest = _named_run(data, r"^GPT-4( |$)", "training_compute_flop"), _largest_run(data)
    if gpt4:
        _annotate_run(ax, gpt4["publication_year_fraction"], gpt4["training_compute_flop"],
                      f"{gpt4['model']}: {fmt_number(gpt4['training_compute_flop'])} FLOP{_curated_mark(data, gpt4)}",
                      offset=(22, -52))
    if largest and (gpt4 is None or largest["model_id"] != gpt4["model_id"]):
        _annotate_run(ax, largest["publication_year_fraction"], largest["training_compute_flop"],
                      f"largest observed: {largest['model']}, {fmt_number(largest['training_compute_flop'])} FLOP"
                      f"{_curated_mark(data, largest)}",
                      offset=(14, -30))
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
        summary = (f" The projection reaches {fmt_number(band.central[-1])} FLOP in {band.years[-1]} "
                   f"(90% band {fmt_interval(band.low[-1], band.high[-1])}).")
    return ("Log-scale chart of the training compute of frontier runs since "
            f"{math.floor(since)} and the record as a step line, continued by a projected band for the largest run, "
            "with the seed post's milestones marked as stars." + summary)


def chart_backtest(ax, data: ReportData) -> str:
    """Projected vs observed: what the published method would have said in each past year."""
    method, coverage, n_backtests = selected_coverage(data, "training_compute_flop")
    if method is None or data.backtests is None:
        return _no_data(ax, "backtests")
    rows = data.backtests.filter((pl.col("metric") == "training_compute_flop") & (pl.col("method") == method))
    records = _records(data, "training_compute_flop")
    first = min(rows["as_of"].min().year, data.as_of.year) if rows.height else data.as_of.year
    shown = records.filter(pl.col("publication_year_fraction") >= first - 1)
    if shown.height:
        xs = shown["publication_year_fraction"].to_list() + [_year_fraction(data.as_of)]
        ys = shown["training_compute_flop"].to_list()
        ax.step(xs, ys + ys[-1:], where="post", color="#111111", linewidth=1.6, label="Observed record", zorder=4)
    palette = {1: "#2c6fbb", 2: "#16a085", 3: "#e67e22", 4: "#c0392b"}
    values = ys[:] if shown.height else []
    for horizon in sorted(set(rows["horizon_years"].to_list())):
        part = rows.filter(pl.col("horizon_years") == horizon)
        x = [_year_fraction(d) for d in part["target_date"].to_list()]
        central, low, high = part["projected_central"].to_list(), part["projected_low"].to_list(), part["projected_high"].to_list()
        held = sum(part["is_covered"].to_list())
        ax.errorbar(x, central, yerr=[[c - lo for c, lo in zip(central, low)], [hi - c for c, hi in zip(central, high)]],
                    fmt="o", markersize=4, capsize=2, linewidth=0.9, color=palette.get(horizon, "#555555"), alpha=0.8,
                    label=f"Projected {horizon} year{'s' if horizon > 1 else ''} ahead (band held {held} of {part.height})")
        values += low + high
    _log_axis(ax)
    limits = _ylim_from(values, 2, 2)
    if limits:
        ax.set_ylim(*limits)
    _year_axis(ax, first - 0.5, data.as_of.year + 1)
    ax.set_title(f"Backtest of the published method ({_label(METHOD_LABELS, method)})")
    ax.set_xlabel("Target date (1 July of each year)")
    ax.set_ylabel("Largest run so far (FLOP, log scale)")
    ax.legend(loc="upper left")
    skill = data.backtest_skill.filter((pl.col("metric") == "training_compute_flop") & (pl.col("method") == method))
    mae = float((skill["mean_abs_error_oom"] * skill["n_backtests"]).sum() / max(int(skill["n_backtests"].sum()), 1))
    bias = float((skill["mean_error_oom"] * skill["n_backtests"]).sum() / max(int(skill["n_backtests"].sum()), 1))
    return (f"Log-scale chart: for each year since {first}, the largest-run compute the published method would have "
            f"projected 1 to 4 years ahead from the data known then, with its 90% band, against the record actually "
            f"observed. Over {n_backtests} backtests the band held {coverage:.0%} of the time (nominal 90%); the mean "
            f"absolute error is {mae:.2f} orders of magnitude and the mean error {bias:+.2f}.")


POWER_SERIES = (  # (metric, method, legend name, colour)
    ("cluster_power_gw", "trend", "Largest cluster, power capacity", COLORS["cluster"]),
    ("training_power_gw", "from_compute", "Largest run, from compute", COLORS["run"]),
    ("training_power_gw", "power_draw_trend", "Largest run, power-draw trend", COLORS["run_alt"]),
)


def chart_power(ax, data: ReportData) -> str:
    bands = [(_band(data, metric, method), name, color) for metric, method, name, color in POWER_SERIES]
    bands = [b for b in bands if b[0] is not None]
    observed = _observed(data, "training_power_w", since=CONTEXT_SINCE_YEAR, min_flop=CONTEXT_MIN_FLOP)
    if not bands and observed.height == 0:
        return _no_data(ax, "power projection")
    ax.scatter(observed["publication_year_fraction"], observed["training_power_w"] / 1e9, s=18,
               color=COLORS["run"], alpha=0.45, linewidth=0, zorder=3,
               label=f"Observed frontier runs ≥{fmt_number(CONTEXT_MIN_FLOP)} FLOP (Epoch power draw)")
    for band, name, color in bands:
        _draw_band(ax, band, color, name)
    values = (observed["training_power_w"] / 1e9).to_list() + [v for b, _, _ in bands for v in b.low + b.high]
    for claim_id in ("cluster_2026_power", "cluster_2028_power"):
        claim = _claim(data, claim_id)
        if claim and claim["year"] is not None and _finite(claim["claimed_value"]):
            _post_marker(ax, claim["year"] + 0.5, claim["claimed_value"],
                         f"post: {fmt_number(claim['claimed_value'])} GW cluster ({claim['year']})",
                         label="The post's cluster claims" if claim_id == "cluster_2026_power" else None)
            values.append(claim["claimed_value"])
    references = []
    for name, text in (("nuclear_reactor_gw", "one nuclear reactor"), ("largest_us_power_station_gw", "largest US power station")):
        item = _assumption(data, name)
        if item and _finite(item["value"]):
            references.append((item["value"], f"{text} ({fmt_number(item['value'])} GW)", COLORS["reference"], "--"))
    countries = _countries_for_chart(data)
    for country in countries:
        rank = {0.5: "median", 1.0: "largest"}.get(country["quantile"], f"{round(country['quantile'] * 100, 1):g}th pct")
        references.append((country["average_power_gw"],
                           f"{country['country_or_region']} ({rank} country) {fmt_number(country['average_power_gw'])} GW",
                           COLORS["country"], ":"))
    _log_axis(ax, _gw_tick)
    limits = _ylim_from(values + [r[0] for r in references], 2, 3)
    if limits:
        ax.set_ylim(*limits)
    x_end = max((b.x[-1] for b, _, _ in bands), default=data.as_of.year + 1)
    _year_axis(ax, CONTEXT_SINCE_YEAR, x_end + 0.8)
    _reference_lines(ax, references)
    ax.set_title("Power of the largest training run and cluster vs power stations and countries")
    ax.set_xlabel("Year")
    ax.set_ylabel("Power (log scale)")
    ax.legend(loc="lower right")
    year = _headline_year(data)
    summary = "; ".join(f"{name.lower()} {fmt_number(b.at(year)[1])} GW in {year}" for b, name, _ in bands if year and b.at(year))
    return ("Log-scale chart of projected power with 90% bands, against one nuclear reactor, the largest US power "
            f"station and the average electricity demand of {len(countries)} countries: " + summary + ".")


def chart_data(ax, data: ReportData) -> str:
    band = _band(data, "training_tokens", "compute_optimal")
    observed = _observed(data, "training_tokens", since=CONTEXT_SINCE_YEAR, min_flop=CONTEXT_MIN_FLOP)
    # Fine-tunes (Flan-PaLM, InstructGPT...) carry the base model's compute but only their
    # fine-tuning tokens; keep runs whose tokens account for at least a tenth of their compute.
    observed = observed.filter(pl.col("parameters").is_null()
                               | (6 * pl.col("parameters") * pl.col("training_tokens") >= 0.1 * pl.col("training_compute_flop")))
    if band is None and observed.height == 0:
        return _no_data(ax, "token projection")
    ax.scatter(observed["publication_year_fraction"], observed["training_tokens"], s=18, color=COLORS["frontier"],
               alpha=0.45, linewidth=0, zorder=3, label=f"Observed frontier runs ≥{fmt_number(CONTEXT_MIN_FLOP)} FLOP (pre-training data)")
    _draw_band(ax, band, COLORS["frontier"], "Compute-optimal tokens of the largest run")
    values = observed["training_tokens"].to_list() + (band.low + band.high if band else [])
    stock = _assumption(data, "data_stock_tokens")
    if stock and _finite(stock["value"]):
        if _finite(stock["low"]) and _finite(stock["high"]):
            ax.axhspan(stock["low"], stock["high"], color=COLORS["stock"], alpha=0.10, linewidth=0, zorder=1,
                       label=f"Stock of public text, 90% interval ({fmt_tokens(stock['low'])}–{fmt_tokens(stock['high'])})")
            values += [stock["low"], stock["high"]]
        ax.axhline(stock["value"], color=COLORS["stock"], linewidth=1.6, zorder=2,
                   label=f"Stock of public text, central ({fmt_tokens(stock['value'])})")
    post = _assumption(data, "post_internet_tokens")
    if post and _finite(post["value"]):
        ax.axhline(post["value"], color=COLORS["post"], linewidth=1.3, linestyle="--", zorder=2,
                   label=f"The post's Internet text ({fmt_tokens(post['value'])})")
    llama = _named_run(data, r"^Llama 3\.1-405B$", "training_tokens")
    if llama:
        ax.scatter([llama["publication_year_fraction"]], [llama["training_tokens"]], s=60, color=COLORS["frontier"],
                   edgecolor="black", linewidth=0.8, zorder=5)
        _annotate_run(ax, llama["publication_year_fraction"], llama["training_tokens"],
                      f"{llama['model']}: {fmt_tokens(llama['training_tokens'])}")
    _log_axis(ax, _tokens_tick)
    limits = _ylim_from(values, 3, 3)
    if limits:
        ax.set_ylim(*limits)
    x_end = band.x[-1] if band else data.as_of.year + 1
    _year_axis(ax, CONTEXT_SINCE_YEAR, x_end + 0.8)
    ax.set_title("Training data of the largest run vs the stock of public text")
    ax.set_xlabel("Year")
    ax.set_ylabel("Training tokens (log scale, T = trillion)")
    ax.legend(loc="upper left")
    year = _headline_year(data)
    summary = ""
    if band and year and band.at(year):
        summary = f" In {year} a compute-optimal largest run would use {fmt_tokens(band.at(year)[1])}."
    return ("Log-scale chart of compute-optimal training tokens of the largest run with its 90% band, against the "
            "stock of public text (central line and shaded 90% interval) and the post's 60 trillion tokens." + summary)


COST_SERIES = (  # (metric, method, legend name, colour)
    ("cluster_hardware_cost_usd", "trend", "Largest cluster, hardware cost", COLORS["cluster"]),
    ("training_cost_usd", None, "Largest run, training cost in 2023 dollars", COLORS["run"]),
)
COST_REFERENCES = (("money_reference_1b_usd", ""), ("money_reference_10b_usd", ""),
                   ("money_binding_usd", " ≈ one company's yearly capex"))


def chart_cost(ax, data: ReportData) -> str:
    bands = [(_band(data, metric, method), name, color) for metric, method, name, color in COST_SERIES]
    bands = [b for b in bands if b[0] is not None]
    observed = _observed(data, "training_cost_usd", since=CONTEXT_SINCE_YEAR, min_flop=CONTEXT_MIN_FLOP)
    if not bands and observed.height == 0:
        return _no_data(ax, "cost projection")
    ax.scatter(observed["publication_year_fraction"], observed["training_cost_usd"], s=18, color=COLORS["run"],
               alpha=0.45, linewidth=0, zorder=3, label=f"Observed frontier runs ≥{fmt_number(CONTEXT_MIN_FLOP)} FLOP")
    for band, name, color in bands:
        _draw_band(ax, band, color, name)
    values = observed["training_cost_usd"].to_list() + [v for b, _, _ in bands for v in b.low + b.high]
    first = True
    for claim_id, what in (("gpt4_cost", "GPT-4 run"), ("frontier_2024_cost", "frontier run"), ("cluster_2028_cost", "cluster")):
        claim = _claim(data, claim_id)
        if claim and claim["year"] is not None and _finite(claim["claimed_value"]):
            _post_marker(ax, claim["year"] + 0.5, claim["claimed_value"],
                         f"post: {fmt_usd(claim['claimed_value'])} {what} ({claim['year']})",
                         label="The post's cost claims" if first else None)
            first = False
            values.append(claim["claimed_value"])
    references = []
    for name, note in COST_REFERENCES:
        item = _assumption(data, name)
        if item and _finite(item["value"]):
            references.append((item["value"], f"{fmt_usd(item['value'])}{note}", COLORS["reference"], "--"))
    _log_axis(ax, _usd_tick)
    limits = _ylim_from(values + [r[0] for r in references], 3, 3)
    if limits:
        ax.set_ylim(*limits)
    x_end = max((b.x[-1] for b, _, _ in bands), default=data.as_of.year + 1)
    _year_axis(ax, CONTEXT_SINCE_YEAR, x_end + 0.8)
    _reference_lines(ax, references)
    ax.set_title("Cost of the largest training run and cluster")
    ax.set_xlabel("Year")
    ax.set_ylabel("US dollars (log scale)")
    ax.legend(loc="lower right")
    year = _headline_year(data)
    summary = "; ".join(f"{name.lower()} {fmt_usd(b.at(year)[1])} in {year}" for b, name, _ in bands if year and b.at(year))
    return ("Log-scale chart of projected run cost and cluster hardware cost with 90% bands, against $1B, $10B and "
            "$100B reference lines and the seed post's cost claims: " + summary + ".")


CHART_DRAWERS = {
    "compute_trend": chart_compute_trend,
    "projection_fan": chart_projection_fan,
    "backtest": chart_backtest,
    "power": chart_power,
    "data": chart_data,
    "cost": chart_cost,
}

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
}


# --------------------------------------------------------------------------------------------
# Rendering


def draw_charts(data: ReportData, out_dir: Path) -> dict[str, tuple[Path, str]]:
    """One PNG per chart in out_dir; {name: (path, alt text)}. During `flopcast build` this runs in
    the build helper process, which has imported matplotlib while the build ran its first stages."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")  # here, not at import: importing the module must not touch matplotlib's state
    from matplotlib import style
    from matplotlib.figure import Figure

    drawn: dict[str, tuple[Path, str]] = {}
    # "default" first so a user's matplotlibrc cannot change the bytes.
    with style.context(["default", STYLE]):
        for name in CHARTS:
            figure = Figure(figsize=FIGSIZE_IN, dpi=DPI)
            figure.subplots_adjust(**AXES_MARGINS)
            alt = CHART_DRAWERS[name](figure.add_subplot(), data)
            path = out_dir / f"{name}.png"
            figure.savefig(path, format="png", dpi=DPI, metadata={"Software": None})
            drawn[name] = (path, alt)
    return drawn


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


def render_report(data: ReportData, out_dir: Path) -> dict[str, Path]:
    """Write ``out_dir/index.html`` and one PNG per chart; return their paths by name."""
    from pipelines.lib.build_helper import BuildHelper, handed_off

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = handed_off("the charts", BuildHelper.draw_charts, data, out_dir) or draw_charts(data, out_dir)
    index = out_dir / "index.html"
    # Bytes, not text mode: no platform newline translation.
    index.write_bytes(_html(data, drawn).encode("utf-8"))
    return {"index": index, **{name: path for name, (path, _alt) in drawn.items()}}


# --------------------------------------------------------------------------------------------
# HTML


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1f2328;
       margin: 0; background: #fafafa; line-height: 1.5; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em; margin-top: 2em; }
.asof { color: #57606a; margin-top: 0; }
.lead { font-size: 1.12em; background: #f3f6fa; border-left: 4px solid #2c6fbb; padding: 10px 14px; }
figure { margin: 1.6em 0; }
figure img { width: 100%; height: auto; border: 1px solid #e5e7eb; }
figcaption { color: #333; font-size: 0.95em; margin-top: 0.4em; }
table { border-collapse: collapse; width: 100%; font-size: 0.88em; margin: 0.8em 0; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
tbody tr:nth-child(even) { background: #fbfbfc; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.verdict { font-weight: bold; padding: 1px 6px; border-radius: 3px; color: #fff; white-space: nowrap; }
.small { color: #57606a; font-size: 0.9em; }
code { font-size: 0.92em; }
"""


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), table_id: str = "") -> str:
    """Cells are already-escaped HTML fragments; headers are plain text."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "\n".join(
        "<tr>" + "".join(f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
                         for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    id_attr = f' id="{esc(table_id)}"' if table_id else ""
    return f"<table{id_attr}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _roadblock_when(row: dict) -> str:
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
        if current is None or (year is not None and (current["first_year_central"] is None or year < current["first_year_central"])):
            best[row["roadblock"]] = row
    never = 10**6
    return sorted(best.items(), key=lambda item: (item[1]["first_year_central"] or never, item[0]))


def _binding_sentence(data: ReportData) -> str:
    """Which roadblock binds first on the central path, and whether the data can tell."""
    order = first_binding(data)
    horizon = _horizon_year(data)
    binding = [(name, row) for name, row in order if row["first_year_central"] is not None]
    if not order:
        return "No roadblock was evaluated in this build."
    if not binding:
        return f"No roadblock binds on the central path before {esc(horizon)}."
    lead_name, lead = binding[0]
    leaders = [name for name, row in binding if row["first_year_central"] == lead["first_year_central"]]
    what = (f"the {_label(METRIC_LABELS, lead['metric'])} of the {_label(SUBJECT_LABELS, lead['subject'])} "
            f"({_label(METHOD_LABELS, lead['method'])}) would cross the {_label(REFERENCE_LABELS, lead['reference'])} "
            f"({fmt_quantity(lead['reference_value'], lead['unit'])})")
    text = (f"<strong>{esc(' and '.join(leaders).capitalize())}</strong> {'binds' if len(leaders) == 1 else 'bind'} "
            f"first: in {esc(_roadblock_when(lead))} {esc(what)}.")
    later = [(name, row) for name, row in order if name not in leaders]
    if later:
        text += " Then " + " and ".join(
            esc(f"{name} ({row['first_year_central']})" if row["first_year_central"] is not None
                else f"{name} (not before {horizon})") for name, row in later) + "."
    # Overlapping 90% ranges: the data cannot order these roadblocks with confidence.
    lead_latest = lead.get("first_year_latest") or horizon
    overlapping = [name for name, row in later
                   if row.get("first_year_earliest") is not None and lead_latest is not None
                   and row["first_year_earliest"] <= lead_latest]
    if overlapping:
        text += (f" The 90% range of {esc(lead_name)} overlaps those of {esc(' and '.join(overlapping))}, "
                 "so the data do not settle the order.")
    return text


def _country_sentences(data: ReportData, year: int | None) -> list[str]:
    if year is None or data.constraints.height == 0 or "n_countries_exceeded" not in data.constraints.columns:
        return []
    rows = (data.constraints
            .filter((pl.col("year") == year) & (pl.col("roadblock") == "energy") & (pl.col("scenario") == "central")
                    & pl.col("n_countries_exceeded").is_not_null())
            .unique(["subject", "metric", "method"], keep="first")
            .sort("subject", "metric", "method", descending=[False, False, False]))
    total = data.countries.height
    sentences = []
    for row in rows.iter_rows(named=True):
        what = f"{_label(SUBJECT_LABELS, row['subject'])} ({_label(METHOD_LABELS, row['method'])})"
        text = (f"In {year} the {esc(what)} would draw about <strong>{esc(fmt_quantity(row['projected_value'], row['unit']))}</strong>, "
                f"more than the average electricity demand of {esc(row['n_countries_exceeded'])} of {esc(total)} countries")
        if row.get("largest_country_exceeded"):
            text += f" (the largest of them: {esc(row['largest_country_exceeded'])})"
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


def _band_note(data: ReportData) -> str:
    """What the bands mean, and how often the largest-run bands have held in backtests."""
    method, coverage, n = selected_coverage(data, "training_compute_flop")
    note = ("The largest run's bands are 90% prediction bands (slope and scatter of the method the backtests chose); "
            "the clusters' are the 5th-95th percentiles of bootstrap lines (slope uncertainty only, not backtested). ")
    if method and coverage is not None and data.backtests is not None:
        rows = data.backtests.filter((pl.col("metric") == "training_compute_flop") & (pl.col("method") == method))
        bias = float(rows["error_oom"].mean()) if rows.height else math.nan
        note += (f"In {n} backtests of the compute path (fitted on what was known in each year since 2012, 1-4 years "
                 f"ahead) the band held {coverage:.0%} of the time, and the central value was on average "
                 f"{bias:+.2f} orders of magnitude off (positive: too high).")
    return note


def _headline_html(data: ReportData) -> str:
    parts = []
    year = _headline_year(data)
    fit = _fit(data, "training_compute_flop", "frontier")
    growth = ""
    if fit:
        low, high, kind = _fit_interval(fit)
        growth = (f"Training compute of frontier runs has grown <strong>{esc(fmt_growth(fit['growth_per_year']))}</strong> "
                  f"(90% {esc(kind)} interval {esc(fmt_interval(low, high, '×'))}) since {esc(fit['start_date'].year)}, "
                  f"doubling every <strong>{esc(fmt_months(fit['doubling_time_months']))}</strong> (n = {esc(fit['n'])}).")
        post = _claim(data, "growth_rate")
        if post and _finite(post["claimed_value"]):
            growth += f" The post's ×10 every two years is {esc(fmt_growth(post['claimed_value']))}."
    countries = _country_sentences(data, year)
    # The answer in three sentences: how fast, how big against countries, what stops it first.
    lead = " ".join([growth, *countries[:1], _binding_sentence(data)]).strip()
    parts.append(f'<p class="lead">{lead}</p>')
    largest = _largest_run(data)
    if largest:
        parts.append(f"<p>The largest run on record is {esc(largest['model'])} "
                     f"({esc(fmt_number(largest['training_compute_flop']))} FLOP, published {esc(largest['publication_date'])}).</p>")
    if len(countries) > 1:
        parts.append("<ul>" + "".join(f"<li>{s}</li>" for s in countries[1:]) + "</ul>")
    if year is not None:
        rows = []
        for metric, method, what in HEADLINE_PROJECTIONS:
            band = _band(data, metric, method)
            point = band.at(year) if band else None
            if point is None:
                continue
            low, central, high = point
            rows.append([esc(what), esc(fmt_quantity(central, band.unit)), esc(fmt_range(low, high, band.unit))])
        if rows:
            parts.append(f"<h3>Projections for {esc(year)}</h3>")
            parts.append(_table(["Quantity", "Central", "90% band"], rows, numeric={1, 2}, table_id="projections"))
            parts.append(f'<p class="small" id="band-note">{esc(_band_note(data))}</p>')
    if data.roadblocks.height:
        rows = []
        for row in data.roadblocks.sort("roadblock", "subject", "metric", "method", "reference").iter_rows(named=True):
            rows.append([
                f"<strong>{esc(row['roadblock'])}</strong>",
                esc(f"{_label(SUBJECT_LABELS, row['subject'])}: {_label(METRIC_LABELS, row['metric'])} "
                    f"({_label(METHOD_LABELS, row['method'])})"),
                esc(f"{_label(REFERENCE_LABELS, row['reference'])} ({fmt_quantity(row['reference_value'], row['unit'])})"),
                esc(_roadblock_when(row)),
            ])
        parts.append("<h3>Roadblocks: first year the projection reaches the reference</h3>")
        parts.append(_table(["Roadblock", "Projected quantity", "Reference", "First year it binds"], rows,
                            table_id="roadblocks"))
    return "\n".join(parts)


def _figures_html(data: ReportData, drawn: dict[str, tuple[Path, str]]) -> str:
    titles = {"compute_trend": "Compute trend", "projection_fan": "Projection of the largest run",
              "backtest": "Backtest: what the method would have projected",
              "power": "Energy: power vs reactors and countries", "data": "Data: tokens vs the stock of text",
              "cost": "Money: run and cluster cost"}
    figures = []
    for name in CHARTS:
        path, alt = drawn[name]
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        width, height = int(FIGSIZE_IN[0] * DPI), int(FIGSIZE_IN[1] * DPI)
        figures.append(
            f'<figure id="figure-{name}">\n<h3>{esc(titles[name])}</h3>\n'
            f'<img id="chart-{name}" src="data:image/png;base64,{encoded}" alt="{esc(alt)}" width="{width}" height="{height}">\n'
            f"<figcaption>{esc(CAPTIONS[name])}</figcaption>\n</figure>")
    return "\n".join(figures)


def _fits_html(data: ReportData) -> str:
    rows = []
    for fit in data.fits.sort("metric", "population", "start_date").iter_rows(named=True):
        window = f"{fit['start_date']} – {fit['end_date']}" if fit.get("start_date") else "—"
        note = f" (break at {fit['break_year']:g})" if _finite(fit.get("break_year")) else ""
        if fit.get("is_selection_truncated"):
            note += " (selected on the fitted value: not a trend)"
        rows.append([
            f"<code>{esc(fit['metric'])}</code>", f"<code>{esc(fit['population'])}</code>{esc(note)}", esc(fit["n"]),
            esc(window), esc(fmt_growth(fit["growth_per_year"])),
            esc(fmt_interval(fit.get("growth_per_year_low"), fit.get("growth_per_year_high"), "×")),
            esc(fmt_interval(fit.get("growth_per_year_boot_low"), fit.get("growth_per_year_boot_high"), "×")),
            esc(fmt_months(fit["doubling_time_months"])), esc(fmt_number(fit["r2"])),
        ])
    return _table(["Metric", "Population", "n", "Window", "Growth", "90% (SE)", "90% (bootstrap)", "Doubling time", "r²"],
                  rows, numeric={2, 4, 5, 6, 7, 8}, table_id="trend-fits")


def _verdict_html(verdict: str | None) -> str:
    """A coloured badge; 'overstated ×4.8' takes the colour of its first word(s)."""
    key = next((k for k in VERDICT_COLORS if (verdict or "").startswith(k)), "")
    color = VERDICT_COLORS.get(key, "#57606a")
    return f'<span class="verdict" style="background:{color}">{esc(verdict or "n/a")}</span>'


def _claims_html(data: ReportData) -> str:
    rows = []
    # Timeless claims first, then in the post's chronological order.
    for claim in data.claims.sort(["year", "claim_id"], nulls_last=False).iter_rows(named=True):
        interval = ""
        if _finite(claim.get("data_low")) and _finite(claim.get("data_high")):
            interval = f"({fmt_range(claim['data_low'], claim['data_high'], claim['unit'])})"
        statement = claim["statement"] or claim["claim_id"]
        if claim.get("year") is not None and str(claim["year"]) not in statement:
            statement += f" ({claim['year']})"
        rows.append([
            esc(statement), esc(fmt_quantity(claim["claimed_value"], claim["unit"])),
            esc(fmt_quantity(claim["data_value"], claim["unit"])) + f'<br><span class="small">{esc(interval)}</span>',
            esc(claim.get("basis")) + f'<br><span class="small">{esc(claim.get("evidence"))}</span>'
            + (f'<br><span class="small">interval: {esc(claim.get("uncertainty"))}</span>' if claim.get("uncertainty") else ""),
            _verdict_html(claim.get("verdict")),
            _verdict_html(claim.get("interval_verdict")) if "interval_verdict" in claim else "",
        ])
    intro = ('<p class="small">Verdict: the claim against the data\'s central value (within a factor of 1.25 is '
             '"about right"). Interval: whether the claim lies inside the data\'s 90% interval — Epoch\'s own interval '
             'from a row\'s notes where it states one, else a factor read from Epoch\'s confidence label; ratios combine '
             'their factors\' intervals in log space. A dated claim about runs means the runs <em>trained</em> that year '
             '(publication date minus training time); a cluster claim, the sites first operating that year. The '
             'Internet\'s text is compared in unique tokens (the effective stock divided by the epochs it counts).</p>')
    return intro + _table(["Claim", "Claimed", "Data (90% interval)", "Basis", "Verdict", "Interval"], rows, numeric={1},
                          table_id="seed-claims")


def _assumptions_html(data: ReportData) -> str:
    rows = []
    for item in data.assumptions.sort("name").iter_rows(named=True):
        value = fmt_number(item["value"], 3)
        if _finite(item.get("low")) and _finite(item.get("high")):
            value += f" ({fmt_number(item['low'], 3)}–{fmt_number(item['high'], 3)})"
        rows.append([f"<code>{esc(item['name'])}</code>", esc(value), esc(item.get("unit")),
                     esc(item.get("citation")) + (' <span class="small">(overridden)</span>' if item.get("is_overridden") else "")])
    return _table(["Name", "Value (range)", "Unit", "Citation"], rows, numeric={1}, table_id="assumptions")


def _sources_html(data: ReportData) -> str:
    rows = []
    for name in sorted(data.sources):
        info = data.sources[name] or {}
        rows.append([f"<code>{esc(name)}</code>", esc(info.get("version")), esc(info.get("license")), esc(info.get("citation"))])
    table = _table(["Source", "Version", "Licence", "Citation"], rows, table_id="sources") if rows else ""
    return (f'<p id="attribution">{esc(ATTRIBUTION)} Licence: <a href="{esc(CC_BY_URL)}">CC BY 4.0</a>.</p>\n{table}')


def _release_diff_html(data: ReportData, limit: int = 50) -> str:
    from pipelines.lib.release_diff import format_summary, summarize_diff

    diff = data.release_diff
    if diff is None or diff.height == 0:
        return "<p>No earlier version of the main source to compare with, or no change (see <code>flopcast diff</code>).</p>"
    versions = f"{diff['old_version'][0]} → {diff['new_version'][0]}"
    lines = "".join(f"<li>{esc(line)}</li>" for line in format_summary(summarize_diff(diff)))
    rows = [[esc(str(v)) if v is not None else "" for v in row]
            for row in diff.select("change", "model", "column", "old_value", "new_value").head(limit).iter_rows()]
    more = f"<p class=\"small\">First {limit} of {diff.height} changes; all are in marts.release_diff.</p>" if diff.height > limit else ""
    return (f"<p>Epoch's notable-models snapshot {esc(versions)}, compared after cleaning both the same way.</p>"
            f"<ul>{lines}</ul>" + _table(["change", "model", "column", "old", "new"], rows) + more)


def _html(data: ReportData, drawn: dict[str, tuple[Path, str]]) -> str:
    as_of = esc(data.as_of.isoformat())
    sections = [
        '<section id="headline">\n<h2>Headline</h2>\n' + _headline_html(data) + "\n</section>",
        '<section id="charts">\n<h2>Charts</h2>\n' + _figures_html(data, drawn) + "\n</section>",
        '<section id="fits">\n<h2>Trend fits</h2>\n<p>Ordinary least squares of log10(value) on the fractional year of '
        "publication. Growth is 10<sup>slope</sup> per year; intervals are 90%, from the slope's standard error and "
        "from a seeded bootstrap.</p>\n" + _fits_html(data) + "\n</section>",
        '<section id="claims">\n<h2>The seed post\'s claims, checked</h2>\n' + _claims_html(data) + "\n</section>",
        '<section id="assumptions">\n<h2>Assumptions</h2>\n<p>Every constant the projections use, with its source.</p>\n'
        + _assumptions_html(data) + "\n</section>",
        '<section id="release-diff">\n<h2>What changed since the previous snapshot</h2>\n' + _release_diff_html(data) + "\n</section>",
        '<section id="sources">\n<h2>Sources and credits</h2>\n' + _sources_html(data) + "\n</section>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>flopcast: will AI training draw as much power as whole countries?</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        "<h1>Will frontier AI training draw as much power as whole countries?</h1>\n"
        f'<p class="asof">flopcast report, data as of <strong>{as_of}</strong>. Which roadblock binds first: '
        "money, energy or data?</p>\n"
        + "\n".join(sections)
        + f'\n<footer class="small"><p>Data as of {as_of}. Generated by flopcast from the published warehouse; '
        "the same warehouse always gives the same report.</p></footer>\n</main>\n</body>\n</html>\n"
    )
