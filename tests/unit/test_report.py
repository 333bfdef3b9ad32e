"""The HTML report, rendered from a small synthetic warehouse built inline."""

from __future__ import annotations

import base64
import datetime as dt
import math
import re

import numpy as np
import polars as pl
import pytest

from pipelines.lib.claims import verdict
from pipelines.lib.report import (
    CHARTS,
    INTERACTIVE_CHARTS,
    ReportData,
    fmt_number,
    fmt_quantity,
    fmt_range,
    fmt_usd,
    render_report,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EVIL_MODEL = "<script>alert('pwned')</script> Megatron"
YEARS = (2029, 2030, 2031)


def _year_fraction(day: dt.date) -> float:
    days = 366 if day.year % 4 == 0 else 365
    return day.year + (day.timetuple().tm_yday - 0.5) / days


def _runs() -> pl.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for i in range(36):
        day = dt.date(1990 + i, 1 + (i * 5) % 12, 1 + (i * 7) % 27)
        x = _year_fraction(day)
        # Slow growth before 2010, fast after: the shape of the real record.
        log_flop = 15 + 0.18 * (x - 1990) if x < 2010 else 18.6 + 0.48 * (x - 2010)
        flop = 10 ** (log_flop + rng.normal(0, 0.4))
        params = math.sqrt(flop / 120)
        rows.append(
            {
                "model_id": f"m{i:03d}",
                "model": f"Model {i}",
                "publication_date": day,
                "publication_year_fraction": x,
                "training_compute_flop": flop,
                "parameters": params,
                "training_tokens": 20 * params,
                "training_cost_usd": flop / 1e17,
                "training_power_w": flop / 1e17,
                "is_frontier": i % 3 == 0 or x > 2022,
            }
        )
    named = [  # the runs the charts label by name
        ("gpt4", "GPT-4 (Mar 2023)", dt.date(2023, 3, 15), 2.1e25, 5.4e12),
        ("llama", "Llama 3.1-405B", dt.date(2024, 7, 23), 3.8e25, 1.56e13),
        ("evil", EVIL_MODEL, dt.date(2025, 7, 9), 3e27, None),
    ]
    for model_id, model, day, flop, tokens in named:
        rows.append(
            {
                "model_id": model_id,
                "model": model,
                "publication_date": day,
                "publication_year_fraction": _year_fraction(day),
                "training_compute_flop": flop,
                "parameters": math.sqrt(flop / 120),
                "training_tokens": tokens,
                "training_cost_usd": flop / 5e17,
                "training_power_w": flop / 1e18,
                "is_frontier": True,
            }
        )
    return pl.DataFrame(rows)


def _fit(
    metric: str, population: str, start: dt.date, end: dt.date, growth: float, log10_at_2020: float, n: int
) -> dict:
    slope = math.log10(growth)
    return {
        "metric": metric,
        "population": population,
        "unit": "FLOP",
        "start_date": start,
        "end_date": end,
        "n": n,
        "slope_oom_per_year": slope,
        "slope_se": 0.02,
        "intercept_log10": log10_at_2020 - slope * 2020,
        "growth_per_year": growth,
        "growth_per_year_low": growth * 0.95,
        "growth_per_year_high": growth * 1.05,
        "growth_per_year_boot_low": growth * 0.94,
        "growth_per_year_boot_high": growth * 1.06,
        "doubling_time_months": 12 * math.log10(2) / slope,
        "r2": 0.9,
        "method": "ols_log10_on_year",
        "break_year": None,
        "as_of": dt.date(2026, 7, 15),
    }


def _fits() -> pl.DataFrame:
    return pl.DataFrame(
        [
            _fit("training_compute_flop", "frontier", dt.date(2010, 1, 1), dt.date(2026, 7, 15), 4.5, 24.0, 40),
            _fit(
                "training_compute_flop", "notable_since_2010", dt.date(2010, 1, 1), dt.date(2026, 7, 15), 4.0, 23.0, 90
            ),
            _fit(
                "training_compute_flop",
                "notable_before_2010",
                dt.date(1990, 1, 1),
                dt.date(2009, 12, 31),
                1.5,
                20.0,
                20,
            ),
        ]
    )


PROJECTED = (  # (subject, metric, method, unit, value in 2030)
    ("largest_run", "training_compute_flop", "trend", "FLOP", 3e29),
    ("largest_run", "training_cost_usd", "trend", "USD (2023)", 1.7e10),
    ("largest_run", "training_tokens", "compute_optimal", "tokens", 1e15),
    ("largest_run", "training_power_gw", "from_compute", "GW", 11.0),
    ("largest_run", "training_power_gw", "power_draw_trend", "GW", 2.2),
    ("largest_cluster", "cluster_power_gw", "trend", "GW", 12.0),
    ("largest_cluster", "cluster_hardware_cost_usd", "trend", "USD", 1.9e11),
)


def _projections() -> pl.DataFrame:
    rows = []
    for subject, metric, method, unit, value in PROJECTED:
        for year in YEARS:
            central = value * 3.0 ** (year - 2030)
            for scenario, factor in (("low", 0.6), ("central", 1.0), ("high", 1.7)):
                rows.append(
                    {
                        "year": year,
                        "subject": subject,
                        "metric": metric,
                        "method": method,
                        "scenario": scenario,
                        "value": central * factor,
                        "unit": unit,
                        "basis": "synthetic",
                    }
                )
    return pl.DataFrame(rows)


def _constraints() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "year": 2030,
                "roadblock": "energy",
                "subject": "largest_cluster",
                "metric": "cluster_power_gw",
                "method": "trend",
                "scenario": "central",
                "projected_value": 12.0,
                "unit": "GW",
                "reference": "largest_us_power_station",
                "reference_value": 6.8,
                "ratio": 12 / 6.8,
                "binds": True,
                "n_countries_exceeded": 9,
                "largest_country_exceeded": "Middleland",
            },
            {
                "year": 2030,
                "roadblock": "data",
                "subject": "largest_run",
                "metric": "training_tokens",
                "method": "compute_optimal",
                "scenario": "central",
                "projected_value": 1e15,
                "unit": "tokens",
                "reference": "public_text_stock",
                "reference_value": 3e14,
                "ratio": 1e15 / 3e14,
                "binds": True,
                "n_countries_exceeded": None,
                "largest_country_exceeded": None,
            },
        ]
    )


def _roadblocks() -> pl.DataFrame:
    def row(roadblock, subject, metric, method, reference, value, unit, central, earliest, latest):
        return {
            "roadblock": roadblock,
            "subject": subject,
            "metric": metric,
            "method": method,
            "reference": reference,
            "reference_value": value,
            "unit": unit,
            "first_year_central": central,
            "first_year_earliest": earliest,
            "first_year_latest": latest,
            "binds_before_horizon": central is not None,
            "horizon_year": 2031,
            "summary": "synthetic",
        }

    return pl.DataFrame(
        [
            row(
                "money",
                "largest_run",
                "training_cost_usd",
                "trend",
                "largest_company_capex",
                1e11,
                "USD",
                None,
                None,
                None,
            ),
            row(
                "energy",
                "largest_cluster",
                "cluster_power_gw",
                "trend",
                "largest_us_power_station",
                6.8,
                "GW",
                2031,
                2030,
                None,
            ),
            row(
                "data",
                "largest_run",
                "training_tokens",
                "compute_optimal",
                "public_text_stock",
                3e14,
                "tokens",
                2030,
                2029,
                2031,
            ),
        ]
    )


def _countries() -> pl.DataFrame:
    powers = [0.01, 0.05, 0.2, 0.8, 1.5, 3.0, 6.0, 9.0, 15.0, 40.0, 120.0, 1100.0]
    return pl.DataFrame(
        [
            {
                "country_or_region": f"Country {i:02d}" if i != 8 else "Middleland",
                "country_code": f"C{i:02d}",
                "continent": "Somewhere",
                "year": 2024,
                "demand_twh": p * 8.76,
                "average_power_gw": p,
                "source_version": "2025-05-21",
            }
            for i, p in enumerate(powers)
        ]
    )


def _claims() -> pl.DataFrame:
    def claim(claim_id, statement, year, value, unit, data, interval, evidence="synthetic evidence"):
        return {
            "claim_id": claim_id,
            "statement": statement,
            "year": year,
            "quantity": "q",
            "subject": "s",
            "claimed_value": value,
            "unit": unit,
            "data_value": data,
            "data_low": data / 3,
            "data_high": data * 3,
            "uncertainty": "confidence_label (Likely)",
            "basis": "observed",
            "evidence": evidence,
            "ratio_claim_to_data": value / data,
            "verdict": verdict(value, data),
            "interval_verdict": interval,
        }

    return pl.DataFrame(
        [
            claim("growth_rate", "compute grows x10 every 2 years", None, 10**0.5, "x/year", 4.5, "below"),
            claim(
                "gpt4_compute",
                "GPT-4 training compute",
                2022,
                1e26,
                "FLOP",
                2.1e25,
                "inside",
                evidence=f"{EVIL_MODEL} (2023-03-15)",
            ),
            claim("gpt4_cost", "GPT-4 training cost", 2022, 1e8, "USD", 3.7e7, "inside"),
            claim("frontier_2024_compute", "frontier runs in 2024", 2024, 1e27, "FLOP", 3.8e25, "above"),
            claim("frontier_2024_cost", "frontier run cost in 2024", 2024, 1e9, "USD", 5.3e7, "above"),
            claim("cluster_2026_power", "clusters need 1 GW", 2026, 1.0, "GW", 0.36, "inside"),
            claim("cluster_2028_power", "clusters need 10 GW", 2028, 10.0, "GW", 2.1, "above"),
            claim("cluster_2028_cost", "cluster price", 2028, 1e11, "USD", 3.7e10, "inside"),
            claim("llama31_tokens", "Llama-3.1 training data", 2024, 1.5e13, "tokens", 1.56e13, "inside"),
        ]
    )


def _assumptions() -> pl.DataFrame:
    def item(name, value, unit, low=None, high=None):
        return {
            "name": name,
            "value": value,
            "low": low,
            "high": high,
            "unit": unit,
            "description": f"{name}.",
            "citation": f"Citation for {name}.",
            "is_overridden": False,
        }

    return pl.DataFrame(
        [
            item("data_stock_tokens", 3e14, "tokens", 1e14, 1e15),
            item("post_internet_tokens", 6e13, "tokens"),
            item("nuclear_reactor_gw", 1.0, "GW"),
            item("largest_us_power_station_gw", 6.8, "GW"),
            item("money_binding_usd", 1e11, "USD"),
            item("money_reference_1b_usd", 1e9, "USD"),
            item("money_reference_10b_usd", 1e10, "USD"),
        ]
    )


SOURCES = {
    "epoch_notable_models": {
        "version": "2026-07-19",
        "license": "CC BY 4.0",
        "citation": "Epoch AI, 'Data on AI Models'. Published online at epoch.ai.",
    },
    "ember_country_electricity": {
        "version": "2025-05-21",
        "license": "CC BY 4.0",
        "citation": "Ember (2025), Yearly Electricity Data.",
    },
}


def synthetic_report_data() -> ReportData:
    return ReportData(
        runs=_runs(),
        fits=_fits(),
        projections=_projections(),
        constraints=_constraints(),
        roadblocks=_roadblocks(),
        countries=_countries(),
        claims=_claims(),
        assumptions=_assumptions(),
        as_of=dt.date(2026, 7, 15),
        sources=SOURCES,
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("report")
    paths = render_report(synthetic_report_data(), out_dir)
    return paths, paths["index"].read_text(encoding="utf-8")


def test_writes_index_and_one_valid_png_per_chart(rendered):
    paths, _ = rendered
    assert set(paths) == {"index", *CHARTS}
    assert paths["index"].name == "index.html"
    for name in CHARTS:
        png = paths[name].read_bytes()
        assert paths[name].name == f"{name}.png"
        assert png.startswith(PNG_MAGIC), name
        assert len(png) > 5_000, f"{name}.png is only {len(png)} bytes: an empty chart?"


def test_every_chart_is_embedded_as_a_data_uri_with_alt_text(rendered):
    paths, page = rendered
    images = re.findall(r"<img\b[^>]*>", page)
    assert sum('src="data:image/png;base64,' in tag for tag in images) == len(CHARTS) == len(images)
    for name in CHARTS:
        tag = next(t for t in images if f'id="chart-{name}"' in t)
        assert re.search(r'alt="[^"]{20,}"', tag), f"{name} has no useful alt text"
        encoded = re.search(r'src="data:image/png;base64,([^"]+)"', tag).group(1)
        assert base64.b64decode(encoded) == paths[name].read_bytes()


def _outside_scripts(page: str) -> str:
    """The page without the contents of its inline scripts (plotly.js and the figures' data)."""
    return re.sub(r"(<script>).*?(</script>)", r"\1\2", page, flags=re.DOTALL)


def test_page_needs_no_network(rendered):
    _, page = rendered
    scripts = re.findall(r"<script\b[^>]*>", page)
    # plotly.js inlined once, then one inline script per interactive chart; nothing loaded from anywhere.
    assert all(tag == "<script>" for tag in scripts), scripts
    assert page.count("plotly.js v") >= 1 and page.count("<script>/**\n* plotly.js v") == 1
    assert len(scripts) == 1 + len(INTERACTIVE_CHARTS)
    markup = _outside_scripts(page)
    assert not re.search(
        r"<(?:img|script|link|iframe|source|video|audio|embed|object)\b[^>]*\b(?:src|href|data)\s*=\s*[\"']?\s*(?:https?:)?//",
        markup,
        re.IGNORECASE,
    )
    assert not re.search(r"url\(\s*[\"']?\s*(?:https?:)?//", markup, re.IGNORECASE)
    assert "@import" not in markup and "<link" not in markup.lower()


def test_every_chart_is_interactive_with_its_png_as_the_no_javascript_fallback(rendered):
    _, page = rendered
    for name in INTERACTIVE_CHARTS:
        figure = re.search(rf'<figure id="figure-{name}">(.*?)</figure>', page, re.DOTALL).group(1)
        assert f'<div id="plot-{name}" class="plotly-graph-div"' in figure, name
        assert re.search(rf'Plotly\.newPlot\(\s*"plot-{name}"', figure), name
        if name in CHARTS:
            assert re.search(rf'<noscript><img id="chart-{name}" src="data:image/png;base64,', figure), name


def test_text_from_the_data_is_escaped(rendered):
    _, page = rendered
    escaped = "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; Megatron"  # markupsafe's escaping
    # The synthetic largest run (named in the headline) and a claim's evidence carry a script tag:
    # both must appear, harmlessly.
    headline = re.search(r'<section id="headline">(.*?)</section>', page, re.DOTALL).group(1)
    claims = re.search(r'<table id="seed-claims">(.*?)</table>', page, re.DOTALL).group(1)
    assert escaped in headline and escaped in claims
    assert "<script>alert" not in page and "alert('pwned')" not in page


def test_credits_epoch_ai_and_ember_with_licence_and_versions(rendered):
    _, page = rendered
    attribution = re.search(r'<p id="attribution">(.*?)</p>', page, re.DOTALL).group(1)
    assert "Epoch AI" in attribution and "Ember" in attribution and "CC BY 4.0" in attribution
    assert "2026-07-19" in page and "2025-05-21" in page
    assert "2026-07-15" in page  # the as-of date


def test_headline_answers_the_question(rendered):
    _, page = rendered
    headline = re.search(r'<section id="headline">(.*?)</section>', page, re.DOTALL).group(1)
    # Growth and doubling time of the frontier fit (4.5x/yr doubles in 12 log10(2)/log10(4.5) = 5.5 months).
    assert "4.5×/yr" in headline and "5.5 months" in headline and "4.2–4.8×" in headline
    # 2030 projections, readable.
    assert "3e29 FLOP" in headline and "$17B (2023 dollars)" in headline and "12 GW" in headline
    assert "1,000T tokens" in headline
    # Countries matched by power, and the roadblock order, including one that never binds.
    assert "9 of 12 countries" in headline and "Middleland" in headline
    assert "<strong>Data</strong> binds first" in headline
    assert "not before 2031" in headline


def test_tables_are_sorted_and_verdicts_coloured(rendered):
    _, page = rendered
    fits = re.search(r'<table id="trend-fits">(.*?)</table>', page, re.DOTALL).group(1)
    populations = re.findall(r"<code>(frontier|notable_before_2010|notable_since_2010)</code>", fits)
    assert populations == sorted(populations)
    claims = re.search(r'<table id="seed-claims">(.*?)</table>', page, re.DOTALL).group(1)
    assert re.search(r'class="verdict" style="background:#b3261e">overstated ×4.8<', claims)
    assert re.search(r'class="verdict" style="background:#1b7f3b">about right \(×0.96\)<', claims)
    assert re.search(r'class="verdict" style="background:#b3261e">above<', claims)
    assert re.search(r'class="verdict" style="background:#1b7f3b">inside<', claims)
    names = re.findall(
        r"<tr><td><code>([a-z0-9_]+)</code>",
        re.search(r'<table id="assumptions">(.*?)</table>', page, re.DOTALL).group(1),
    )
    assert names == sorted(names) and "data_stock_tokens" in names


def test_rendering_twice_gives_identical_bytes(rendered, tmp_path):
    paths, _ = rendered
    again = render_report(synthetic_report_data(), tmp_path)
    assert again["index"].read_bytes() == paths["index"].read_bytes()
    for name in CHARTS:
        assert again[name].read_bytes() == paths[name].read_bytes(), name


def test_row_order_of_the_input_does_not_change_the_report(rendered, tmp_path):
    paths, _ = rendered
    data = synthetic_report_data()
    shuffled = ReportData(
        **{
            field: (
                getattr(data, field).reverse()
                if isinstance(getattr(data, field), pl.DataFrame)
                else getattr(data, field)
            )
            for field in data.__dataclass_fields__
        }
    )
    assert render_report(shuffled, tmp_path)["index"].read_bytes() == paths["index"].read_bytes()


def test_a_build_without_projections_still_renders(tmp_path):
    data = synthetic_report_data()
    empty = ReportData(
        **{
            **{f: getattr(data, f) for f in data.__dataclass_fields__},
            "projections": data.projections.clear(),
            "constraints": data.constraints.clear(),
            "roadblocks": data.roadblocks.clear(),
        }
    )
    paths = render_report(empty, tmp_path)
    for name in CHARTS:
        assert paths[name].read_bytes().startswith(PNG_MAGIC)
    assert "No roadblock was evaluated" in paths["index"].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3.14e26, "3.1e26"),
        (1e26, "1e26"),
        (4.813, "4.8"),
        (0.3647, "0.36"),
        (1148.0, "1,100"),
        (12.0, "12"),
        (0.4, "0.4"),
        (9.96, "10"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_numbers_are_formatted_for_readers(value, expected):
    assert fmt_number(value) == expected


def test_quantities_carry_their_unit_once():
    assert fmt_usd(1.83e8) == "$180M"
    assert fmt_quantity(1.722e10, "USD (2023)") == "$17B (2023 dollars)"
    assert fmt_quantity(1.0095e15, "tokens") == "1,000T tokens"
    assert fmt_quantity(4.81, "x/year") == "4.8×/yr"
    assert fmt_range(1.84e29, 4.97e29, "FLOP") == "1.8e29–5e29 FLOP"
    assert fmt_range(6.5e9, 4.1e10, "USD (2023)") == "$6.5B–$41B (2023 dollars)"
