"""The difference of two runs (a - b) with an interval method fit for the data.

Binary scores: Tango's score interval when paired, Newcombe's hybrid score interval when not,
both on effective counts when epochs or clusters make samples unequal to independent trials.
Other scores: the t interval (CR2 with Bell-McCaffrey df when clustered), Welch when unpaired.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from ._core import MeanStats, RunData, all_equal, paired_units, t_p_value, vector_stats, welch
from ._intervals import effective_n, newcombe, quantile, tango, tango_z, wilson

IntervalMethod = Literal["wilson", "hall", "t", "cr2-bm", "tango", "newcombe", "welch"]
"""How an interval was computed (docs/methodology.md describes each)."""

_BISECTION = 50


@dataclass(frozen=True)
class _Proportion:
    """A proportion on effective counts, with the critical-value df (None: normal)."""

    p: float
    n: float
    df: float | None

    def wilson(self, alpha: float) -> tuple[float, float]:
        q = quantile(alpha, None if self.df is None else np.array([self.df]))
        low, high = wilson(np.array([self.p * self.n]), np.array([self.n]), q)
        return float(low[0]), float(high[0])


def _proportion(stats_: MeanStats, counts: np.ndarray) -> _Proportion:
    """The effective-count proportion of per-sample means in [0, 1] (Korn-Graubard)."""
    p = stats_.mean
    clustered = stats_.clusters > 0
    n_min = float(stats_.clusters if clustered else stats_.n)
    n = effective_n(
        np.array([p * (1 - p)]),
        np.array([stats_.se]),
        np.array([n_min]),
        np.array([float(np.sum(counts))]),
    )
    return _Proportion(p, float(n[0]), stats_.df if clustered else None)


@dataclass(frozen=True)
class Difference:
    """a - b with the method that produced its interval.

    Attributes:
        stats: Mean difference, its SE (CLT or CR2) and df.
        paired: Paired on shared samples (else two independent means).
        shared: Samples both runs have.
        method: The interval method.
        n_effective: Effective number of pairs (tango) or None.
        zero_width: The t interval would have no width (all differences equal).
    """

    stats: MeanStats
    paired: bool
    shared: int
    method: IntervalMethod
    n_effective: float | None
    zero_width: bool
    _counts: tuple[float, float, float, float | None] | None = None  # b, c, n, df (tango)
    _sides: tuple[_Proportion, _Proportion] | None = None  # newcombe

    @property
    def se(self) -> float | None:
        """The standard error, when defined."""
        return self.stats.se if np.isfinite(self.stats.se) else None

    @property
    def df(self) -> float | None:
        """The degrees of freedom, when the standard error is defined."""
        return self.stats.df if np.isfinite(self.stats.se) else None

    def interval(self, alpha: float) -> tuple[float, float] | None:
        """The two-sided (1 - alpha) interval; None when the data give none."""
        if self._counts is not None:
            b, c, n, df = self._counts
            q = quantile(alpha, None if df is None else np.array([df]))
            low, high = tango(np.array([b]), np.array([c]), np.array([n]), q)
            return float(low[0]), float(high[0])
        if self._sides is not None:
            a, r = self._sides
            lows, highs = newcombe(
                np.array(a.p), _arrays(a.wilson(alpha)), np.array(r.p), _arrays(r.wilson(alpha))
            )
            return float(lows), float(highs)
        s = self.stats
        if self.zero_width or not (np.isfinite(s.se) and np.isfinite(s.df)) or s.df <= 0:
            return None
        half = float(stats.t.ppf(1 - alpha / 2, s.df)) * s.se
        return s.mean - half, s.mean + half

    def p_value(self) -> float | None:
        """Two-sided p-value of delta = 0, by the test the interval inverts."""
        if self._counts is not None:
            b, c, n, df = self._counts
            if b + c == 0:
                return 1.0
            z = float(tango_z(np.array([b]), np.array([c]), np.array([n]), np.array([0.0]))[0])
            return _two_sided(z, df)
        if self._sides is not None:
            return _invert(lambda a: _excludes(self.interval(a), 0.0))
        return t_p_value(self.stats.mean, self.stats.se, self.stats.df)

    def p_tost(self, margin: float) -> float | None:
        """TOST p-value of |delta| < margin (max of the two one-sided p-values)."""
        if self._counts is not None:
            b, c, n, df = self._counts
            z = tango_z(
                np.array([b, b]), np.array([c, c]), np.array([n, n]), np.array([-margin, margin])
            )
            return max(_one_sided(float(z[0]), df), _one_sided(-float(z[1]), df))
        if self._sides is not None:
            return _invert(lambda a: _within(self.interval(2 * a), margin), upper=0.5)
        if self.interval(0.1) is None:
            return None
        s = self.stats
        p_lower = float(stats.t.sf((s.mean + margin) / s.se, s.df))
        p_upper = float(stats.t.cdf((s.mean - margin) / s.se, s.df))
        return max(p_lower, p_upper)


def difference(a: RunData, b: RunData, clustered: bool) -> Difference:
    """The difference a - b of two runs' per-sample means, paired on shared samples."""
    shared, xa, xb = paired_units(a.samples, a.means, b.samples, b.means)
    binary = a.binary and b.binary
    if shared.size:
        keep_a = np.isin(a.samples, shared, assume_unique=True)
        keep_b = np.isin(b.samples, shared, assume_unique=True)
        d = xa - xb
        result = vector_stats(d, a.clusters[keep_a] if clustered else None)
        zero = all_equal(d)
        if not binary:
            method: IntervalMethod = "cr2-bm" if clustered else "t"
            return Difference(result, True, int(shared.size), method, None, zero)
        pos, neg = float(np.sum(np.maximum(d, 0))), float(np.sum(np.maximum(-d, 0)))
        n = float(shared.size)
        delta = (pos - neg) / n
        n_min = float(result.clusters if clustered else n)
        pairs = float(np.sum(np.minimum(a.counts[keep_a], b.counts[keep_b])))
        n_eff = float(
            effective_n(
                np.array([(pos + neg) / n - delta**2]),
                np.array([result.se]),
                np.array([n_min]),
                np.array([pairs]),
            )[0]
        )
        scale = n_eff / n
        counts = (pos * scale, neg * scale, n_eff, result.df if clustered else None)
        return Difference(result, True, int(shared.size), "tango", n_eff, zero, _counts=counts)
    sa = vector_stats(a.means, a.clusters if clustered else None)
    sb = vector_stats(b.means, b.clusters if clustered else None)
    result = welch(sa, sb)
    zero = all_equal(a.means) and all_equal(b.means)
    if not binary:
        return Difference(result, False, 0, "welch", None, zero)
    sides = (_proportion(sa, a.counts), _proportion(sb, b.counts))
    return Difference(result, False, 0, "newcombe", None, zero, _sides=sides)


def _arrays(pair: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    return np.array(pair[0]), np.array(pair[1])


def _excludes(interval: tuple[float, float] | None, value: float) -> bool:
    return interval is not None and not (interval[0] <= value <= interval[1])


def _within(interval: tuple[float, float] | None, margin: float) -> bool:
    return interval is not None and -margin < interval[0] and interval[1] < margin


def _two_sided(z: float, df: float | None) -> float:
    if df is None:
        return float(2 * stats.norm.sf(abs(z)))
    return float(2 * stats.t.sf(abs(z), df))


def _one_sided(z: float, df: float | None) -> float:
    """P(Z >= z) under the null."""
    return float(stats.norm.sf(z) if df is None else stats.t.sf(z, df))


def _invert(holds: Callable[[float], bool], upper: float = 1.0) -> float:
    """The smallest level alpha in (0, upper) at which `holds(alpha)`; 1 when never."""
    if not holds(upper * (1 - 1e-9)):
        return 1.0
    lo, hi = 0.0, upper
    for _ in range(_BISECTION):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if holds(mid) else (mid, hi)
    return hi
