"""Sample-size planning for comparisons and cross-site replications, as they will be tested.

t quantiles (noncentral t power), the design effect of clustering, paired or unpaired.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from ._core import combine, paired_units, unit_means
from ._table import ScoreTable


@dataclass(frozen=True)
class VarianceModel:
    """What is assumed about scores when planning.

    Attributes:
        score_variance: Variance of one score.
        within_fraction: Share of it that varies between epochs of one sample.
        correlation: Correlation of the per-sample means being differenced.
    """

    score_variance: float
    within_fraction: float
    correlation: float

    def difference_sd(self, epochs: int, paired: bool = True) -> float:
        """SD of one sample's difference of two epoch-averaged scores (unpaired: rho = 0)."""
        per_sample = self.score_variance * (
            1 - self.within_fraction + self.within_fraction / epochs
        )
        rho = self.correlation if paired else 0.0
        return math.sqrt(max(2 * per_sample * (1 - rho), 0.0))


@dataclass(frozen=True)
class Design:
    """How samples are grouped, for the design effect of clustering.

    Attributes:
        cluster_size: Mean samples per cluster (1: unclustered).
        size_cv: Coefficient of variation of the cluster sizes.
        icc: Intra-cluster correlation of the per-sample differences.
    """

    cluster_size: float = 1.0
    size_cv: float = 0.0
    icc: float = 0.0

    @property
    def effect(self) -> float:
        """Design effect 1 + ((cv^2 + 1) m - 1) icc (Eldridge, Ashby and Kerry 2006)."""
        if self.cluster_size <= 1:
            return 1.0
        return 1 + ((self.size_cv**2 + 1) * self.cluster_size - 1) * self.icc

    def df(self, n: float) -> float:
        """Degrees of freedom of the test on n samples: clusters - 1 when clustered."""
        units = n / self.cluster_size if self.cluster_size > 1 else n
        return max(units - 1, 1.0)


def power(
    n: float,
    delta: float,
    epochs: int,
    alpha: float,
    model: VarianceModel,
    design: Design = Design(),
    paired: bool = True,
) -> float:
    """Power of the two-sided t test at `alpha` on n samples when the true difference is delta.

    Exact for normal differences (noncentral t, as statsmodels' TTestPower), with the design
    effect shrinking n and df = clusters - 1 when clustered.
    """
    sd = model.difference_sd(epochs, paired)
    if sd == 0:
        return 1.0
    df = design.df(n)
    shift = abs(delta) / sd * math.sqrt(n / design.effect)
    critical = stats.t.ppf(1 - alpha / 2, df)
    if shift > critical + 40:  # beyond where scipy's noncentral t is accurate: certain
        return 1.0
    result = float(stats.nct.sf(critical, df, shift) + stats.nct.cdf(-critical, df, shift))
    return result if math.isfinite(result) else float(shift > critical)


def minimum_detectable_difference(
    n: int,
    epochs: int,
    alpha: float,
    target: float,
    model: VarianceModel,
    design: Design = Design(),
    paired: bool = True,
) -> float:
    """Smallest true difference a two-sided test at `alpha` on n samples detects.

    With `target` power, by the same noncentral t power as `power`.
    """
    sd = model.difference_sd(epochs, paired)
    if sd == 0 or n < 2:
        return 0.0 if sd == 0 else math.inf
    upper = sd
    while power(n, upper, epochs, alpha, model, design, paired) < target:
        upper *= 2
    return float(
        optimize.brentq(
            lambda d: power(n, d, epochs, alpha, model, design, paired) - target, 0.0, upper
        )
    )


def samples_needed(
    delta: float,
    epochs: int,
    alpha: float,
    target: float,
    model: VarianceModel,
    design: Design = Design(),
    paired: bool = True,
) -> int:
    """Smallest n for a two-sided test at `alpha` to detect `delta` with `target` power."""
    return _smallest(lambda n: power(n, delta, epochs, alpha, model, design, paired) >= target)


def tost_power(
    n: float,
    margin: float,
    epochs: int,
    alpha: float,
    model: VarianceModel,
    design: Design = Design(),
) -> float:
    """Power of TOST at `alpha` to show |delta| < margin when the partners truly agree."""
    sd = model.difference_sd(epochs)
    if sd == 0:
        return 1.0
    se = sd * math.sqrt(design.effect / n)
    critical = stats.t.ppf(1 - alpha, design.df(n))
    return float(max(2 * stats.norm.cdf(margin / se - critical) - 1, 0.0))


def equivalence_margin(
    n: int,
    epochs: int,
    alpha: float,
    target: float,
    model: VarianceModel,
    design: Design = Design(),
) -> float:
    """Smallest margin TOST shows with `target` power when partners truly agree."""
    sd = model.difference_sd(epochs)
    se = sd * math.sqrt(design.effect / n)
    critical = stats.t.ppf(1 - alpha, design.df(n))
    return float((critical + stats.norm.ppf(1 - (1 - target) / 2)) * se)


def samples_for_margin(
    margin: float,
    epochs: int,
    alpha: float,
    target: float,
    model: VarianceModel,
    design: Design = Design(),
) -> int:
    """Smallest n for TOST at `alpha` to show equivalence within `margin` with `target` power."""
    return _smallest(lambda n: tost_power(n, margin, epochs, alpha, model, design) >= target)


def _smallest(enough: Callable[[int], bool], limit: int = 10_000_000) -> int:
    """The smallest n >= 2 with enough(n), by doubling then bisection (enough is monotone)."""
    high = 2
    while not enough(high):
        if high > limit:
            return limit
        high *= 2
    low = max(high // 2, 1)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid, high)
    return max(high, 2)


def pilot_assumptions(table: ScoreTable, pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Variance assumptions estimated from pilot scores.

    score_variance: variance of single scores, averaged over (task, model, partner, scorer)
    runs; within_fraction: mean variance between epochs of a sample over score_variance (0
    with one epoch); correlation: mean Pearson correlation of paired models' sample means.
    """
    group, first = combine(table.task, table.model, table.partner, table.scorer)
    variances, within = [], []
    for g in range(first.shape[0]):
        values = table.value[group == g]
        if values.size > 1:
            variances.append(float(np.var(values, ddof=1)))
        unit, _ = combine(table.sample[group == g])
        counts = np.bincount(unit)
        if np.any(counts > 1):
            means = np.bincount(unit, weights=values) / counts
            spread = np.bincount(unit, weights=(values - means[unit]) ** 2) / np.maximum(
                counts - 1, 1
            )
            within.append(float(np.mean(spread[counts > 1])))
    result: dict[str, float] = {}
    if variances:
        result["score_variance"] = max(float(np.mean(variances)), 1e-12)
        if within:
            result["within_fraction"] = min(float(np.mean(within)) / result["score_variance"], 1.0)
    correlations = []
    units = unit_means(
        combine(table.task, table.model, table.scorer)[0], table.sample, table.value, table.cluster
    )
    for model, reference in pairs:
        m, r = table.code("model", model), table.code("model", reference)
        if m is None or r is None:
            continue
        _, run_first = combine(table.task, table.model, table.scorer)
        for ga in np.nonzero(table.model[run_first] == m)[0]:
            task, scorer = table.task[run_first[ga]], table.scorer[run_first[ga]]
            match = np.nonzero(
                (table.model[run_first] == r)
                & (table.task[run_first] == task)
                & (table.scorer[run_first] == scorer)
            )[0]
            if not match.size:
                continue
            a, b = units.group == ga, units.group == match[0]
            _, xa, xb = paired_units(units.sample[a], units.mean[a], units.sample[b], units.mean[b])
            if xa.size > 2 and np.std(xa) > 0 and np.std(xb) > 0:
                correlations.append(float(np.corrcoef(xa, xb)[0, 1]))
    if correlations:
        result["correlation"] = float(np.mean(correlations))
    iccs = [icc for g in range(first.shape[0]) if (icc := _icc(table, group == g)) is not None]
    if iccs:
        result["icc"] = float(np.mean(iccs))
    return result


def cluster_design(labels: list[str | None], icc: float) -> Design:
    """The design of a task whose samples carry these cluster labels (None: unclustered)."""
    named = [label for label in labels if label is not None]
    if not named:
        return Design(icc=icc)
    _, sizes = np.unique(np.asarray(named, dtype=object).astype(str), return_counts=True)
    mean = float(np.mean(sizes))
    return Design(mean, float(np.std(sizes) / mean), icc)


def _icc(table: ScoreTable, rows: np.ndarray) -> float | None:
    """One-way ANOVA estimate of the intra-cluster correlation of one run's sample means."""
    if not np.any(table.cluster[rows] >= 0):
        return None
    units = unit_means(
        np.zeros(int(rows.sum()), np.int64),
        table.sample[rows],
        table.value[rows],
        table.cluster[rows],
    )
    codes, cluster = np.unique(units.cluster, return_inverse=True)
    k, n = codes.shape[0], units.mean.shape[0]
    if k < 2 or n <= k:
        return None
    sizes = np.bincount(cluster).astype(np.float64)
    means = np.bincount(cluster, weights=units.mean) / sizes
    between = float(np.sum(sizes * (means - units.mean.mean()) ** 2) / (k - 1))
    within = float(np.sum((units.mean - means[cluster]) ** 2) / (n - k))
    m0 = (n - float(np.sum(sizes**2)) / n) / (k - 1)
    total = between + (m0 - 1) * within
    return max((between - within) / total, 0.0) if total > 0 else None
