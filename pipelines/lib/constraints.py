"""marts.constraints and marts.roadblocks: projected quantities against the limits they may hit.

Energy: run and cluster power against one reactor, the largest US power station and every
country's average electrical power. Data: compute-optimal tokens against the stock of public
text (central and its interval) and the post's 60T. Money: run and cluster cost against
reference sums. A roadblock "binds" in the first year the projected value reaches its binding
reference; the earliest year comes from the high scenario, the latest from the low one.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.lib.assumptions import Assumption
from pipelines.lib.projections import projected_metric


@dataclass(frozen=True)
class Yardstick:
    roadblock: str
    metric: str  # projections.metric
    method: (
        str | None
    )  # projections.method; None: the metric's only method (the largest-run method the backtests chose)
    references: tuple[tuple[str, str], ...]  # (reference name, assumption name)
    binding: str  # the reference whose crossing means the roadblock binds
    # For data the stock itself is uncertain: earliest crossing uses its low end, latest its high end.
    binding_low: str | None = None
    binding_high: str | None = None


YARDSTICKS = (
    Yardstick(
        "energy",
        "training_power_gw",
        "from_compute",
        (("one_nuclear_reactor", "nuclear_reactor_gw"), ("largest_us_power_station", "largest_us_power_station_gw")),
        "largest_us_power_station",
    ),
    Yardstick(
        "energy",
        "training_power_gw",
        "power_draw_trend",
        (("one_nuclear_reactor", "nuclear_reactor_gw"), ("largest_us_power_station", "largest_us_power_station_gw")),
        "largest_us_power_station",
    ),
    Yardstick(
        "energy",
        "cluster_power_gw",
        "trend",
        (("one_nuclear_reactor", "nuclear_reactor_gw"), ("largest_us_power_station", "largest_us_power_station_gw")),
        "largest_us_power_station",
    ),
    Yardstick(
        "data",
        "training_tokens",
        "compute_optimal",
        (("public_text_stock", "data_stock_tokens"), ("post_internet_text", "post_internet_tokens")),
        "public_text_stock",
        binding_low="data_stock_tokens",
        binding_high="data_stock_tokens",
    ),
    Yardstick(
        "money",
        "training_cost_usd",
        None,
        (
            ("usd_1b", "money_reference_1b_usd"),
            ("usd_10b", "money_reference_10b_usd"),
            ("largest_company_capex", "money_binding_usd"),
        ),
        "largest_company_capex",
    ),
    Yardstick(
        "money",
        "cluster_hardware_cost_usd",
        "trend",
        (
            ("usd_1b", "money_reference_1b_usd"),
            ("usd_10b", "money_reference_10b_usd"),
            ("largest_company_capex", "money_binding_usd"),
        ),
        "largest_company_capex",
    ),
)

CONSTRAINTS_SCHEMA = {
    "year": pl.Int64,
    "roadblock": pl.String,
    "subject": pl.String,
    "metric": pl.String,
    "method": pl.String,
    "scenario": pl.String,
    "projected_value": pl.Float64,
    "unit": pl.String,
    "reference": pl.String,
    "reference_value": pl.Float64,
    "ratio": pl.Float64,
    "binds": pl.Boolean,
    "n_countries_exceeded": pl.Int64,
    "largest_country_exceeded": pl.String,
}


def _series(projections: pl.DataFrame, y: Yardstick) -> pl.DataFrame:
    return projected_metric(projections, y.metric, y.method)


def _countries_exceeded(power: pl.DataFrame, countries: pl.DataFrame) -> pl.DataFrame:
    """Per projected power value: how many countries' average power it exceeds, and the largest of them."""
    ranked = countries.select("country_or_region", "average_power_gw").sort("average_power_gw", "country_or_region")
    gw = ranked["average_power_gw"].to_numpy()
    names = ranked["country_or_region"].to_list()
    counts = [int((gw < v).sum()) for v in power["value"].to_list()]
    return power.with_columns(
        pl.Series("n_countries_exceeded", counts, dtype=pl.Int64),
        pl.Series("largest_country_exceeded", [names[c - 1] if c else None for c in counts], dtype=pl.String),
    )


def compute_constraints(
    projections: pl.DataFrame, assumptions: dict[str, Assumption], countries: pl.DataFrame
) -> pl.DataFrame:
    """marts.constraints: each yardstick's projected values against its reference sums, year by year and by scenario."""
    frames = []
    for y in YARDSTICKS:
        series = _series(projections, y)
        if y.roadblock == "energy":
            series = _countries_exceeded(series, countries)
        else:
            series = series.with_columns(
                pl.lit(None, dtype=pl.Int64).alias("n_countries_exceeded"),
                pl.lit(None, dtype=pl.String).alias("largest_country_exceeded"),
            )
        for reference, assumption in y.references:
            ref_value = assumptions[assumption].value
            frames.append(
                series.select(
                    "year",
                    pl.lit(y.roadblock).alias("roadblock"),
                    "subject",
                    "metric",
                    "method",
                    "scenario",
                    pl.col("value").alias("projected_value"),
                    "unit",
                    pl.lit(reference).alias("reference"),
                    pl.lit(ref_value, dtype=pl.Float64).alias("reference_value"),
                    (pl.col("value") / ref_value).alias("ratio"),
                    (pl.col("value") >= ref_value).alias("binds"),
                    "n_countries_exceeded",
                    "largest_country_exceeded",
                )
            )
    return (
        pl.concat(frames)
        .cast(CONSTRAINTS_SCHEMA)
        .sort("roadblock", "subject", "metric", "method", "reference", "year", "scenario")
    )


def countries_exceeded_table(projections: pl.DataFrame, countries: pl.DataFrame) -> pl.DataFrame:
    """marts.countries_exceeded: every (projected power, country) pair where the run or cluster draws more."""
    power = pl.concat([_series(projections, y) for y in YARDSTICKS if y.roadblock == "energy"])
    pairs = power.join(
        countries.select("country_or_region", "country_code", "year", "average_power_gw").rename(
            {"year": "country_data_year"}
        ),
        how="cross",
    )
    return (
        pairs.filter(pl.col("value") > pl.col("average_power_gw"))
        .select(
            "year",
            "subject",
            "metric",
            "method",
            "scenario",
            pl.col("value").alias("projected_power_gw"),
            "country_or_region",
            "country_code",
            "average_power_gw",
            "country_data_year",
        )
        .sort("subject", "metric", "method", "year", "scenario", "average_power_gw", "country_or_region")
    )


def _first_year(series: pl.DataFrame, scenario: str, threshold: float) -> int | None:
    hit = series.filter((pl.col("scenario") == scenario) & (pl.col("value") >= threshold)).sort("year")
    return int(hit["year"][0]) if hit.height else None


ROADBLOCKS_SCHEMA = {
    "roadblock": pl.String,
    "subject": pl.String,
    "metric": pl.String,
    "method": pl.String,
    "reference": pl.String,
    "reference_value": pl.Float64,
    "unit": pl.String,
    "first_year_central": pl.Int64,
    "first_year_earliest": pl.Int64,
    "first_year_latest": pl.Int64,
    "binds_before_horizon": pl.Boolean,
    "horizon_year": pl.Int64,
    "summary": pl.String,
}


def compute_roadblocks(
    projections: pl.DataFrame, assumptions: dict[str, Assumption], horizon_year: int
) -> pl.DataFrame:
    """marts.roadblocks: per roadblock, the first year its binding reference is reached (central, earliest, latest)."""
    rows = []
    for y in YARDSTICKS:
        series = _series(projections, y)
        assumption = assumptions[dict(y.references)[y.binding]]
        low_ref = assumption.low if y.binding_low and assumption.low is not None else assumption.value
        high_ref = assumption.high if y.binding_high and assumption.high is not None else assumption.value
        central = _first_year(series, "central", assumption.value)
        earliest = _first_year(series, "high", low_ref)
        latest = _first_year(series, "low", high_ref)
        subject = series["subject"][0]
        if central is not None:
            summary = f"binds in {central} (90% range {earliest or 'n/a'}-{latest or f'after {horizon_year}'})"
        elif earliest is not None:
            summary = f"does not bind by {horizon_year} on the central path; possible from {earliest}"
        else:
            summary = f"does not bind before {horizon_year}"
        rows.append(
            {
                "roadblock": y.roadblock,
                "subject": subject,
                "metric": y.metric,
                "method": series["method"][0],
                "reference": y.binding,
                "reference_value": assumption.value,
                "unit": series["unit"][0],
                "first_year_central": central,
                "first_year_earliest": earliest,
                "first_year_latest": latest,
                "binds_before_horizon": central is not None,
                "horizon_year": horizon_year,
                "summary": summary,
            }
        )
    return pl.DataFrame(rows, schema=ROADBLOCKS_SCHEMA).sort("roadblock", "subject", "metric", "method")
