"""Every constant the projections use, with its unit and where it comes from (marts.assumptions).

Any value can be overridden by configuration (`flopcast build --set name=value`, or the
`assumption_overrides` of the Dagster resource); the table records which values were overridden.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl


@dataclass(frozen=True)
class Assumption:
    name: str
    value: float
    unit: str
    citation: str
    description: str
    low: float | None = None  # plausible range, where the source gives one
    high: float | None = None


DEFAULT_ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption("hardware_utilization", 0.4, "fraction",
               "Typical model-FLOP utilization of large runs, 30-50% (Epoch AI 'Data on AI Models', column 'Hardware utilization (MFU)'; e.g. Llama 3.1-405B reported 38-43%).",
               "Share of the accelerators' peak FLOP/s a training run achieves.", 0.3, 0.5),
    Assumption("training_duration_days", 100.0, "days",
               "Frontier runs have lasted about 3 months (Epoch AI, 'The longest training run', 2024; GPT-4 about 90-100 days, Llama 3.1-405B 54 days).",
               "Wall-clock length of the largest training run.", 54.0, 150.0),
    Assumption("server_overhead_factor", 1.82, "ratio",
               "NVIDIA DGX H100 datasheet: 10.2 kW system power for 8 H100 SXM at 700 W TDP = 1.82.",
               "Server power (CPUs, memory, networking) per watt of accelerator TDP."),
    Assumption("pue", 1.2, "ratio",
               "Power usage effectiveness of large AI data centres; Google fleet trailing PUE 1.10 (2023 Environmental Report), Uptime Institute industry average 1.58 (2023).",
               "Facility power (cooling, conversion) per watt of IT power.", 1.1, 1.58),
    Assumption("tokens_per_parameter", 20.0, "tokens/parameter",
               "Hoffmann et al. 2022, 'Training Compute-Optimal Large Language Models' (Chinchilla): about 20 tokens per parameter.",
               "Compute-optimal ratio of training tokens to parameters."),
    Assumption("flop_per_parameter_token", 6.0, "FLOP/(parameter*token)",
               "Kaplan et al. 2020; Hoffmann et al. 2022: training compute C = 6 N D.",
               "Training FLOP per parameter per token (forward and backward pass)."),
    Assumption("data_stock_tokens", 3e14, "tokens",
               "Villalobos et al., 'Will we run out of data?' (Epoch AI, 2024): effective stock of human-generated public text about 300T tokens, 90% interval 100T-1,000T.",
               "Stock of public human-generated text usable for training.", 1e14, 1e15),
    Assumption("post_internet_tokens", 6e13, "tokens",
               "The seed post: 'the Internet has something like 60 trillion' tokens.",
               "The post's own figure for the text on the Internet."),
    Assumption("nuclear_reactor_gw", 1.0, "GW",
               "IAEA PRIS (2025): world fleet about 376 GW over 416 reactors; a typical large reactor is about 1 GW electric.",
               "Output of one large nuclear reactor."),
    Assumption("largest_us_power_station_gw", 6.8, "GW",
               "Grand Coulee Dam, about 6.8 GW nameplate, the largest power station in the United States (US Bureau of Reclamation).",
               "Energy roadblock: a site drawing more than this exceeds any single US power station."),
    Assumption("money_binding_usd", 1e11, "USD",
               "About $100B: the scale of one hyperscaler's annual capital expenditure in 2025 (e.g. Amazon's ~$100B and Microsoft's ~$80B plans announced early 2025); also the post's 2028 cluster price.",
               "Money roadblock: a single run or cluster costing more than this exceeds one company's yearly capex."),
    Assumption("money_reference_1b_usd", 1e9, "USD", "The seed post: a $1B frontier run in 2024.", "Reference sum."),
    Assumption("money_reference_10b_usd", 1e10, "USD", "Order-of-magnitude step between the post's $1B and $100B.", "Reference sum."),
    Assumption("confidence_factor_confident", 3.0, "ratio",
               "flopcast's reading of Epoch AI's confidence levels ('Data on AI Models' documentation): 'Confident' estimates are taken to be within a factor of 3.",
               "Uncertainty factor of an observed value Epoch marks Confident."),
    Assumption("confidence_factor_likely", 10.0, "ratio",
               "flopcast's reading of Epoch AI's confidence levels: 'Likely' within a factor of 10.",
               "Uncertainty factor of an observed value Epoch marks Likely."),
    Assumption("confidence_factor_speculative", 30.0, "ratio",
               "flopcast's reading of Epoch AI's confidence levels: 'Speculative' within a factor of 30 (also used for 'Unknown').",
               "Uncertainty factor of an observed value Epoch marks Speculative or Unknown."),
)


class UnknownAssumption(KeyError):
    pass


def resolve_assumptions(overrides: dict[str, float] | None = None) -> dict[str, Assumption]:
    """The defaults with configured overrides applied; an unknown name is an error, not ignored."""
    by_name = {a.name: a for a in DEFAULT_ASSUMPTIONS}
    for name, value in (overrides or {}).items():
        if name not in by_name:
            raise UnknownAssumption(f"unknown assumption {name!r}; known: {', '.join(sorted(by_name))}")
        by_name[name] = replace(by_name[name], value=float(value), citation=f"overridden by configuration (default {by_name[name].value:g}: {by_name[name].citation})")
    return by_name


def assumptions_table(assumptions: dict[str, Assumption], overrides: dict[str, float] | None = None) -> pl.DataFrame:
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
        schema={"name": pl.String, "value": pl.Float64, "low": pl.Float64, "high": pl.Float64, "unit": pl.String,
                "description": pl.String, "citation": pl.String, "is_overridden": pl.Boolean},
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
