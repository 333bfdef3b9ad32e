"""Log-linear trend fits, bootstrap, t quantiles and break search on synthetic data (pipelines.lib.fitting)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.lib.fitting import find_break, fit_log_linear, t_quantile


def noisy_series(rng: np.random.Generator, *, n: int = 200, slope: float = 0.6, sd: float = 0.3):
    """Values growing `slope` OOM per year from 1e18 at 2010, with log-normal scatter of `sd` OOM."""
    x = np.sort(rng.uniform(2000.0, 2025.0, n))
    log10 = 18.0 + slope * (x - 2010.0) + rng.normal(0.0, sd, n)
    return x, 10.0**log10


# --- exact answers ------------------------------------------------------------------------------


def test_noiseless_growth_and_doubling_time():
    x = np.linspace(2012.0, 2024.5, 40)
    values = 3e17 * 4.5 ** (x - 2012.0)
    fit = fit_log_linear(x, values, resamples=200)
    assert fit.growth() == pytest.approx(4.5, rel=1e-9)
    assert fit.doubling_time_months() == pytest.approx(12 * math.log10(2) / math.log10(4.5), rel=1e-9)
    assert fit.r2 == 1.0
    assert fit.n == 40


def test_doubling_time_of_flat_and_shrinking_trends():
    fit = fit_log_linear([2000.0, 2001.0, 2002.0], [1.0, 2.0, 4.0], resamples=0)
    assert fit.doubling_time_months(0.0) == math.inf
    assert math.isnan(fit.doubling_time_months(-0.1))
    assert fit.doubling_time_months() == pytest.approx(12.0)


def test_predict_reproduces_the_line():
    x = np.linspace(1990.0, 2024.0, 35)
    log10 = 10.0 + 0.55 * (x - 1990.0)
    fit = fit_log_linear(x, 10.0**log10, resamples=300)
    np.testing.assert_allclose(fit.predict_log10(x), log10, rtol=1e-12, atol=1e-11)
    np.testing.assert_allclose(fit.intercept + fit.slope * x, log10, rtol=1e-12, atol=1e-9)


# --- intervals ----------------------------------------------------------------------------------


def test_noisy_intervals_contain_the_true_slope():
    x, values = noisy_series(np.random.default_rng(11), n=200, slope=0.6, sd=0.3)
    fit = fit_log_linear(x, values, resamples=2000, seed=1)
    assert fit.slope_low < 0.6 < fit.slope_high
    assert fit.boot_slope_low < 0.6 < fit.boot_slope_high
    assert fit.boot_slopes.shape == fit.boot_intercepts.shape == (2000,)
    # the two ways of measuring slope uncertainty agree when the model is right
    boot_width = fit.boot_slope_high - fit.boot_slope_low
    assert boot_width == pytest.approx(fit.slope_high - fit.slope_low, rel=0.2)
    assert fit.residual_sd == pytest.approx(0.3, rel=0.15)


def test_standard_error_interval_covers_the_true_slope_about_90_percent():
    rng = np.random.default_rng(2024)
    covered = []
    for i in range(200):
        x, values = noisy_series(rng, n=200, slope=0.6, sd=0.3)
        fit = fit_log_linear(x, values, resamples=500, seed=i)
        covered.append(fit.slope_low < 0.6 < fit.slope_high)
    assert 0.84 <= np.mean(covered) <= 0.95


# --- bootstrap ----------------------------------------------------------------------------------


def test_bootstrap_is_reproducible_by_seed():
    x, values = noisy_series(np.random.default_rng(5), n=80)
    a = fit_log_linear(x, values, resamples=300, seed=7)
    b = fit_log_linear(x, values, resamples=300, seed=7)
    c = fit_log_linear(x, values, resamples=300, seed=8)
    np.testing.assert_array_equal(a.boot_slopes, b.boot_slopes)
    np.testing.assert_array_equal(a.boot_intercepts, b.boot_intercepts)
    assert not np.array_equal(a.boot_slopes, c.boot_slopes)
    assert not np.array_equal(a.boot_intercepts, c.boot_intercepts)


def test_ten_thousand_resamples():
    x, values = noisy_series(np.random.default_rng(9), n=500)
    fit = fit_log_linear(x, values, resamples=10_000)
    assert fit.boot_slopes.shape == (10_000,)
    assert np.all(np.isfinite(fit.boot_slopes)) and np.all(np.isfinite(fit.boot_intercepts))
    assert fit.boot_slope_low < fit.slope < fit.boot_slope_high


def test_without_resamples_the_bootstrap_is_empty():
    x, values = noisy_series(np.random.default_rng(1), n=30)
    fit = fit_log_linear(x, values, resamples=0)
    assert fit.boot_slopes.shape == fit.boot_intercepts.shape == (0,)
    assert math.isnan(fit.boot_slope_low) and math.isnan(fit.boot_slope_high)


def test_resamples_with_constant_x_are_dropped():
    # with 3 points, 3 of the 27 equally likely resamples repeat a single point
    fit = fit_log_linear([2000.0, 2001.0, 2003.0], [1.0, 3.0, 50.0], resamples=2000)
    assert 0 < fit.boot_slopes.size < 2000
    assert fit.boot_slopes.size == fit.boot_intercepts.size
    assert np.all(np.isfinite(fit.boot_slopes))


# --- break search ---------------------------------------------------------------------------


def test_find_break_locates_a_planted_break():
    rng = np.random.default_rng(42)
    x = np.sort(rng.uniform(1960.0, 2025.0, 400))
    log10 = 12.0 + np.where(x < 2010.0, 0.2 * (x - 2010.0), 0.6 * (x - 2010.0)) + rng.normal(0.0, 0.1, x.size)
    result = find_break(x, 10.0**log10)
    assert abs(result.break_year - 2010.0) <= 1.0
    assert result.before.slope == pytest.approx(0.2, abs=0.05)
    assert result.after.slope == pytest.approx(0.6, abs=0.05)
    assert result.before.n + result.after.n == x.size
    assert result.candidates.shape == result.sse_by_candidate.shape
    assert result.sse == result.sse_by_candidate.min()
    # the vectorized SSE agrees with refitting the two segments
    refit_sse = sum(f.residual_sd**2 * (f.n - 2) for f in (result.before, result.after))
    assert result.sse == pytest.approx(refit_sse, rel=1e-8)
    assert result.before.boot_slopes.size == 0


def test_find_break_sse_of_every_candidate_equals_two_separate_fits():
    # The prefix sums are only kept at the candidates' cuts: every candidate's SSE (inf where a side
    # is too short, candidates before the first and after the last point included) must match
    # fitting the two segments directly, for unsorted x with repeated years.
    rng = np.random.default_rng(3)
    x = np.round(rng.uniform(1990.0, 2025.0, 300) * 4) / 4
    values = 10.0 ** (10.0 + 0.3 * (x - 1990.0) + rng.normal(0.0, 0.5, x.size))
    candidates = np.array([1980.0, 1991.0, 1995.5, 2000.0, 2004.25, 2010.0, 2017.0, 2024.9, 2030.0])
    result = find_break(x, values, candidates=candidates, min_points=10)
    y = np.log10(values)
    for candidate, sse in zip(result.candidates, result.sse_by_candidate):
        before, after = x < candidate, x >= candidate
        if before.sum() < 10 or after.sum() < 10:
            assert sse == np.inf
            continue
        direct = 0.0
        for side in (before, after):
            slope, intercept = np.polyfit(x[side] - 2000.0, y[side], 1)
            direct += float(np.sum((y[side] - intercept - slope * (x[side] - 2000.0)) ** 2))
        assert sse == pytest.approx(direct, rel=1e-7)
    assert np.isinf(result.sse_by_candidate[[0, -1]]).all()


def test_find_break_ties_go_to_the_earliest_candidate():
    x = np.concatenate([np.linspace(2000.0, 2005.0, 12), np.linspace(2010.0, 2015.0, 12)])
    values = 10.0 ** np.where(x < 2007.0, 0.1 * x, 0.5 * x - 800.0)
    result = find_break(x, values, candidates=[2008.0, 2006.0, 2007.0], min_points=5, resamples=100)
    assert result.break_year == 2006.0  # all three split the data identically
    assert result.after.boot_slopes.size == 100


# --- input errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, values, message",
    [
        ([2000.0, 2001.0], [1.0, 2.0], "at least 3 points"),
        ([2000.0, 2001.0, 2002.0], [1.0, 0.0, 2.0], "positive and finite"),
        ([2000.0, 2001.0, 2002.0], [1.0, -5.0, 2.0], "positive and finite"),
        ([2000.0, 2001.0, 2002.0], [1.0, np.nan, 2.0], "positive and finite"),
        ([2000.0, 2001.0, 2002.0], [1.0, np.inf, 2.0], "positive and finite"),
        ([2005.0, 2005.0, 2005.0], [1.0, 2.0, 3.0], "zero variance in x"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(x, values, message):
    with pytest.raises(ValueError, match=message):
        fit_log_linear(x, values)


# --- Student t quantile -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "p, dof, expected",
    [
        (0.95, 1, 6.313752),
        (0.95, 5, 2.015048),
        (0.95, 30, 1.697261),
        (0.95, 1000, 1.646379),
        (0.975, 10, 2.228139),
        (0.995, 3, 5.840909),
    ],
)
def test_t_quantile_reference_values(p, dof, expected):
    assert t_quantile(p, dof) == pytest.approx(expected, abs=1e-6)
    assert t_quantile(1.0 - p, dof) == pytest.approx(-expected, abs=1e-6)


def test_t_quantile_closed_forms():
    for p in (0.6, 0.9, 0.99, 0.9999):
        assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-10)  # Cauchy
        assert t_quantile(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-10)
    assert t_quantile(0.5, 7) == 0.0
    assert t_quantile(0.95, 10**6) == pytest.approx(1.644854, abs=1e-5)  # tends to the normal


def test_t_quantile_refuses_bad_arguments():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        t_quantile(1.0, 5)
    with pytest.raises(ValueError, match="dof must be positive"):
        t_quantile(0.9, 0)


# --- bag of little bootstraps (large n) ------------------------------------------------------


def heteroscedastic_series(rng: np.random.Generator, n: int):
    """Scatter that widens over time and has heavy tails: where the pairs bootstrap earns its keep."""
    x = rng.uniform(2010.0, 2026.0, n)
    log10 = 15.0 + 0.6 * (x - 2010.0) + rng.standard_t(3, n) * (0.3 + 0.1 * (x - 2010.0))
    return x, 10.0**log10


def test_small_fits_use_the_pairs_bootstrap_and_large_ones_the_little_bootstraps():
    import pipelines.lib.fitting as fitting

    x, values = heteroscedastic_series(np.random.default_rng(2), fitting.LITTLE_BOOTSTRAPS_MIN_ROWS)
    large = fit_log_linear(x, values, resamples=500, seed=1)
    small = fit_log_linear(x[:-1], values[:-1], resamples=50, seed=1)
    assert (large.bootstrap, small.bootstrap) == ("bag_of_little_bootstraps", "pairs")
    assert large.boot_slopes.shape == large.boot_intercepts.shape == (500,)
    again = fit_log_linear(x, values, resamples=500, seed=1)
    np.testing.assert_array_equal(large.boot_slopes, again.boot_slopes)
    np.testing.assert_array_equal(large.boot_intercepts, again.boot_intercepts)
    assert not np.array_equal(large.boot_slopes, fit_log_linear(x, values, resamples=500, seed=2).boot_slopes)


def test_little_bootstraps_agree_with_the_pairs_bootstrap(monkeypatch):
    """Same data, both methods: the 90% slope interval and the band of lines 4 years past the data
    agree to within a tenth of the pairs interval's width, and the lines centre on the full fit."""
    import pipelines.lib.fitting as fitting

    x, values = heteroscedastic_series(np.random.default_rng(4), 40_000)
    monkeypatch.setattr(fitting, "LITTLE_BOOTSTRAPS_MIN_ROWS", 10**12)
    pairs = fit_log_linear(x, values, resamples=2000, seed=5)
    monkeypatch.setattr(fitting, "LITTLE_BOOTSTRAPS_MIN_ROWS", 1000)
    little = fit_log_linear(x, values, resamples=2000, seed=5)
    assert (pairs.bootstrap, little.bootstrap) == ("pairs", "bag_of_little_bootstraps")
    assert little.slope == pairs.slope
    width = pairs.boot_slope_high - pairs.boot_slope_low
    assert abs(little.boot_slope_low - pairs.boot_slope_low) < 0.1 * width
    assert abs(little.boot_slope_high - pairs.boot_slope_high) < 0.1 * width
    assert abs(np.median(little.boot_slopes) - little.slope) < 0.1 * width
    p_low, p_high = np.percentile(pairs.boot_intercepts + pairs.boot_slopes * 2030.0, [5.0, 95.0])
    l_low, l_high = np.percentile(little.boot_intercepts + little.boot_slopes * 2030.0, [5.0, 95.0])
    band = p_high - p_low
    assert abs(l_low - p_low) < 0.1 * band and abs(l_high - p_high) < 0.1 * band
    # and the interval is not a degenerate one: it is close to the heteroscedasticity-blind t interval
    # only in order of magnitude (the scatter widens over time, so the two differ)
    assert 0.3 < width / (pairs.slope_high - pairs.slope_low) < 3
