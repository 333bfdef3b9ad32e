"""marts.seed_claims: every claim of the seed post against what the data gives.

A claim about a past year is compared with the observed value, a claim about the as-of year or
later with the projection (its 90% band), a claim about a rate with the fit (its bootstrap
interval). Run quantities (one training run) and cluster quantities (a whole site) are kept
apart, as the post mixes them.

Uncertainty of an observed value comes from the source first: the 90% interval Epoch states in a
row's notes ("90% CI: 8.2E+24 to 4.4E+25"); only where there is none, a factor read from Epoch's
confidence label (marts.assumptions, `confidence_factor_*`). `uncertainty` names which. Ratios
and other combinations add the half-widths of their factors in log10 space (in quadrature),
never the worst cases end to end.

The year of a dated claim about runs is the year the run was **trained**: its publication date
minus its training time (Epoch's `Training time (hours)`), or minus the median training time of
frontier runs since 2018 where the row has none (TRAINING_YEAR_RULE). The year of a cluster claim
is the year the site first operates.

Two verdicts: `verdict`, the direction and size from the central values ('overstated ×4.8',
'understated ×4.5', or 'about right' within a factor of 1.25), and `interval_verdict`, whether
the claimed value lies inside the data's interval ('inside', 'above', 'below').

As of: only runs published, and clusters operating, on or before the as-of date are read; a
model the post names that was published later has no data.
"""

from __future__ import annotations

import datetime as dt
import math
import re
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
    Claim(
        "growth_rate",
        "frontier training compute grows x10 every 2 years",
        None,
        "growth per year",
        "rate",
        10**0.5,
        "x/year",
    ),
    Claim("gpt4_ratio", "GPT-4 used x15 GPT-3's compute", None, "ratio", "training_run", 15.0, "ratio"),
    Claim("gpt4_compute", "GPT-4 training compute", 2022, "training compute", "training_run", 1e26, "FLOP"),
    Claim("gpt4_cost", "GPT-4 training cost", 2022, "training cost", "training_run", 1e8, "USD"),
    Claim("frontier_2024_compute", "frontier runs in 2024", 2024, "training compute", "training_run", 1e27, "FLOP"),
    Claim("frontier_2024_cost", "frontier run cost in 2024", 2024, "training cost", "training_run", 1e9, "USD"),
    Claim("cluster_2026_power", "clusters need 1 GW (one nuclear reactor)", 2026, "power", "cluster", 1.0, "GW"),
    Claim("cluster_2028_cost", "cluster price", 2028, "hardware cost", "cluster", 1e11, "USD"),
    Claim(
        "cluster_2028_power",
        "cluster power, more than the largest US power station",
        2028,
        "power",
        "cluster",
        10.0,
        "GW",
    ),
    Claim("llama31_tokens", "Llama-3.1 training data", 2024, "training tokens", "training_run", 1.5e13, "tokens"),
    Claim("internet_tokens", "the Internet's text (unique tokens)", None, "tokens", "text_stock", 6e13, "tokens"),
)

# Models the post names, by our model_id (see marts.training_runs).
GPT3, GPT4, LLAMA31 = "gpt-3-175b-davinci", "gpt-4-mar-2023", "llama-3-1-405b"
ABOUT_RIGHT = 1.25  # a claim within this factor of the data's central value is 'about right'
TRAINING_YEAR_RULE = (
    "trained in year Y: publication date minus Epoch's training time, or minus the median training "
    "time of frontier runs since 2018 where the row has none"
)
FALLBACK_TIME_SINCE = dt.date(2018, 1, 1)

SEED_CLAIMS_SCHEMA = {
    "claim_id": pl.String,
    "statement": pl.String,
    "year": pl.Int64,
    "quantity": pl.String,
    "subject": pl.String,
    "claimed_value": pl.Float64,
    "unit": pl.String,
    "data_value": pl.Float64,
    "data_low": pl.Float64,
    "data_high": pl.Float64,
    "uncertainty": pl.String,
    "basis": pl.String,
    "evidence": pl.String,
    "ratio_claim_to_data": pl.Float64,
    "verdict": pl.String,
    "interval_verdict": pl.String,
}

# "90% CI: 8.2E+24 to 4.4E+25", "[CI: 2e25 to 2e26]", "CI [3.23e+24, 2.05e+25]", "a 90% CI of 6.9e21 to 1.3e23"
_NUMBER = r"(\d+(?:\.\d+)?(?:\s*[eE]\s*[+-]?\d+)?)"
_CI = re.compile(r"\bCI\b\s*(?:of|:)?\s*\[?\s*" + _NUMBER + r"\s*(?:to|,|-|–)\s*" + _NUMBER)


def interval_from_notes(notes: str | None) -> tuple[float, float] | None:
    """The first confidence interval stated in an Epoch notes cell, as (low, high); None if none."""
    if not notes:
        return None
    hit = _CI.search(notes)
    if hit is None:
        return None
    low, high = (float(g.replace(" ", "")) for g in hit.groups())
    if not (0 < low < high and math.isfinite(high)):
        return None
    return low, high


@dataclass(frozen=True)
class Estimate:
    """A value with its 90% interval and where the interval comes from."""

    value: float
    low: float
    high: float
    uncertainty: str
    evidence: str

    @property
    def log_halves(self) -> tuple[float, float]:
        """(below, above): log10 distances from the value to the interval's ends."""
        return math.log10(self.value / self.low), math.log10(self.high / self.value)


def ratio_of(numerator: Estimate, denominator: Estimate, evidence: str) -> Estimate:
    """numerator / denominator with log-space half-widths added in quadrature (independent errors)."""
    value = numerator.value / denominator.value
    n_below, n_above = numerator.log_halves
    d_below, d_above = denominator.log_halves
    below, above = math.hypot(n_below, d_above), math.hypot(n_above, d_below)
    sources = sorted({numerator.uncertainty, denominator.uncertainty})
    return Estimate(
        value, value / 10**below, value * 10**above, "combined in log space: " + " + ".join(sources), evidence
    )


def verdict(claimed: float, value: float) -> str:
    """Direction and size of the claim against the data's central value."""
    if math.isnan(claimed) or math.isnan(value) or value <= 0:
        return "no data"
    ratio = claimed / value
    if abs(math.log10(ratio)) <= math.log10(ABOUT_RIGHT) + 1e-12:  # inclusive, whatever the float rounding
        return f"about right (×{ratio:.2g})"
    return f"overstated ×{ratio:.2g}" if ratio > 1 else f"understated ×{1 / ratio:.2g}"


def interval_verdict(claimed: float, low: float, high: float) -> str:
    """Whether the claim lies inside the data's interval."""
    if any(math.isnan(v) for v in (claimed, low, high)):
        return "no data"
    if claimed > high:
        return "above"
    if claimed < low:
        return "below"
    return "inside"


def _confidence_factor(confidence: str | None, a: dict[str, Assumption]) -> float:
    key = {"Confident": "confidence_factor_confident", "Likely": "confidence_factor_likely"}.get(
        confidence or "", "confidence_factor_speculative"
    )
    return a[key].value


def training_year_column(runs: pl.DataFrame) -> pl.Expr:
    """The year each run was trained by TRAINING_YEAR_RULE."""
    known = runs.filter(
        pl.col("is_frontier")
        & (pl.col("publication_date") >= FALLBACK_TIME_SINCE)
        & pl.col("training_time_hours").is_not_null()
    )["training_time_hours"]
    fallback_hours = float(known.median()) if known.len() else 0.0
    hours = pl.col("training_time_hours").fill_null(fallback_hours)
    return (pl.col("publication_date") - pl.duration(hours=hours)).dt.year().alias("training_year")


def _cluster_note(clusters: pl.DataFrame, column: str, year: int, scale: float, unit: str, as_of: dt.date) -> str:
    """What Epoch's cluster list itself says about the year, beside the trend projection (as known at the as-of date)."""
    last = min(dt.date(year, 12, 31), as_of)
    dated = clusters.filter(
        ~pl.col("is_planned") & (pl.col("first_operational_date") <= last) & pl.col(column).is_not_null()
    )
    parts = []
    if dated.height:
        top = dated.sort([column, "cluster_id"], descending=[True, False]).row(0, named=True)
        parts.append(
            f"largest site operational by {last} in Epoch's list: {top['cluster_name']} {top[column] * scale:.3g} {unit}"
        )
    versions = (
        sorted(set(clusters["source_version"].drop_nulls().to_list())) if "source_version" in clusters.columns else []
    )
    snapshot = dt.date.fromisoformat(versions[-1]) if versions else None
    if snapshot is not None and snapshot <= as_of:
        undated = clusters.filter(
            pl.col("is_planned") & pl.col("first_operational_date").is_null() & pl.col(column).is_not_null()
        )
        if undated.height:
            top = undated.sort([column, "cluster_id"], descending=[True, False]).row(0, named=True)
            parts.append(f"largest planned site without a date: {top['cluster_name']} {top[column] * scale:.3g} {unit}")
    elif snapshot is not None:
        parts.append(f"planned sites left out: the cluster list ({snapshot}) is newer than the as-of date")
    return "; " + "; ".join(parts) if parts else ""


def compute_seed_claims(
    runs: pl.DataFrame,
    fits: pl.DataFrame,
    projections: pl.DataFrame,
    clusters: pl.DataFrame,
    assumptions: dict[str, Assumption],
    as_of: dt.date,
    notes: pl.DataFrame | None = None,
    curated: dict[tuple[str, str], str] | None = None,
) -> pl.DataFrame:
    """runs = marts.training_runs; notes = model_id -> training_compute_notes (Epoch's raw notes of each
    run); curated = (model_id, column) -> citation of each value that comes from sources/curated/
    (Epoch's interval then does not describe it; the evidence names the citation)."""
    curated = curated or {}
    runs = runs.filter(pl.col("publication_date") <= as_of)
    runs = runs.with_columns(training_year_column(runs))
    clusters = clusters.filter(
        pl.col("first_operational_date").is_null() | (pl.col("first_operational_date") <= as_of) | pl.col("is_planned")
    )
    note_of = dict(zip(notes["model_id"], notes["training_compute_notes"])) if notes is not None else {}

    def model(model_id: str) -> dict | None:
        hit = runs.filter(pl.col("model_id") == model_id)
        return hit.row(0, named=True) if hit.height == 1 else None

    def observed(row: dict, column: str) -> Estimate:
        value = row[column]
        where = f"{row['model']} (published {row['publication_date']}, trained {row['training_year']})"
        if value is None:
            return Estimate(math.nan, math.nan, math.nan, "none", f"{where}: no {column}")
        is_curated = (row["model_id"], column) in curated
        if is_curated:
            where += f", curated value (sources/curated/, citation: {curated[(row['model_id'], column)]})"
        if column == "training_compute_flop" and not is_curated:
            interval = interval_from_notes(note_of.get(row["model_id"]))
            if interval is not None and interval[0] <= value <= interval[1]:
                return Estimate(
                    value,
                    *interval,
                    "epoch_notes_90ci",
                    f"{where}, Epoch's own 90% interval from its notes: {interval[0]:.2g}-{interval[1]:.2g}",
                )
        factor = _confidence_factor(row["confidence"], assumptions)
        return Estimate(
            value,
            value / factor,
            value * factor,
            f"confidence_label ({row['confidence'] or 'Unknown'})",
            f"{where}, Epoch confidence {row['confidence']}: x/÷{factor:g}",
        )

    def largest_trained_in(column: str, year: int) -> Estimate:
        candidates = runs.filter((pl.col("training_year") == year) & pl.col(column).is_not_null())
        if candidates.height == 0:
            return Estimate(math.nan, math.nan, math.nan, "none", f"no run trained in {year} with {column}")
        top = candidates.sort([column, "model_id"], descending=[True, False]).row(0, named=True)
        estimate = observed(top, column)
        return Estimate(
            estimate.value,
            estimate.low,
            estimate.high,
            estimate.uncertainty,
            f"largest of {candidates.height} runs trained in {year}: {estimate.evidence}",
        )

    def projected(metric: str, method: str | None, year: int) -> Estimate:
        central, low, high = (value_at(projections, metric, method, year, s) for s in ("central", "low", "high"))
        method = method or projected_metric(projections, metric)["method"][0]
        return Estimate(
            central, low, high, "projection_band_90", f"projection of {metric} ({method}) for {year}, 90% band"
        )

    def missing(model_id: str) -> Estimate:
        return Estimate(
            math.nan,
            math.nan,
            math.nan,
            "none",
            f"{model_id} is not in marts.training_runs on or before the as-of date {as_of}",
        )

    rows = []
    for claim in CLAIMS:
        basis = "observed"
        if claim.claim_id == "growth_rate":
            fit = fits.filter((pl.col("metric") == "training_compute_flop") & (pl.col("population") == "frontier")).row(
                0, named=True
            )
            data = Estimate(
                fit["growth_per_year"],
                fit["growth_per_year_boot_low"],
                fit["growth_per_year_boot_high"],
                "fit_bootstrap_90",
                f"fit of frontier training compute since 2010 (n={fit['n']}), bootstrap 90% interval",
            )
            basis = "fit"
        elif claim.claim_id == "gpt4_ratio":
            gpt3, gpt4 = model(GPT3), model(GPT4)
            if gpt3 is None or gpt4 is None:
                data = missing(GPT4 if gpt4 is None else GPT3)
            else:
                a, b = observed(gpt4, "training_compute_flop"), observed(gpt3, "training_compute_flop")
                data = ratio_of(
                    a, b, f"{gpt4['model']} / {gpt3['model']} training compute ({a.evidence}; {b.evidence})"
                )
        elif claim.claim_id in ("gpt4_compute", "gpt4_cost"):
            column = "training_compute_flop" if claim.claim_id == "gpt4_compute" else "training_cost_usd"
            row = model(GPT4)
            data = observed(row, column) if row else missing(GPT4)
        elif claim.claim_id == "llama31_tokens":
            row = model(LLAMA31)
            data = observed(row, "training_tokens") if row else missing(LLAMA31)
        elif claim.claim_id in ("frontier_2024_compute", "frontier_2024_cost"):
            column = "training_compute_flop" if claim.claim_id.endswith("compute") else "training_cost_usd"
            if claim.year < as_of.year:
                data = largest_trained_in(column, claim.year)
            else:
                data, basis = projected(column, None, claim.year), "projection"
        elif claim.subject == "cluster":
            if claim.quantity == "power":
                metric, note = (
                    "cluster_power_gw",
                    _cluster_note(clusters, "power_capacity_mw", claim.year, 1e-3, "GW", as_of),
                )
            else:
                metric, note = (
                    "cluster_hardware_cost_usd",
                    _cluster_note(clusters, "hardware_cost_usd", claim.year, 1.0, "USD", as_of),
                )
            estimate = projected(metric, "trend", claim.year)
            data = Estimate(estimate.value, estimate.low, estimate.high, estimate.uncertainty, estimate.evidence + note)
            basis = "projection"
        elif claim.claim_id == "internet_tokens":
            stock, repeats = assumptions["data_stock_tokens"], assumptions["data_stock_repetition_factor"].value
            data = Estimate(
                stock.value / repeats,
                stock.low / repeats,
                stock.high / repeats,
                "reference_interval_90",
                f"Villalobos et al. 2024 effective stock of public text ({stock.value:.2g} tokens, counting "
                f"repeated epochs) divided by {repeats:g} epochs: unique tokens (marts.assumptions)",
            )
            basis = "reference"
        else:  # pragma: no cover - every claim is handled above
            raise AssertionError(claim.claim_id)
        rows.append(
            {
                "claim_id": claim.claim_id,
                "statement": claim.statement,
                "year": claim.year,
                "quantity": claim.quantity,
                "subject": claim.subject,
                "claimed_value": claim.claimed_value,
                "unit": claim.unit,
                "data_value": data.value,
                "data_low": data.low,
                "data_high": data.high,
                "uncertainty": data.uncertainty,
                "basis": _basis(basis, claim),
                "evidence": data.evidence,
                "ratio_claim_to_data": claim.claimed_value / data.value
                if data.value and not math.isnan(data.value)
                else math.nan,
                "verdict": verdict(claim.claimed_value, data.value),
                "interval_verdict": interval_verdict(claim.claimed_value, data.low, data.high),
            }
        )
    return pl.DataFrame(rows, schema=SEED_CLAIMS_SCHEMA)


def _basis(kind: str, claim: Claim) -> str:
    """What the data value is, with the reading of the claim's year."""
    if claim.year is None:
        return kind
    if claim.subject == "cluster":
        return f"{kind}; year = first operational in {claim.year} (projection at mid-year)"
    if kind == "projection":
        return f"{kind}; year = the largest run of {claim.year} (projection at mid-year)"
    return f"{kind}; year = {TRAINING_YEAR_RULE}"
