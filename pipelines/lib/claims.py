"""marts.seed_claims: every claim of the seed post against what the data gives.

A claim about a past year is compared with the observed value (its interval from Epoch's
confidence level); a claim about the as-of year or later with the projection (its 90% band); a
claim about a rate with the fit (its bootstrap interval). Run quantities (one training run) and
cluster quantities (a whole site) are kept apart, as the post mixes them.

Verdict: 'consistent' when the claimed value lies inside the data's interval, 'overstated' when it
is above it, 'understated' when below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from pipelines.lib.assumptions import Assumption
from pipelines.lib.projections import projected_metric, value_at


@dataclass(frozen=True)
class Claim:
    claim_id: str
    statement: str
    year: int | None
    quantity: str
    subject: str  # training_run | cluster | rate | text_stock
    claimed_value: float
    unit: str


CLAIMS = (
    Claim("growth_rate", "frontier training compute grows x10 every 2 years", None, "growth per year", "rate", 10**0.5, "x/year"),
    Claim("gpt4_ratio", "GPT-4 used x15 GPT-3's compute", None, "ratio", "training_run", 15.0, "ratio"),
    Claim("gpt4_compute", "GPT-4 training compute", 2022, "training compute", "training_run", 1e26, "FLOP"),
    Claim("gpt4_cost", "GPT-4 training cost", 2022, "training cost", "training_run", 1e8, "USD"),
    Claim("frontier_2024_compute", "frontier runs in 2024", 2024, "training compute", "training_run", 1e27, "FLOP"),
    Claim("frontier_2024_cost", "frontier run cost in 2024", 2024, "training cost", "training_run", 1e9, "USD"),
    Claim("cluster_2026_power", "clusters need 1 GW (one nuclear reactor)", 2026, "power", "cluster", 1.0, "GW"),
    Claim("cluster_2028_cost", "cluster price", 2028, "hardware cost", "cluster", 1e11, "USD"),
    Claim("cluster_2028_power", "cluster power, more than the largest US power station", 2028, "power", "cluster", 10.0, "GW"),
    Claim("llama31_tokens", "Llama-3.1 training data", 2024, "training tokens", "training_run", 1.5e13, "tokens"),
    Claim("internet_tokens", "the Internet's text", None, "tokens", "text_stock", 6e13, "tokens"),
)

# Models the post names, by our model_id (see marts.training_runs).
GPT3, GPT4, LLAMA31 = "gpt-3-175b-davinci", "gpt-4-mar-2023", "llama-3-1-405b"

SEED_CLAIMS_SCHEMA = {
    "claim_id": pl.String, "statement": pl.String, "year": pl.Int64, "quantity": pl.String, "subject": pl.String,
    "claimed_value": pl.Float64, "unit": pl.String, "data_value": pl.Float64, "data_low": pl.Float64,
    "data_high": pl.Float64, "basis": pl.String, "evidence": pl.String, "ratio_claim_to_data": pl.Float64,
    "verdict": pl.String,
}


def _confidence_factor(confidence: str | None, a: dict[str, Assumption]) -> float:
    key = {"Confident": "confidence_factor_confident", "Likely": "confidence_factor_likely"}.get(confidence or "", "confidence_factor_speculative")
    return a[key].value


def verdict(claimed: float, low: float, high: float) -> str:
    if any(math.isnan(v) for v in (claimed, low, high)):
        return "no data"
    if claimed > high:
        return "overstated"
    if claimed < low:
        return "understated"
    return "consistent"


def _cluster_note(clusters: pl.DataFrame, column: str, year: int, scale: float, unit: str) -> str:
    """What Epoch's cluster list itself says about the year, beside the trend projection."""
    dated = clusters.filter((pl.col("first_operational_date").dt.year() <= year) & pl.col(column).is_not_null())
    undated = clusters.filter(pl.col("is_planned") & pl.col("first_operational_date").is_null() & pl.col(column).is_not_null())
    parts = []
    if dated.height:
        top = dated.sort([column, "cluster_id"], descending=[True, False]).row(0, named=True)
        parts.append(f"largest site operational by {year} in Epoch's list: {top['cluster_name']} {top[column] * scale:.3g} {unit}")
    if undated.height:
        top = undated.sort([column, "cluster_id"], descending=[True, False]).row(0, named=True)
        parts.append(f"largest planned site without a date: {top['cluster_name']} {top[column] * scale:.3g} {unit}")
    return "; " + "; ".join(parts) if parts else ""


def compute_seed_claims(runs: pl.DataFrame, fits: pl.DataFrame, projections: pl.DataFrame, clusters: pl.DataFrame,
                        assumptions: dict[str, Assumption], as_of_year: int) -> pl.DataFrame:
    def model(model_id: str) -> dict:
        hit = runs.filter(pl.col("model_id") == model_id)
        if hit.height != 1:
            raise LookupError(f"seed claims: model_id {model_id!r} not found in marts.training_runs")
        return hit.row(0, named=True)

    def observed(row: dict, column: str) -> tuple[float, float, float, str]:
        value = row[column]
        factor = _confidence_factor(row["confidence"], assumptions)
        return value, value / factor, value * factor, f"{row['model']} ({row['publication_date']}), Epoch confidence {row['confidence']}: x/÷{factor:g}"

    def largest_in_year(column: str, year: int) -> tuple[float, float, float, str]:
        candidates = runs.filter((pl.col("publication_date").dt.year() == year) & pl.col(column).is_not_null())
        if candidates.height == 0:
            return math.nan, math.nan, math.nan, f"no {year} run with {column}"
        top = candidates.sort([column, "model_id"], descending=[True, False]).row(0, named=True)
        value, low, high, evidence = observed(top, column)
        return value, low, high, f"largest of {candidates.height} runs published in {year}: {evidence}"

    def projected(metric: str, method: str | None, year: int) -> tuple[float, float, float, str]:
        values = [value_at(projections, metric, method, year, s) for s in ("central", "low", "high")]
        method = method or projected_metric(projections, metric)["method"][0]
        return (*values, f"projection of {metric} ({method}) for {year}, 90% band")

    rows = []
    for claim in CLAIMS:
        if claim.claim_id == "growth_rate":
            fit = fits.filter((pl.col("metric") == "training_compute_flop") & (pl.col("population") == "frontier")).row(0, named=True)
            data = (fit["growth_per_year"], fit["growth_per_year_boot_low"], fit["growth_per_year_boot_high"],
                    f"fit of frontier training compute since 2010 (n={fit['n']}), bootstrap 90% interval")
            basis = "fit"
        elif claim.claim_id == "gpt4_ratio":
            gpt3, gpt4 = model(GPT3), model(GPT4)
            spread = _confidence_factor(gpt3["confidence"], assumptions) * _confidence_factor(gpt4["confidence"], assumptions)
            ratio = gpt4["training_compute_flop"] / gpt3["training_compute_flop"]
            data = (ratio, ratio / spread, ratio * spread, f"{gpt4['model']} / {gpt3['model']} training compute")
            basis = "observed"
        elif claim.claim_id in ("gpt4_compute", "gpt4_cost"):
            column = "training_compute_flop" if claim.claim_id == "gpt4_compute" else "training_cost_usd"
            data, basis = observed(model(GPT4), column), "observed"
        elif claim.claim_id == "llama31_tokens":
            data, basis = observed(model(LLAMA31), "training_tokens"), "observed"
        elif claim.claim_id in ("frontier_2024_compute", "frontier_2024_cost"):
            column = "training_compute_flop" if claim.claim_id.endswith("compute") else "training_cost_usd"
            if claim.year < as_of_year:
                data, basis = largest_in_year(column, claim.year), "observed"
            else:
                data, basis = projected(column, None, claim.year), "projection"
        elif claim.subject == "cluster":
            if claim.quantity == "power":
                metric, note = "cluster_power_gw", _cluster_note(clusters, "power_capacity_mw", claim.year, 1e-3, "GW")
            else:
                metric, note = "cluster_hardware_cost_usd", _cluster_note(clusters, "hardware_cost_usd", claim.year, 1.0, "USD")
            value, low, high, evidence = projected(metric, "trend", claim.year)
            data, basis = (value, low, high, evidence + note), "projection"
        elif claim.claim_id == "internet_tokens":
            stock = assumptions["data_stock_tokens"]
            data = (stock.value, stock.low, stock.high, "Villalobos et al. 2024 stock of public text (marts.assumptions)")
            basis = "reference"
        else:  # pragma: no cover - every claim is handled above
            raise AssertionError(claim.claim_id)
        value, low, high, evidence = data
        rows.append({
            "claim_id": claim.claim_id, "statement": claim.statement, "year": claim.year, "quantity": claim.quantity,
            "subject": claim.subject, "claimed_value": claim.claimed_value, "unit": claim.unit, "data_value": value,
            "data_low": low, "data_high": high, "basis": basis, "evidence": evidence,
            "ratio_claim_to_data": claim.claimed_value / value if value else math.nan,
            "verdict": verdict(claim.claimed_value, low, high),
        })
    return pl.DataFrame(rows, schema=SEED_CLAIMS_SCHEMA)
