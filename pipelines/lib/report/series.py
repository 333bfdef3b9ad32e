"""Reading the report's frames: the fits, bands, observed runs and references the charts and tables show.

Shared by the PNG charts (matplotlib), the interactive charts (Plotly) and the HTML tables, so the
three always show the same numbers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import polars as pl

from pipelines.lib.report.formatting import finite
from pipelines.lib.report.queries import ReportData
from pipelines.lib.settings import DEFAULTS

# a round year just past the post's last milestone (2028); falls back to the horizon
HEADLINE_YEAR = DEFAULTS.headline_year
# Countries drawn on the power chart: the median country, then ever larger ones up to the largest.
COUNTRY_QUANTILES = (0.5, 0.75, 0.9, 0.975, 1.0)
# The projection charts show observed frontier runs of at least this size as context: smaller
# frontier runs from the early 2010s would stretch the log axis without saying anything about 2030.
CONTEXT_SINCE_YEAR = 2019
CONTEXT_MIN_FLOP = 1e23


def year_fraction(day: datetime.date) -> float:
    """The fits' time axis: the middle of the day, as a fraction of its year."""
    days_in_year = 366 if (day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)) else 365
    return day.year + (day.timetuple().tm_yday - 0.5) / days_in_year


def fit(data: ReportData, metric: str, population: str) -> dict | None:
    """The trend fit of a metric and population (the earliest window), or None."""
    rows = data.fits.filter((pl.col("metric") == metric) & (pl.col("population") == population))
    return rows.sort("start_date").row(0, named=True) if rows.height else None


def fit_interval(row: dict) -> tuple[float | None, float | None, str]:
    """The bootstrap 90% interval when there is one (it does not assume normal residuals)."""
    if finite(row.get("growth_per_year_boot_low")) and finite(row.get("growth_per_year_boot_high")):
        return row["growth_per_year_boot_low"], row["growth_per_year_boot_high"], "bootstrap"
    return row.get("growth_per_year_low"), row.get("growth_per_year_high"), "standard error"


@dataclass(frozen=True)
class Band:
    years: list[int]
    low: list[float]
    central: list[float]
    high: list[float]
    unit: str

    @property
    def x(self) -> list[float]:
        """The band's x positions: each year at its middle."""
        return [year + 0.5 for year in self.years]  # a calendar year is drawn at its middle, as projected

    def at(self, year: int) -> tuple[float, float, float] | None:
        """(low, central, high) in the year, or None when it is not projected."""
        if year not in self.years:
            return None
        i = self.years.index(year)
        return self.low[i], self.central[i], self.high[i]


def band(data: ReportData, metric: str, method: str | None) -> Band | None:
    """A projected metric's band; method None for a metric with one method (the backtest-chosen largest-run paths)."""
    rows = data.projections.filter(pl.col("metric") == metric)
    if method is not None:
        rows = rows.filter(pl.col("method") == method)
    if rows.height == 0:
        return None
    wide = rows.pivot(on="scenario", index="year", values="value", aggregate_function="first").sort("year")
    if not {"low", "central", "high"} <= set(wide.columns):
        return None
    return Band(
        wide["year"].to_list(),
        wide["low"].to_list(),
        wide["central"].to_list(),
        wide["high"].to_list(),
        rows.sort("year")["unit"][0],
    )


def assumption(data: ReportData, name: str) -> dict | None:
    """The marts.assumptions row of that name, or None."""
    rows = data.assumptions.filter(pl.col("name") == name)
    return rows.row(0, named=True) if rows.height else None


def claim(data: ReportData, claim_id: str) -> dict | None:
    """The marts.seed_claims row of that claim, or None."""
    rows = data.claims.filter(pl.col("claim_id") == claim_id)
    return rows.row(0, named=True) if rows.height else None


def headline_year(data: ReportData) -> int | None:
    """The year the headline projects to (the settings' headline year when projected, else the last), None without projections."""
    years = sorted(set(data.projections["year"].to_list())) if data.projections.height else []
    if not years:
        return None
    return HEADLINE_YEAR if HEADLINE_YEAR in years else years[-1]


def horizon_year(data: ReportData) -> int | None:
    """The projections' horizon (from marts.roadblocks, else the last projected year), None without projections."""
    if data.roadblocks.height and data.roadblocks["horizon_year"].max() is not None:
        return int(data.roadblocks["horizon_year"].max())
    return int(data.projections["year"].max()) if data.projections.height else None


def observed(
    data: ReportData,
    column: str,
    *,
    frontier_only: bool = True,
    since: float | None = None,
    min_flop: float | None = None,
) -> pl.DataFrame:
    """Runs with a positive value of the column (frontier only by default), optionally from a year and above a compute."""
    runs = data.runs.filter(
        pl.col(column).is_not_null() & (pl.col(column) > 0) & pl.col("publication_year_fraction").is_not_null()
    )
    if frontier_only:
        runs = runs.filter(pl.col("is_frontier").fill_null(False))
    if since is not None:
        runs = runs.filter(pl.col("publication_year_fraction") >= since)
    if min_flop is not None:
        runs = runs.filter(pl.col("training_compute_flop").fill_null(0) >= min_flop)
    return runs.sort("publication_year_fraction", "model_id")


def token_runs(data: ReportData) -> pl.DataFrame:
    """Frontier runs with pre-training tokens. Fine-tunes (Flan-PaLM, InstructGPT...) carry the base
    model's compute but only their fine-tuning tokens: keep runs whose tokens account for at least a
    tenth of their compute."""
    runs = observed(data, "training_tokens", since=CONTEXT_SINCE_YEAR, min_flop=CONTEXT_MIN_FLOP)
    return runs.filter(
        pl.col("parameters").is_null()
        | (6 * pl.col("parameters") * pl.col("training_tokens") >= 0.1 * pl.col("training_compute_flop"))
    )


def largest_run(data: ReportData) -> dict | None:
    """The run with the most training compute (ties by id), or None."""
    runs = data.runs.filter(pl.col("training_compute_flop").is_not_null())
    if runs.height == 0:
        return None
    # Ties broken by id so the label never depends on row order.
    return runs.sort(["training_compute_flop", "model_id"], descending=[True, False]).row(0, named=True)


def named_run(data: ReportData, pattern: str, column: str) -> dict | None:
    """The earliest run whose name matches ``pattern`` and has ``column``: e.g. the original GPT-4."""
    runs = data.runs.filter(
        pl.col("model").str.contains(pattern)
        & pl.col(column).is_not_null()
        & pl.col("publication_year_fraction").is_not_null()
    )
    return runs.sort("publication_year_fraction", "model_id").row(0, named=True) if runs.height else None


GPT4_PATTERN = r"^GPT-4( |$)"
LLAMA_PATTERN = r"^Llama 3\.1-405B$"


def countries_for_chart(data: ReportData) -> list[dict]:
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


def country_rank(quantile: float) -> str:
    """A quantile of countries in words (median, largest, 90th pct)."""
    return {0.5: "median", 1.0: "largest"}.get(quantile, f"{round(quantile * 100, 1):g}th pct")


def records(data: ReportData, column: str) -> pl.DataFrame:
    """Runs that set a new record for `column` (larger than every run before them), in date order."""
    runs = data.runs.filter(
        pl.col(column).is_not_null() & (pl.col(column) > 0) & pl.col("publication_year_fraction").is_not_null()
    )
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


def backtest_rows(data: ReportData) -> tuple[str | None, pl.DataFrame | None]:
    """The published compute method and its backtests (None when the build has none)."""
    method, _, _ = selected_coverage(data, "training_compute_flop")
    if method is None or data.backtests is None:
        return None, None
    return method, data.backtests.filter((pl.col("metric") == "training_compute_flop") & (pl.col("method") == method))


# --- curation: values that come from sources/curated/ -----------------------------------------


def curated_citations(data: ReportData) -> dict[tuple[str, str], str]:
    """(model_id, field) -> citation of each baseline value that comes from sources/curated/."""
    provenance = data.provenance
    if provenance is None or provenance.height == 0:
        return {}
    rows = provenance.filter(pl.col("estimates") == "baseline").sort("model_id", "field")
    return {(m, f): (c or "no citation") for m, f, c in rows.select("model_id", "field", "citation").iter_rows()}


def curated_citation(data: ReportData, run: dict, column: str) -> str | None:
    """The citation when run[column] comes from sources/curated/; 'curated run' for a run added
    there without a provenance row for that column; else None."""
    hit = curated_citations(data).get((run.get("model_id"), column))
    if hit is not None:
        return hit
    return "curated run" if run.get("source") == "curated" else None


def curated_mark(data: ReportData, run: dict, column: str = "training_compute_flop") -> str:
    """' (curated: <citation>)' when the run's value comes from sources/curated/, else ''."""
    citation = curated_citation(data, run, column)
    if citation is None:
        return ""
    return " (curated run)" if citation == "curated run" else f" (curated: {citation})"


def claim_curated_citations(data: ReportData, claim_row: dict) -> list[str]:
    """The curated citations a claim's data value rests on (its evidence names them)."""
    evidence = claim_row.get("evidence") or ""
    return sorted({citation for citation in curated_citations(data).values() if f"citation: {citation}" in evidence})


# --- reference lines ------------------------------------------------------------------------

POWER_PLANTS = (
    ("nuclear_reactor_gw", "one nuclear reactor"),
    ("largest_us_power_station_gw", "largest US power station"),
)
COST_REFERENCES = (
    ("money_reference_1b_usd", ""),
    ("money_reference_10b_usd", ""),
    ("money_binding_usd", " ≈ one company's yearly capex"),
)


def power_references(data: ReportData) -> list[tuple[float, str, str]]:
    """(GW, label, kind) of the power chart's lines: power plants ("plant"), then countries ("country")."""
    from pipelines.lib.report.formatting import fmt_number

    references = []
    for name, text in POWER_PLANTS:
        item = assumption(data, name)
        if item and finite(item["value"]):
            references.append((item["value"], f"{text} ({fmt_number(item['value'])} GW)", "plant"))
    for country in countries_for_chart(data):
        references.append(
            (
                country["average_power_gw"],
                f"{country['country_or_region']} ({country_rank(country['quantile'])} country) "
                f"{fmt_number(country['average_power_gw'])} GW",
                "country",
            )
        )
    return references


def cost_references(data: ReportData) -> list[tuple[float, str]]:
    """(dollars, label) of the reference sums drawn on the cost charts."""
    from pipelines.lib.report.formatting import fmt_usd

    references = []
    for name, note in COST_REFERENCES:
        item = assumption(data, name)
        if item and finite(item["value"]):
            references.append((item["value"], f"{fmt_usd(item['value'])}{note}"))
    return references
