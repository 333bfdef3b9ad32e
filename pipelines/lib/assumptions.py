"""Every constant the projections use, with its unit and where it comes from (marts.assumptions).

Any value can be overridden by configuration (`flopcast build --set name=value`, or the
`assumption_overrides` of the Dagster resource); the table records which values were overridden.
An override outside the assumption's physically possible range (``Allowed``: a PUE below 1, a
utilization above 1, a negative duration or sum...) is refused before any work, naming the range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import polars as pl


@dataclass(frozen=True)
class Allowed:
    """The values an assumption can physically take (not its plausible range: see Assumption.low/high)."""

    minimum: float | None = None  # None: unbounded
    maximum: float | None = None
    minimum_included: bool = False
    maximum_included: bool = True
    why: str = ""

    def __contains__(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.minimum is not None and (value < self.minimum or (value == self.minimum and not self.minimum_included)):
            return False
        return self.maximum is None or value < self.maximum or (value == self.maximum and self.maximum_included)

    def describe(self) -> str:
        """'> 0', '>= 1', 'in (0, 1]'."""
        if self.minimum is not None and self.maximum is not None:
            return (
                f"in {'[' if self.minimum_included else '('}{self.minimum:g}, "
                f"{self.maximum:g}{']' if self.maximum_included else ')'}"
            )
        if self.minimum is not None:
            return f"{'>=' if self.minimum_included else '>'} {self.minimum:g}"
        if self.maximum is not None:
            return f"{'<=' if self.maximum_included else '<'} {self.maximum:g}"
        return "any finite number"


POSITIVE = Allowed(0, why="a quantity, duration, count or sum that must be positive")
AT_LEAST_ONE = Allowed(1, minimum_included=True, why="a factor that can only add to what it multiplies")
UNCERTAINTY_FACTOR = Allowed(
    1, minimum_included=True, why="the band is value / factor to value x factor, inverted below 1"
)


@dataclass(frozen=True)
class Assumption:
    name: str
    value: float
    unit: str
    citation: str
    description: str
    low: float | None = None  # plausible range, where the source gives one
    high: float | None = None
    allowed: Allowed = POSITIVE  # every constant here is a positive quantity unless it says otherwise


DEFAULT_ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "hardware_utilization",
        0.4,
        "fraction",
        "Typical model-FLOP utilization of large runs, 30-50% (Epoch AI 'Data on AI Models', column 'Hardware utilization (MFU)'; e.g. Llama 3.1-405B reported 38-43%).",
        "Share of the accelerators' peak FLOP/s a training run achieves.",
        0.3,
        0.5,
        allowed=Allowed(0, 1, why="a share of peak throughput: above 0, at most all of it"),
    ),
    Assumption(
        "training_duration_days",
        100.0,
        "days",
        "Frontier runs have lasted about 3 months (Epoch AI, 'The longest training run', 2024; GPT-4 about 90-100 days, Llama 3.1-405B 54 days).",
        "Fallback only: wall-clock length of the largest run where the data give no training-time trend.",
        54.0,
        150.0,
    ),
    Assumption(
        "training_duration_max_days",
        270.0,
        "days",
        "Emberson & Edelman (Epoch AI, 2025), 'Frontier training runs will likely stop getting longer by around 2027': runs longer than about 9 months are likely inefficient; frontier training time grew about 1.4x per year since 2020.",
        "Cap on the projected length of the largest run (the frontier training-time trend is followed up to it).",
    ),
    Assumption(
        "server_overhead_factor",
        1.82,
        "ratio",
        "NVIDIA DGX H100 datasheet: 10.2 kW system power for 8 H100 SXM at 700 W TDP = 1.82.",
        "Server power (CPUs, memory, networking) per watt of accelerator TDP.",
        allowed=replace(AT_LEAST_ONE, why="server power includes the accelerators' own"),
    ),
    Assumption(
        "pue",
        1.2,
        "ratio",
        "Power usage effectiveness of large AI data centres; Google fleet trailing PUE 1.10 (2023 Environmental Report), Uptime Institute industry average 1.58 (2023).",
        "Facility power (cooling, conversion) per watt of IT power.",
        1.1,
        1.58,
        allowed=replace(AT_LEAST_ONE, why="facility power includes the IT power; 1 is a perfect data centre"),
    ),
    Assumption(
        "tokens_per_parameter",
        20.0,
        "tokens/parameter",
        "Hoffmann et al. 2022, 'Training Compute-Optimal Large Language Models' (Chinchilla): about 20 tokens per parameter.",
        "Compute-optimal ratio of training tokens to parameters.",
    ),
    Assumption(
        "flop_per_parameter_token",
        6.0,
        "FLOP/(parameter*token)",
        "Kaplan et al. 2020; Hoffmann et al. 2022: training compute C = 6 N D.",
        "Training FLOP per parameter per token (forward and backward pass).",
    ),
    Assumption(
        "data_stock_tokens",
        3e14,
        "tokens",
        "Villalobos et al., 'Will we run out of data?' (Epoch AI, 2024): effective stock of human-generated public text about 300T tokens, 90% interval 100T-1,000T.",
        "Stock of public human-generated text usable for training.",
        1e14,
        1e15,
    ),
    Assumption(
        "data_stock_repetition_factor",
        4.0,
        "epochs",
        "Villalobos et al. (2024) count multi-epoch training in their effective stock; Muennighoff et al. 2023, 'Scaling Data-Constrained Language Models': up to about 4 epochs of repeated data are almost as useful as unique data. flopcast's reading: unique tokens = effective stock / 4.",
        "Epochs the effective stock counts: divides it into unique tokens, the quantity the post's 60T describes.",
        allowed=replace(AT_LEAST_ONE, why="a stock counted over repeated epochs is at least the unique stock"),
    ),
    Assumption(
        "post_internet_tokens",
        6e13,
        "tokens",
        "The seed post: 'the Internet has something like 60 trillion' tokens.",
        "The post's own figure for the text on the Internet.",
    ),
    Assumption(
        "nuclear_reactor_gw",
        1.0,
        "GW",
        "IAEA PRIS (2025): world fleet about 376 GW over 416 reactors; a typical large reactor is about 1 GW electric.",
        "Output of one large nuclear reactor.",
    ),
    Assumption(
        "largest_us_power_station_gw",
        6.8,
        "GW",
        "Grand Coulee Dam, about 6.8 GW nameplate, the largest power station in the United States (US Bureau of Reclamation).",
        "Energy roadblock: a site drawing more than this exceeds any single US power station.",
    ),
    Assumption(
        "money_binding_usd",
        1e11,
        "USD",
        "About $100B: the scale of one hyperscaler's annual capital expenditure in 2025 (e.g. Amazon's ~$100B and Microsoft's ~$80B plans announced early 2025); also the post's 2028 cluster price.",
        "Money roadblock: a single run or cluster costing more than this exceeds one company's yearly capex.",
    ),
    Assumption("money_reference_1b_usd", 1e9, "USD", "The seed post: a $1B frontier run in 2024.", "Reference sum."),
    Assumption(
        "money_reference_10b_usd",
        1e10,
        "USD",
        "Order-of-magnitude step between the post's $1B and $100B.",
        "Reference sum.",
    ),
    Assumption(
        "confidence_factor_confident",
        3.0,
        "ratio",
        "flopcast's reading of Epoch AI's confidence levels ('Data on AI Models' documentation): 'Confident' estimates are taken to be within a factor of 3.",
        "Uncertainty factor of an observed value Epoch marks Confident.",
        allowed=UNCERTAINTY_FACTOR,
    ),
    Assumption(
        "confidence_factor_likely",
        10.0,
        "ratio",
        "flopcast's reading of Epoch AI's confidence levels: 'Likely' within a factor of 10.",
        "Uncertainty factor of an observed value Epoch marks Likely.",
        allowed=UNCERTAINTY_FACTOR,
    ),
    Assumption(
        "confidence_factor_speculative",
        30.0,
        "ratio",
        "flopcast's reading of Epoch AI's confidence levels: 'Speculative' within a factor of 30 (also used for 'Unknown').",
        "Uncertainty factor of an observed value Epoch marks Speculative or Unknown.",
        allowed=UNCERTAINTY_FACTOR,
    ),
)


class UnknownAssumption(KeyError):
    pass


class InvalidAssumption(ValueError):
    """An override outside the assumption's allowed range (the message names the range)."""


def validate_overrides(overrides: dict[str, float] | None) -> dict[str, float]:
    """The overrides as floats, once every name is known and every value inside its allowed range.

    Raises UnknownAssumption for an unknown name and InvalidAssumption naming every value out of
    range, e.g. "pue = -1 is not allowed: pue must be >= 1 (facility power includes the IT power...)".
    """
    by_name = {a.name: a for a in DEFAULT_ASSUMPTIONS}
    checked, problems = {}, []
    for name, value in (overrides or {}).items():
        if name not in by_name:
            raise UnknownAssumption(f"unknown assumption {name!r}; known: {', '.join(sorted(by_name))}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            problems.append(f"{name} = {value!r} is not a number")
            continue
        allowed = by_name[name].allowed
        if number not in allowed:
            reason = "is not a finite number" if not math.isfinite(number) else "is not allowed"
            problems.append(
                f"{name} = {number:g} {reason}: {name} must be {allowed.describe()}"
                + (f" ({allowed.why})" if allowed.why else "")
                + f"; default {by_name[name].value:g} {by_name[name].unit}"
            )
        checked[name] = number
    if problems:
        raise InvalidAssumption("assumption override out of range: " + "; ".join(problems))
    return checked


def resolve_assumptions(overrides: dict[str, float] | None = None) -> dict[str, Assumption]:
    """The defaults with configured overrides applied; an unknown name or a value outside its
    allowed range is an error (validate_overrides), not ignored."""
    by_name = {a.name: a for a in DEFAULT_ASSUMPTIONS}
    for name, value in validate_overrides(overrides).items():
        by_name[name] = replace(
            by_name[name],
            value=float(value),
            citation=f"overridden by configuration (default {by_name[name].value:g}: {by_name[name].citation})",
        )
    return by_name


def assumptions_table(assumptions: dict[str, Assumption], overrides: dict[str, float] | None = None) -> pl.DataFrame:
    """The assumptions as the marts.assumptions table, sorted by name, with overridden rows marked."""
    overridden = set(overrides or {})
    rows = sorted(assumptions.values(), key=lambda a: a.name)
    return pl.DataFrame(
        {
            "name": [a.name for a in rows],
            "value": [a.value for a in rows],
            "low": [a.low for a in rows],
            "high": [a.high for a in rows],
            "unit": [a.unit for a in rows],
            "description": [a.description for a in rows],
            "citation": [a.citation for a in rows],
            "is_overridden": [a.name in overridden for a in rows],
        },
        schema={
            "name": pl.String,
            "value": pl.Float64,
            "low": pl.Float64,
            "high": pl.Float64,
            "unit": pl.String,
            "description": pl.String,
            "citation": pl.String,
            "is_overridden": pl.Boolean,
        },
    )


def parse_overrides(pairs: list[str]) -> dict[str, float]:
    """`name=value` strings from the command line."""
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--set expects name=value, got {pair!r}")
        try:
            overrides[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--set {name.strip()}: {value!r} is not a number") from None
    return overrides
