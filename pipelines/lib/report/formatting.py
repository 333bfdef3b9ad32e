"""Number formatting and labels: what a reader sees, in one place (tables, hover text, PNG ticks)."""

from __future__ import annotations

import math
import re

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


def finite(value) -> bool:
    """Whether a value is a real, finite number (None, NaN and infinities are shown as a dash)."""
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def fmt_number(value, digits: int = 2) -> str:
    """2 significant figures by default: 4.8, 0.36, 1,100, 3.1e26."""
    if not finite(value):
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
    """Dollars with a k/M/B/T suffix ($1.2B), or a dash when there is no value."""
    if not finite(value):
        return "—"
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"${fmt_number(value / scale)}{suffix}"
    return f"${fmt_number(value)}"


def fmt_tokens(value) -> str:
    """A token count with its unit, or a dash."""
    return fmt_quantity(value, "tokens")


def fmt_growth(value) -> str:
    """A growth factor per year (4.2×/yr), or a dash."""
    return "—" if not finite(value) else f"{fmt_number(value)}×/yr"


def fmt_interval(low, high, suffix: str = "") -> str:
    """low–high with an optional suffix, or a dash when either end is missing."""
    if not (finite(low) and finite(high)):
        return "—"
    return f"{fmt_number(low)}–{fmt_number(high)}{suffix}"


def fmt_months(value) -> str:
    """A positive number of months, or a dash (a flat or shrinking trend has no doubling time)."""
    return "—" if not finite(value) or value <= 0 else f"{fmt_number(value)} months"


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
    if not finite(value):
        return "—"
    number, suffix = _unit_parts(value, unit or "")
    return number + suffix


def fmt_range(low, high, unit: str | None) -> str:
    """An interval with its unit written once: 1.8e29–5e29 FLOP, $6.5B–$41B."""
    if not (finite(low) and finite(high)):
        return "—"
    (low_text, suffix), (high_text, _) = _unit_parts(low, unit or ""), _unit_parts(high, unit or "")
    return f"{low_text}–{high_text}{suffix}"


def label(mapping: dict, key: str | None) -> str:
    """The display label of a key, or the key with spaces for underscores when it has none."""
    return mapping.get(key, (key or "").replace("_", " "))


# --- axis ticks: the same text on the PNG and the interactive charts -------------------------

_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten_tick(value: float) -> str:
    """10²⁶ for a decade, else the number."""
    if not (value > 0 and math.isfinite(value)):
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return fmt_number(value)
    return "10" + str(int(round(exponent))).translate(_SUPERSCRIPTS)


def usd_tick(value: float) -> str:
    """A dollar axis tick label."""
    return fmt_usd(value)


def _plain(value: float) -> str:
    """Digits with thousands separators, never an exponent: 100,000 and 0.5 (ticks are decades)."""
    if value >= 1:
        return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 * value else f"{value:,.3g}"
    return fmt_number(value, 3)


def gw_tick(value: float) -> str:
    """One format on the whole power axis, watts with an SI prefix: 100 MW, 1 GW, 10 GW, 1 TW, 100 TW
    (never '1e5 GW' beside '10,000 GW', and short enough for the axis margin)."""
    if not (value > 0 and math.isfinite(value)):
        return ""
    for scale, unit in ((1e3, "TW"), (1.0, "GW"), (1e-3, "MW"), (1e-6, "kW")):
        if value >= scale * (1 - 1e-9) or unit == "kW":
            return f"{_plain(value / scale)} {unit}"


def tokens_tick(value: float) -> str:
    """A token-count axis tick label (k/M/B/T)."""
    if value >= 1e12:
        return f"{value / 1e12:,.0f}T" if value >= 1e13 else f"{fmt_number(value / 1e12, 3)}T"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{fmt_number(value / scale, 3)}{suffix}"
    return fmt_number(value, 3)
