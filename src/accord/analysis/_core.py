"""Vectorised building blocks: epoch means per sample, and group means with (clustered) SEs."""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._table import FloatArray, IntArray, ScoreTable


def combine(*codes: IntArray) -> tuple[IntArray, IntArray]:
    """Number the distinct combinations of several code columns.

    Returns:
        (ids, first): a dense id per row, and for each id the index of its first row.
    """
    key = np.zeros(codes[0].shape[0], dtype=np.int64)
    for column in codes:
        size = int(column.max()) + 2 if column.size else 1
        key = key * size + (column + 1)
    _, first, ids = np.unique(key, return_index=True, return_inverse=True)
    return ids.astype(np.int64), first.astype(np.int64)


@dataclass(frozen=True)
class Units:
    """Per (group, sample) means over epochs (and over whatever else shares the unit)."""

    group: IntArray
    sample: IntArray
    cluster: IntArray
    mean: FloatArray
    count: IntArray


def unit_means(group: IntArray, sample: IntArray, value: FloatArray, cluster: IntArray) -> Units:
    """Average the scores of each sample within each group (epochs first, per Miller 2024)."""
    ids, first = combine(group, sample)
    count = np.bincount(ids)
    total = np.bincount(ids, weights=value)
    return Units(group[first], sample[first], cluster[first], total / count, count)


@dataclass(frozen=True)
class GroupStats:
    """Mean, standard error and degrees of freedom per group (arrays indexed by group)."""

    n: IntArray
    mean: FloatArray
    se: FloatArray
    df: FloatArray
    clusters: IntArray


def group_stats(units: Units, n_groups: int, clustered: np.ndarray) -> GroupStats:
    """Mean and CLT standard error per group; clustered SE where `clustered[group]`.

    Unclustered: SE = sd(ddof=1) / sqrt(n), df = n - 1. Clustered (Inspect's `stderr(cluster=)`
    and statsmodels' cluster-robust OLS on a constant): SE = sqrt(C/(C-1) * sum_c e_c^2) / n,
    with e_c the sum of deviations from the mean in cluster c, df = C - 1.
    """
    g = units.group
    n = np.bincount(g, minlength=n_groups)
    safe_n = np.maximum(n, 1)
    mean = np.bincount(g, weights=units.mean, minlength=n_groups) / safe_n
    resid = units.mean - mean[g]
    ss = np.bincount(g, weights=resid**2, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(ss / (n - 1) / safe_n)
    df = (n - 1).astype(np.float64)
    clusters = np.zeros(n_groups, dtype=np.int64)
    in_clustered = clustered[g]
    if np.any(in_clustered):
        cg, cc, cr = g[in_clustered], units.cluster[in_clustered], resid[in_clustered]
        ids, first = combine(cg, cc)
        sums = np.bincount(ids, weights=cr)
        owner = cg[first]
        count = np.bincount(owner, minlength=n_groups)
        sq = np.bincount(owner, weights=sums**2, minlength=n_groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            cse = np.sqrt(sq * count / (count - 1)) / safe_n
        mask = clustered & (n > 0)
        se = np.where(mask, cse, se)
        df = np.where(mask, (count - 1).astype(np.float64), df)
        clusters = np.where(mask, count, 0)
    se = np.where(n > 1, se, np.nan)
    return GroupStats(n, mean, se, df, clusters)


def t_interval(
    mean: FloatArray, se: FloatArray, df: FloatArray, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """Two-sided (1 - alpha) t interval; NaN where df < 1 or SE is undefined."""
    with np.errstate(invalid="ignore"):
        q = stats.t.ppf(1 - alpha / 2, np.where(df >= 1, df, np.nan))
    half = q * se
    return mean - half, mean + half


def wilson_interval(
    successes: FloatArray, n: FloatArray, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for binomial proportions."""
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = successes / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    return centre - half, centre + half


@dataclass(frozen=True)
class MeanStats:
    """Mean, standard error and degrees of freedom of one vector."""

    n: int
    mean: float
    se: float
    df: float


def vector_stats(values: FloatArray, cluster: IntArray | None = None) -> MeanStats:
    """Mean and (clustered) CLT standard error of one vector, as `group_stats` computes them."""
    n = int(values.shape[0])
    group = np.zeros(n, dtype=np.int64)
    units = Units(
        group,
        np.arange(n),
        cluster if cluster is not None else -np.ones(n, np.int64),
        values,
        np.ones(n, np.int64),
    )
    result = group_stats(units, 1, np.array([cluster is not None]))
    return MeanStats(n, float(result.mean[0]), float(result.se[0]), float(result.df[0]))


def paired_units(
    a_samples: IntArray, a_means: FloatArray, b_samples: IntArray, b_means: FloatArray
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Align two sets of per-sample means on the samples both have (sample codes unique)."""
    shared, ia, ib = np.intersect1d(a_samples, b_samples, assume_unique=True, return_indices=True)
    return shared, a_means[ia], b_means[ib]


def welch(a: MeanStats, b: MeanStats) -> MeanStats:
    """Difference of two independent means (a - b), Welch-Satterthwaite degrees of freedom."""
    va, vb = a.se**2, b.se**2
    se = float(np.sqrt(va + vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        df = float((va + vb) ** 2 / (va**2 / a.df + vb**2 / b.df))
    return MeanStats(a.n + b.n, a.mean - b.mean, se, df)


def t_p_value(mean: float, se: float, df: float) -> float | None:
    """Two-sided p-value of the t test of mean = 0."""
    if not (np.isfinite(se) and np.isfinite(df)) or df < 1:
        return None
    if se == 0:
        return 1.0 if mean == 0 else 0.0
    return float(2 * stats.t.sf(abs(mean / se), df))


@dataclass(frozen=True)
class RunUnits:
    """Epoch means per sample for every (task, model, scorer, partner) run, sliceable by run."""

    units: Units
    runs: dict[tuple[int, int, int, int], int]
    bounds: IntArray

    def of(
        self, task: int, model: int, scorer: int, partner: int
    ) -> tuple[IntArray, FloatArray, IntArray] | None:
        """(samples, means, clusters) of one run, or None when it was not run."""
        run = self.runs.get((task, model, scorer, partner))
        if run is None:
            return None
        lo, hi = int(self.bounds[run]), int(self.bounds[run + 1])
        u = self.units
        return u.sample[lo:hi], u.mean[lo:hi], u.cluster[lo:hi]


def run_units(table: ScoreTable) -> RunUnits:
    """Index a table's epoch means by (task, model, scorer, partner) run, sorted by run, sample."""
    task, model, scorer, partner = table.task, table.model, table.scorer, table.partner
    run, first = combine(task, model, scorer, partner)
    units = unit_means(run, table.sample, table.value, table.cluster)
    bounds = np.searchsorted(units.group, np.arange(first.shape[0] + 1)).astype(np.int64)
    keys = {
        (int(task[i]), int(model[i]), int(scorer[i]), int(partner[i])): r
        for r, i in enumerate(first)
    }
    return RunUnits(units, keys, bounds)


def pool(
    parts: list[tuple[IntArray, FloatArray, IntArray]],
) -> tuple[IntArray, FloatArray, IntArray]:
    """Average per-sample means over several runs (e.g. partners): (samples, means, clusters)."""
    if len(parts) == 1:
        return parts[0]
    samples = np.concatenate([p[0] for p in parts])
    means = np.concatenate([p[1] for p in parts])
    clusters = np.concatenate([p[2] for p in parts])
    unique, first, inverse = np.unique(samples, return_index=True, return_inverse=True)
    pooled = np.bincount(inverse, weights=means) / np.bincount(inverse)
    return unique.astype(np.int64), pooled, clusters[first]


RunData = tuple[IntArray, FloatArray, IntArray]
"""(sample codes, per-sample means, cluster codes) of one run or pooled runs."""


@dataclass(frozen=True)
class Difference:
    """a - b: paired on shared samples, or Welch on independent means when none are shared."""

    stats: MeanStats
    paired: bool
    shared: int
    ci_low: float | None
    ci_high: float | None

    @property
    def se(self) -> float | None:
        """The standard error, when defined."""
        return self.stats.se if np.isfinite(self.stats.se) else None

    @property
    def df(self) -> float | None:
        """The degrees of freedom, when the standard error is defined."""
        return self.stats.df if np.isfinite(self.stats.se) else None


def difference(a: RunData, b: RunData, clustered: bool, alpha: float) -> Difference:
    """The difference of two runs' per-sample means with its two-sided (1 - alpha) interval."""
    (sa, ma, ca), (sb, mb, cb) = a, b
    shared, xa, xb = paired_units(sa, ma, sb, mb)
    if shared.size:
        cluster = ca[np.isin(sa, shared, assume_unique=True)] if clustered else None
        stats = vector_stats(xa - xb, cluster)
    else:
        stats = welch(
            vector_stats(ma, ca if clustered else None), vector_stats(mb, cb if clustered else None)
        )
    low, high = t_interval(
        np.array([stats.mean]), np.array([stats.se]), np.array([stats.df]), alpha
    )
    return Difference(
        stats,
        bool(shared.size),
        int(shared.size),
        float(low[0]) if np.isfinite(low[0]) else None,
        float(high[0]) if np.isfinite(high[0]) else None,
    )
