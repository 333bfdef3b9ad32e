"""The few numbers a reader wants first, as text: printed by `flopcast build`, shown in the report."""

from __future__ import annotations

import duckdb

from pipelines.lib.settings import DEFAULTS


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    text = f"{value:.2g}" if abs(value) >= 1e4 or abs(value) < 0.1 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def headline_lines(con: duckdb.DuckDBPyConnection, year: int = DEFAULTS.headline_year) -> list[str]:
    """The summary lines `flopcast build` ends with: growth of frontier compute, its projection and the roadblocks."""
    lines = []
    fit = con.execute("""
        select growth_per_year, growth_per_year_boot_low, growth_per_year_boot_high, doubling_time_months, n, as_of
        from marts.trend_fits where metric = 'training_compute_flop' and population = 'frontier' and estimates = 'baseline'""").fetchone()
    if fit:
        growth, low, high, doubling, n, as_of = fit
        lines.append(
            f"Frontier training compute grows {growth:.2f}x per year (90% interval {low:.2f}-{high:.2f}), "
            f"doubling every {doubling:.1f} months (n={n}, as of {as_of})."
        )
    rows = con.execute(
        """
        select metric, method, unit,
               max(value) filter (where scenario = 'central'), max(value) filter (where scenario = 'low'),
               max(value) filter (where scenario = 'high')
        from marts.projections where year = ? and estimates = 'baseline' group by metric, method, unit order by metric, method""",
        [year],
    ).fetchall()
    if rows:
        lines.append(f"Projected for {year} (central, 90% band):")
        for metric, method, unit, central, low, high in rows:
            lines.append(
                f"  {metric + ' (' + method + ')':<46} {_fmt(central, unit):>14}  [{_fmt(low)} - {_fmt(high)}]"
            )
    blocks = con.execute("""
        select roadblock, metric, method, first_year_central, first_year_earliest, first_year_latest, horizon_year, reference
        from marts.roadblocks order by roadblock, metric, method""").fetchall()
    if blocks:
        lines.append("Roadblocks (first year the projection reaches the binding reference):")
        first = None
        for roadblock, metric, method, central, earliest, latest, horizon, reference in blocks:
            when = (
                f"{central} (90% range {earliest or '?'}-{latest or f'after {horizon}'})"
                if central
                else f"not before {horizon}" + (f" (possible from {earliest})" if earliest else "")
            )
            lines.append(f"  {roadblock:<7} {metric + ' (' + method + ')':<44} vs {reference}: {when}")
            if central and (first is None or central < first[0]):
                first = (central, roadblock, metric)
        if first:
            lines.append(f"First to bind on the central path: {first[1]} ({first[2]}) in {first[0]}.")
    return lines
