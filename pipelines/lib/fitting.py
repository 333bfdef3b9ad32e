"""Exponential trend fits: ordinary least squares of log10(value) on the fractional year.

The slope b is in orders of magnitude (OOM) per year, so growth per year is 10**b and the
doubling time is 12 * log10(2) / b months. Numpy only, no scipy. Every bootstrap and
break search is vectorized; there is no Python loop over resamples or candidates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipelines.lib.settings import DEFAULTS

_LOG10_2 = math.log10(2.0)


@dataclass(frozen=True, eq=False)  # eq=False: comparing the array fields with == is ambiguous
class Fit:
    n: int
    x_mean: float
    y_mean: float
    slope: float  # OOM per year
    intercept: float  # y = intercept + slope * x
    slope_se: float  # standard error of the slope (OLS, n-2 dof)
    r2: float
    residual_sd: float
    slope_low: float  # `level` interval from slope_se with the Student t quantile (n-2 dof)
    slope_high: float
    boot_slopes: np.ndarray  # pairs-bootstrap slopes; resamples with constant x are dropped
    boot_intercepts: np.ndarray
    boot_slope_low: float  # lower / upper percentiles of boot_slopes (nan without bootstrap)
    boot_slope_high: float
    bootstrap: str = "pairs"  # "pairs", or "bag_of_little_bootstraps" from LITTLE_BOOTSTRAPS_MIN_ROWS points on

    def growth(self, slope: float | None = None) -> float:
        """Multiplicative growth per year: 10**slope."""
        return float(10.0 ** (self.slope if slope is None else slope))

    def doubling_time_months(self, slope: float | None = None) -> float:
        """Months to double; inf for a flat trend (never doubles), nan for a shrinking one."""
        b = self.slope if slope is None else slope
        if not b > 0:
            return math.inf if b == 0 else math.nan
        return 12.0 * _LOG10_2 / b

    def predict_log10(self, x) -> np.ndarray:
        """log10 of the fitted line at x (years)."""
        # Evaluated around x_mean: intercept alone is ~-1000 for years near 2000, and adding
        # slope * 2000 back to it would lose digits for nothing.
        return self.y_mean + self.slope * (np.asarray(x, dtype=float) - self.x_mean)


def _validated(x, values) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float).ravel()
    v = np.asarray(values, dtype=float).ravel()
    if x.shape != v.shape:
        raise ValueError(f"x and values differ in length ({x.size} vs {v.size})")
    if x.size < 3:
        raise ValueError(f"need at least 3 points to fit a trend with an uncertainty, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains non-finite years")
    bad = ~(np.isfinite(v) & (v > 0))
    if bad.any():
        raise ValueError(f"values must be positive and finite for log10; {bad.sum()} are not, first: {v[bad][0]!r}")
    if np.ptp(x) == 0:
        raise ValueError(f"all x are equal ({x[0]!r}): zero variance in x, the slope is undefined")
    return x, np.log10(v)


BOOTSTRAP_BLOCK_CELLS = 1 << 22  # draws per block of resamples: ~100 MB of working arrays
# From this many points on, the bag of little bootstraps replaces the pairs bootstrap (the real
# data's largest fit has about a thousand points, so published fits use the pairs bootstrap).
LITTLE_BOOTSTRAPS_MIN_ROWS = 100_000
LITTLE_BOOTSTRAP_EXPONENT = 0.6  # subset size b = n**0.6: Kleiner et al. find 0.6-0.7 enough for regression
LITTLE_BOOTSTRAP_SUBSETS = 20


def fit_log_linear(
    x, values, *, resamples: int = DEFAULTS.bootstrap_resamples, seed: int = 0, level: float = 0.90
) -> Fit:
    """OLS of log10(values) on x (fractional years), with a `level` t interval and a pairs bootstrap."""
    if resamples < 0 or not 0.0 < level < 1.0:
        raise ValueError(f"need resamples >= 0 and 0 < level < 1, got {resamples!r} and {level!r}")
    x, y = _validated(x, values)
    n = x.size
    x_mean, y_mean = float(x.mean()), float(y.mean())
    dx, dy = x - x_mean, y - y_mean
    sxx, syy = float(dx @ dx), float(dy @ dy)
    slope = float(dx @ dy) / sxx
    sse = float(np.sum((dy - slope * dx) ** 2))  # from residuals, not syy - slope*sxy: exact near a perfect fit
    residual_sd = math.sqrt(sse / (n - 2))
    slope_se = residual_sd / math.sqrt(sxx)
    half = t_quantile(0.5 + level / 2.0, n - 2) * slope_se

    # Pairs bootstrap (resample (x, y) rows together) rather than residual bootstrap: it makes no
    # assumption that the scatter is the same in every era, which it is not for compute data.
    rng = np.random.default_rng(seed)
    if n >= LITTLE_BOOTSTRAPS_MIN_ROWS and resamples > 0:
        boot_slopes, boot_intercepts = _little_bootstraps(dx, dy, x_mean, y_mean, slope, resamples, rng)
        bootstrap = "bag_of_little_bootstraps"
    else:
        boot_slopes, boot_intercepts = _pairs_bootstrap(dx, dy, x_mean, y_mean, sxx, resamples, rng)
        bootstrap = "pairs"
    tail = 100.0 * (1.0 - level) / 2.0
    boot_low, boot_high = np.percentile(boot_slopes, [tail, 100.0 - tail]) if boot_slopes.size else (np.nan, np.nan)
    boot_slopes.setflags(write=False)
    boot_intercepts.setflags(write=False)

    return Fit(
        n=n,
        x_mean=x_mean,
        y_mean=y_mean,
        slope=slope,
        intercept=y_mean - slope * x_mean,
        slope_se=slope_se,
        r2=1.0 - sse / syy if syy > 0 else math.nan,
        residual_sd=residual_sd,
        slope_low=slope - half,
        slope_high=slope + half,
        boot_slopes=boot_slopes,
        boot_intercepts=boot_intercepts,
        boot_slope_low=float(boot_low),
        boot_slope_high=float(boot_high),
        bootstrap=bootstrap,
    )


def _pairs_bootstrap(dx, dy, x_mean, y_mean, sxx, resamples, rng) -> tuple[np.ndarray, np.ndarray]:
    """Slopes and intercepts of `resamples` pairs-bootstrap lines (dx, dy: data centred on its means)."""
    n = dx.size
    b_sxx, b_sxy = np.empty(resamples), np.empty(resamples)
    xb_mean, yb_mean = np.empty(resamples), np.empty(resamples)
    # Resamples in blocks of about BOOTSTRAP_BLOCK_CELLS draws: memory stays flat (all at once is
    # 32 bytes x resamples x n), and the draws are the same numbers either way (one stream, in order).
    block = max(1, BOOTSTRAP_BLOCK_CELLS // n)
    for start in range(0, resamples, block):
        rows = slice(start, min(start + block, resamples))
        idx = rng.integers(0, n, size=(rows.stop - rows.start, n))
        xb, yb = dx[idx], dy[idx]  # centred data: the sums below then lose no digits to year ~2000
        xb_mean[rows], yb_mean[rows] = xb.mean(axis=1), yb.mean(axis=1)
        xb -= xb_mean[rows][:, None]
        b_sxx[rows] = np.einsum("ij,ij->i", xb, xb)
        b_sxy[rows] = np.einsum("ij,ij->i", xb, yb)
    # A resample that drew a single distinct x (only likely for tiny n) has no slope: drop it,
    # so boot_slopes can hold fewer than `resamples` values.
    ok = b_sxx > 1e-12 * sxx
    boot_slopes = b_sxy[ok] / b_sxx[ok]
    return boot_slopes, (y_mean + yb_mean[ok]) - boot_slopes * (x_mean + xb_mean[ok])


def _little_bootstraps(dx, dy, x_mean, y_mean, slope, resamples, rng) -> tuple[np.ndarray, np.ndarray]:
    """The bag of little bootstraps (Kleiner, Talwalkar, Sarkar & Jordan 2014, JRSS B 76:795) for
    large n, where the pairs bootstrap costs resamples x n random gathers (1.2 billion for one fit
    of 6M rows at 200 resamples).

    LITTLE_BOOTSTRAP_SUBSETS disjoint random subsets of b = n**LITTLE_BOOTSTRAP_EXPONENT rows; each
    resample of a subset is a multinomial draw of n rows from its b (the weights count how often
    each row is drawn), so a resample costs O(b), not O(n). Each resampled line is kept as its
    deviation from its own subset's line (slope and level at the mean year) added to the full-data
    line: the pooled lines then spread like the full-data bootstrap lines (the spread of a
    size-n resample around its subset's fit is the bootstrap's spread at size n) and are centred on
    the full-data fit, so percentiles and bands are read from them as from pairs resamples.
    """
    n = dx.size
    b = max(3, int(round(n**LITTLE_BOOTSTRAP_EXPONENT)))
    subsets = min(LITTLE_BOOTSTRAP_SUBSETS, resamples, n // b)
    chosen = rng.choice(n, size=subsets * b, replace=False).reshape(subsets, b)
    per_subset = np.full(subsets, resamples // subsets)
    per_subset[: resamples % subsets] += 1  # resamples spread over the subsets, the first ones take the rest
    weights_p = np.full(b, 1.0 / b)
    slopes, levels = [], []
    for rows, r in zip(chosen, per_subset):
        xs, ys = dx[rows], dy[rows]
        xs_c, ys_c = xs - xs.mean(), ys - ys.mean()  # centred on the subset: weighted sums keep their digits
        if not float(xs_c @ xs_c) > 0:  # a subset of one year has no slope (like a pairs resample of one x)
            continue
        sub_slope = float(xs_c @ ys_c) / float(xs_c @ xs_c)
        sub_level = float(ys.mean()) - sub_slope * float(xs.mean())  # the subset line at the full mean year
        counts = rng.multinomial(n, weights_p, size=r).astype(float)  # (r, b) draws per row, each row sums to n
        sx, sy = counts @ xs_c / n, counts @ ys_c / n  # resample means (subset-centred)
        vxx = counts @ (xs_c * xs_c) / n - sx * sx
        vxy = counts @ (xs_c * ys_c) / n - sx * sy
        ok = vxx > 1e-12 * float(xs_c @ xs_c) / b
        r_slope = vxy[ok] / vxx[ok]
        r_level = (ys.mean() + sy[ok]) - r_slope * (xs.mean() + sx[ok])
        slopes.append(slope + (r_slope - sub_slope))
        levels.append(r_level - sub_level)
    boot_slopes = np.concatenate(slopes) if slopes else np.empty(0)
    # level at the mean year = y_mean + deviation; the intercept is the line at x = 0
    return boot_slopes, (y_mean + (np.concatenate(levels) if levels else np.empty(0))) - boot_slopes * x_mean


# --- Student t quantile --------------------------------------------------------------------------


def t_quantile(p: float, dof: float) -> float:
    """Quantile of Student's t with `dof` degrees of freedom, for the fits' confidence intervals.

    scipy.special.stdtrit is the function behind scipy.stats.t.ppf (the same values, bit for bit);
    it is imported here, on first use, because Dagster loads this module and importing scipy.special
    costs about 0.3 CPU-s (scipy.stats about 1.5).
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be strictly between 0 and 1, got {p!r}")
    if not dof > 0:
        raise ValueError(f"dof must be positive, got {dof!r}")
    from scipy.special import stdtrit

    return float(stdtrit(dof, p))


# --- Trend breaks -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BreakSearch:
    break_year: float  # first year of the `after` segment (x < break_year is `before`)
    sse: float
    candidates: np.ndarray
    sse_by_candidate: np.ndarray  # inf where a candidate leaves a segment too short
    before: Fit
    after: Fit


def find_break(x, values, *, candidates=None, min_points: int = 10, resamples: int = 0, seed: int = 0) -> BreakSearch:
    """The year where the log-linear trend changes, by least total SSE of two separate OLS segments.

    Segments are fitted independently (the line may jump at the break), so an abrupt change in
    level as well as in slope is found. Ties go to the earliest candidate.
    """
    if min_points < 3:
        raise ValueError(f"min_points must be at least 3 to fit each segment, got {min_points}")
    x, y = _validated(x, values)
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    vs = np.asarray(values, dtype=float).ravel()[order]  # the segment fits take the original values
    n = xs.size
    if n < 2 * min_points:
        raise ValueError(f"need at least {2 * min_points} points for two segments of {min_points}, got {n}")
    if candidates is None:  # every half year with min_points on either side
        start, stop = math.ceil(xs[min_points - 1] * 2) / 2, math.floor(xs[n - min_points] * 2) / 2
        candidates = np.arange(start, stop + 0.25, 0.5)
    candidates = np.sort(np.asarray(candidates, dtype=float).ravel())

    # Prefix sums of centred data give every segment's SSE in O(1) per candidate. Only the sums at
    # the candidates' cuts (and at 0 and n) are kept: one running sum of n values at a time instead
    # of two (n, 6) arrays (480 MB at 5M points); each column's running sum adds in the same order,
    # so the values are the same.
    dx, dy = xs - xs.mean(), ys - ys.mean()
    k = np.searchsorted(xs, candidates, side="left")  # points strictly before each candidate
    cuts = np.concatenate([[0], k, [n]])
    cum = np.zeros((cuts.size, 6))  # cum[j] = sums of the first cuts[j] points: count, dx, dy, dx², dx·dy, dy²
    cum[:, 0] = cuts
    taken = cuts > 0
    for column, terms in enumerate(((dx,), (dy,), (dx, dx), (dx, dy), (dy, dy)), start=1):
        running = np.cumsum(terms[0] if len(terms) == 1 else terms[0] * terms[1])
        cum[taken, column] = running[cuts[taken] - 1]
        del running
    k_rows = np.arange(1, k.size + 1)  # cum's rows of the cuts before each candidate; row 0 is 0 points, the last n
    zero_rows, n_rows = np.zeros_like(k_rows), np.full_like(k_rows, cuts.size - 1)

    def segment_sse(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m, sx, sy, sxx, sxy, syy = (cum[hi] - cum[lo]).T
        with np.errstate(divide="ignore", invalid="ignore"):
            vxx = sxx - sx * sx / m
            vxy = sxy - sx * sy / m
            sse = syy - sy * sy / m - vxy * vxy / vxx
        return np.maximum(sse, 0.0), vxx

    sse_before, vxx_before = segment_sse(zero_rows, k_rows)
    sse_after, vxx_after = segment_sse(k_rows, n_rows)
    flat = 1e-12 * cum[-1, 3]  # a segment whose x barely varies (relative to all x) has no slope
    usable = (k >= min_points) & (n - k >= min_points) & (vxx_before > flat) & (vxx_after > flat)
    sse_total = np.where(usable, sse_before + sse_after, np.inf)
    if not usable.any():
        raise ValueError(f"no candidate break leaves {min_points} points with varying x on both sides")
    best = int(np.argmin(sse_total))  # argmin returns the first minimum: ties -> earliest
    cut = int(k[best])
    return BreakSearch(
        break_year=float(candidates[best]),
        sse=float(sse_total[best]),
        candidates=candidates,
        sse_by_candidate=sse_total,
        before=fit_log_linear(xs[:cut], vs[:cut], resamples=resamples, seed=seed),
        after=fit_log_linear(xs[cut:], vs[cut:], resamples=resamples, seed=seed),
    )
