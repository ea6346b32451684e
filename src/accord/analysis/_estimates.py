"""Estimates: mean score per (task, model, partner, scorer), and pooled over partners."""

from collections.abc import Collection

import numpy as np
from scipy import stats

from ._core import RESOLUTION, GroupStats, Units, combine, group_stats, unit_means
from ._difference import IntervalMethod
from ._errors import AnalysisError
from ._intervals import effective_n, hall, quantile, wilson
from ._results import Estimate
from ._table import FloatArray, IntArray, ScoreTable

FEW_CLUSTERS = 10
UNEQUAL_CV = 0.5


def check_clusters(table: ScoreTable, units: Units, clustered: np.ndarray, tasks: IntArray) -> None:
    """Refuse clustered groups with a sample lacking a cluster value."""
    missing = clustered[units.group] & (units.cluster < 0)
    if np.any(missing):
        index = int(np.argmax(missing))
        task = table.label("task", int(tasks[units.group[index]]))
        sample = table.label("sample", int(units.sample[index]))
        raise AnalysisError(
            f"task '{task}' clusters on a metadata key that sample '{sample}' lacks; give every "
            "sample that key or remove `cluster` from the task in the protocol"
        )


def estimates(
    table: ScoreTable,
    alpha: float,
    clustered_tasks: Collection[str],
    poolable: Collection[tuple[str, str]] = (),
) -> list[Estimate]:
    """Per-partner estimates, then pooled ones for (task, model) pairs in `poolable`.

    Pooling averages each sample's scores over partners and epochs, then applies the same
    method; pool only runs known to be comparable.
    """
    rows = _estimate_groups(table, alpha, clustered_tasks, by_partner=True)
    if poolable:
        wanted = {(t, m) for t, m in poolable}
        pooled = _estimate_groups(table, alpha, clustered_tasks, by_partner=False)
        rows += [e for e in pooled if (e.task, e.model) in wanted and len(e.partners) > 1]
    return rows


def _estimate_groups(
    table: ScoreTable, alpha: float, clustered_tasks: Collection[str], by_partner: bool
) -> list[Estimate]:
    if len(table) == 0:
        return []
    keys = [table.task, table.model, table.scorer] + ([table.partner] if by_partner else [])
    group, first = combine(*keys)
    n_groups = first.shape[0]
    task_of = table.task[first]
    clustered = np.array(
        [table.label("task", int(t)) in clustered_tasks for t in task_of], dtype=bool
    )
    units = unit_means(group, table.sample, table.value, table.cluster)
    check_clusters(table, units, clustered, task_of)
    result = group_stats(units, n_groups, clustered)
    binary = np.bincount(units.group, weights=~units.binary, minlength=n_groups) == 0
    raw_counts = np.bincount(group, minlength=n_groups).astype(np.float64)
    skew = _skewness(units, result.mean, n_groups)
    low, high, n_eff = _intervals(result, binary, clustered, raw_counts, skew, alpha)
    zero_width = result.se <= RESOLUTION * np.maximum(1.0, np.abs(result.mean))
    partner_sets = _partners_per_group(table, group, n_groups)
    out = []
    for g in range(n_groups):
        row = int(first[g])
        n = int(result.n[g])
        se = _finite(result.se[g])
        clusters = int(result.clusters[g]) if clustered[g] else None
        method: IntervalMethod = "wilson" if binary[g] else "cr2-bm" if clustered[g] else "hall"
        out.append(
            Estimate(
                task=table.label("task", int(table.task[row])),
                model=table.label("model", int(table.model[row])),
                scorer=table.label("scorer", int(table.scorer[row])),
                partner=table.label("partner", int(table.partner[row])) if by_partner else None,
                partners=partner_sets[g],
                n=n,
                mean=float(result.mean[g]),
                se=se,
                ci_low=_finite(low[g]),
                ci_high=_finite(high[g]),
                df=_finite(result.df[g]) if se is not None else None,
                method=method,
                ci_level=1 - alpha,
                binary=bool(binary[g]),
                n_effective=_finite(n_eff[g]) if binary[g] else None,
                clusters=clusters,
                warnings=cluster_warnings(clusters, float(result.sizes_cv[g])),
                note=_note(n, bool(zero_width[g]), clusters, bool(binary[g])),
            )
        )
    return out


def _intervals(
    result: GroupStats,
    binary: np.ndarray,
    clustered: np.ndarray,
    raw_counts: FloatArray,
    skew: FloatArray,
    alpha: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-group intervals: Wilson, Hall-transformed t, or t with Bell-McCaffrey df.

    Binary groups get Wilson on effective counts; other unclustered groups the t interval with
    Hall's skewness transformation; other clustered groups t with Bell-McCaffrey df.
    """
    with np.errstate(invalid="ignore"):
        t_q = stats.t.ppf(1 - alpha / 2, np.where(result.df > 0, result.df, np.nan))
    half = t_q * result.se
    h_low, h_high = hall(result.mean, result.se, t_q, skew, result.n.astype(np.float64))
    zero = result.se <= RESOLUTION * np.maximum(1.0, np.abs(result.mean))  # all scores equal
    t_low = np.where(zero, np.nan, np.where(clustered, result.mean - half, h_low))
    t_high = np.where(zero, np.nan, np.where(clustered, result.mean + half, h_high))
    p = result.mean
    n_min = np.where(clustered, result.clusters, result.n).astype(np.float64)
    n_eff = effective_n(p * (1 - p), result.se, n_min, raw_counts)
    q = quantile(alpha, np.where(clustered, result.df, np.nan))  # normal when unclustered
    w_low, w_high = wilson(p * n_eff, n_eff, q)
    usable = binary & (result.n > 1) & ~(clustered & (result.clusters < 2))
    low = np.where(binary, np.where(usable, w_low, np.nan), t_low)
    high = np.where(binary, np.where(usable, w_high, np.nan), t_high)
    return low, high, n_eff


def _skewness(units: Units, mean: FloatArray, n_groups: int) -> FloatArray:
    """Sample skewness of the per-sample means of each group."""
    resid = units.mean - mean[units.group]
    n = np.maximum(np.bincount(units.group, minlength=n_groups), 1)
    m2 = np.bincount(units.group, weights=resid**2, minlength=n_groups) / n
    m3 = np.bincount(units.group, weights=resid**3, minlength=n_groups) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        skew: FloatArray = np.nan_to_num(m3 / m2**1.5)
    return skew


def cluster_warnings(clusters: int | None, sizes_cv: float) -> list[str]:
    """Warnings about clustered inference that rests on few or very unequal clusters."""
    if clusters is None or clusters < 2:
        return []
    warnings = []
    if clusters < FEW_CLUSTERS:
        warnings.append(
            f"only {clusters} clusters: clustered intervals rest on few independent units "
            f"(CR2 with Bell-McCaffrey df is used); {FEW_CLUSTERS} or more are advised"
        )
    if sizes_cv > UNEQUAL_CV:
        warnings.append(
            f"very unequal cluster sizes (coefficient of variation {sizes_cv:.2f}): "
            "the largest clusters dominate; intervals may be wider than expected"
        )
    return warnings


def _partners_per_group(table: ScoreTable, group: np.ndarray, n_groups: int) -> list[list[str]]:
    _, first = combine(group, table.partner)
    sets: list[list[str]] = [[] for _ in range(n_groups)]
    for index in first:
        sets[int(group[index])].append(table.label("partner", int(table.partner[index])))
    return [sorted(s) for s in sets]


def _note(n: int, equal: bool, clusters: int | None, binary: bool) -> str | None:
    if n == 1:
        return "one sample: no standard error or interval; run more samples"
    if clusters is not None and clusters < 2:
        return "one cluster: no clustered standard error; check the cluster key"
    if equal and binary:
        return "all scores are equal: the Wilson score interval bounds the rate"
    if equal:
        return (
            "all scores are equal: the spread of a non-binary score is unknown, so there is "
            "no interval and no verdict"
        )
    return None


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
