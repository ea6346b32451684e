"""Interval methods fit for the data: score intervals for binary scores, t for the rest.

All functions are vectorised over groups. References are in docs/methodology.md.
"""

from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize, stats

from ._table import FloatArray

BISECTION_STEPS = 60


def quantile(alpha: float, df: FloatArray | None = None) -> FloatArray:
    """Two-sided (1 - alpha) critical value: t with `df` where given and finite, else normal."""
    z = _normal(alpha)
    if df is None:
        return np.asarray(z, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        t = stats.t.ppf(1 - alpha / 2, np.where(np.isfinite(df) & (df > 0), df, np.nan))
    return np.where(np.isfinite(df), t, z)


@lru_cache(maxsize=64)
def _normal(alpha: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


POISSON_COUNTS = 3
"""Up to this many successes (or failures) the Wilson bound near 0 (or 1) is replaced."""


def wilson(successes: FloatArray, n: FloatArray, q: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Modified Wilson score interval for a proportion successes / n, critical value `q`.

    Wilson's interval, except that with at most POISSON_COUNTS successes the lower bound is the
    exact Poisson one, chi2_{2x}(a/2) / 2n, where Wilson's dips below its level (Brown, Cai and
    DasGupta 2001), and likewise the upper bound with few failures. `successes` and `n` may be
    effective (non-integer) counts, as in Korn and Graubard (1998).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        p = successes / n
        q2 = q**2
        denominator = 1 + q2 / n
        centre = (p + q2 / (2 * n)) / denominator
        half = q * np.sqrt(np.maximum(p * (1 - p), 0.0) / n + q2 / (4 * n**2)) / denominator
    low, high = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    tail = stats.norm.sf(q)  # a/2 of the level q stands for
    failures = n - successes
    with np.errstate(divide="ignore", invalid="ignore"):
        poisson_low = stats.chi2.ppf(tail, 2 * successes) / (2 * n)
        poisson_high = 1 - stats.chi2.ppf(tail, 2 * failures) / (2 * n)
    few = (successes > 0) & (successes <= POISSON_COUNTS)
    low = np.where(few, np.minimum(low, poisson_low), low)
    few = (failures > 0) & (failures <= POISSON_COUNTS)
    high = np.where(few, np.maximum(high, poisson_high), high)
    return np.where(successes <= 0, 0.0, low), np.where(failures <= 0, 1.0, high)


def hall(
    mean: FloatArray, se: FloatArray, q: FloatArray, skew: FloatArray, n: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """T interval with Hall's (1992) cubic transformation removing the skewness of the mean.

    With a = skewness / sqrt(n), the transform g(t) = t + a t^2/3 + a^2 t^3/27 + a/6 of the
    t statistic is inverted: [mean - se g^-1(q), mean - se g^-1(-q)]. With no skewness it is
    the t interval exactly.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        a = skew / np.sqrt(n)

        def inverse(v: FloatArray) -> FloatArray:
            u = v - a / 6
            x = a * u
            exact = 3 / a * (np.cbrt(1 + x) - 1)
            series = u - x * u / 3 + 5 * x * x * u / 27  # |a| tiny: cbrt loses precision
            result: FloatArray = np.where(np.abs(a) < 1e-4, series, exact)
            return result

        return mean - se * inverse(q), mean - se * inverse(-q)


def effective_n(
    variance: FloatArray, se: FloatArray, n_min: FloatArray, n_max: FloatArray
) -> FloatArray:
    """Effective sample size variance / SE^2 (Kish), kept within [n_min, n_max].

    Where the variance or SE is 0 (all scores equal) the data say nothing about the design
    effect, so the conservative `n_min` applies.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = variance / se**2
    usable = np.isfinite(raw) & (variance > 0) & (se > 0)
    return np.where(usable, np.clip(raw, n_min, np.maximum(n_max, n_min)), n_min)


def _positive(x: Any) -> Any:
    """max(x, 0) for floats and arrays alike."""
    return (x + abs(x)) / 2


def _tango(b: Any, c: Any, n: Any, delta: Any) -> Any:
    """Tango's score statistic, written once for floats (fast scalar roots) and arrays.

    The restricted MLE of the reference-only discordance rate q21 given delta has a closed
    form (Tango 1998); the variance of b - c is then n (2 q21 + delta (1 - delta)).
    """
    w = -b - c + (2 * n - b + c) * delta
    q21 = _positive((_positive(w**2 + 8 * n * c * delta * (1 - delta)) ** 0.5 - w) / (4 * n))
    variance = n * (2 * q21 + delta * (1 - delta))
    return (b - c - n * delta) / (_positive(variance) + 1e-300) ** 0.5


def tango_z(b: FloatArray, c: FloatArray, n: FloatArray, delta: FloatArray) -> FloatArray:
    """Tango's (1998) score statistic for a paired difference of proportions = delta.

    b: pairs where only the model succeeds; c: only the reference; n: all pairs.
    """
    z: FloatArray = np.asarray(_tango(b, c, n, delta), dtype=np.float64)
    return z


def tango(
    b: FloatArray, c: FloatArray, n: FloatArray, q: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Tango's score interval for a paired difference of proportions.

    Unlike the Wald interval it keeps a width when no pair is discordant: then the bounds are
    +-q^2 / (n + q^2). One pair of counts is solved with Brent's method, arrays by bisection.
    """
    q = np.broadcast_to(q, b.shape)
    estimate = (b - c) / n
    if b.size == 1:
        args = (float(b.flat[0]), float(c.flat[0]), float(n.flat[0]))
        est, crit = float(estimate.flat[0]), float(q.flat[0])
        low = _root(args, crit, -1.0, est) if est > -1 else -1.0
        high = _root(args, -crit, est, 1.0) if est < 1 else 1.0
        return np.full(b.shape, low), np.full(b.shape, high)
    bounds = []
    for target, lo, hi in ((q, -np.ones_like(b), estimate), (-q, estimate, np.ones_like(b))):
        lo, hi = lo.astype(np.float64).copy(), hi.astype(np.float64).copy()
        for _ in range(BISECTION_STEPS):
            mid = (lo + hi) / 2
            above = _tango(b, c, n, mid) > target  # z decreases in delta
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        bounds.append((lo + hi) / 2)
    return bounds[0], bounds[1]


def _root(args: tuple[float, float, float], target: float, lo: float, hi: float) -> float:
    b, c, n = args
    root: float = optimize.brentq(
        lambda d: _tango(b, c, n, d) - target, lo, hi, xtol=1e-12, rtol=1e-12
    )
    return root


def newcombe(
    p1: FloatArray,
    wilson1: tuple[FloatArray, FloatArray],
    p2: FloatArray,
    wilson2: tuple[FloatArray, FloatArray],
) -> tuple[FloatArray, FloatArray]:
    """Newcombe's (1998) hybrid score interval for p1 - p2 of independent proportions."""
    (l1, u1), (l2, u2) = wilson1, wilson2
    low = p1 - p2 - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = p1 - p2 + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return low, high


def cr2_bell_mccaffrey(
    group: np.ndarray, cluster_id: np.ndarray, resid: FloatArray, n_groups: int
) -> tuple[FloatArray, FloatArray, np.ndarray]:
    """CR2 standard error of a mean and Bell-McCaffrey degrees of freedom, per group.

    For a mean (a regression on a constant) the CR2 adjustment of cluster c is
    1 / sqrt(1 - n_c / N) on its residual sum E_c, so V = sum_c E_c^2 / (1 - n_c/N) / N^2.
    Bell-McCaffrey df = (sum lambda)^2 / sum lambda^2 over the eigenvalues of G'G, in closed
    form here (equal clusters give C - 1).

    Args:
        group: Group of each unit.
        cluster_id: A dense id of each unit's (group, cluster).
        resid: Each unit's deviation from its group mean.
        n_groups: Number of groups.

    Returns:
        (se, df, clusters) per group.
    """
    sums = np.bincount(cluster_id, weights=resid)
    sizes = np.bincount(cluster_id).astype(np.float64)
    owner = np.zeros(sums.shape[0], dtype=np.int64)
    owner[cluster_id] = group
    total = np.bincount(owner, weights=sizes, minlength=n_groups)
    big_n = total[owner]
    share = sizes / big_n
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = 1 - share
        variance = np.bincount(owner, weights=sums**2 / keep, minlength=n_groups) / total**2
        a2 = 1 / (big_n**2 * keep)
        trace = 1 / total
        first = np.bincount(owner, weights=a2**2 * sizes**2, minlength=n_groups)
        second = np.bincount(owner, weights=a2**2 * sizes**3 / big_n, minlength=n_groups)
        third = np.bincount(owner, weights=a2 * sizes**2, minlength=n_groups) ** 2 / total**2
        df = trace**2 / (first - 2 * second + third)
    count = np.bincount(owner, minlength=n_groups)
    single = count < 2
    se = np.where(single, np.nan, np.sqrt(variance))
    return se, np.where(single, np.nan, df), count
