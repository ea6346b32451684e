"""Estimates: mean score per (task, model, partner, scorer), and pooled over partners."""

from collections.abc import Collection

import numpy as np

from ._core import Units, combine, group_stats, t_interval, unit_means, wilson_interval
from ._errors import AnalysisError
from ._results import Estimate
from ._table import FloatArray, IntArray, ScoreTable


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
    low, high = t_interval(result.mean, result.se, result.df, alpha)
    binary = (
        np.bincount(
            units.group,
            weights=((units.mean != 0) & (units.mean != 1)).astype(float),
            minlength=n_groups,
        )
        == 0
    )
    successes = np.asarray(
        np.bincount(units.group, weights=units.mean, minlength=n_groups), dtype=np.float64
    )
    sample_counts: FloatArray = result.n.astype(np.float64)
    w_low, w_high = wilson_interval(successes, sample_counts, alpha)
    partner_sets = _partners_per_group(table, group, n_groups)
    out = []
    for g in range(n_groups):
        row = int(first[g])
        n = int(result.n[g])
        se = _finite(result.se[g])
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
                method="clustered" if clustered[g] else "clt",
                clusters=int(result.clusters[g]) if clustered[g] else None,
                wilson_low=float(w_low[g]) if binary[g] else None,
                wilson_high=float(w_high[g]) if binary[g] else None,
                note=_note(n, se, int(result.clusters[g]) if clustered[g] else None),
            )
        )
    return out


def _partners_per_group(table: ScoreTable, group: np.ndarray, n_groups: int) -> list[list[str]]:
    _, first = combine(group, table.partner)
    sets: list[list[str]] = [[] for _ in range(n_groups)]
    for index in first:
        sets[int(group[index])].append(table.label("partner", int(table.partner[index])))
    return [sorted(s) for s in sets]


def _note(n: int, se: float | None, clusters: int | None) -> str | None:
    if n == 1:
        return "one sample: no standard error or interval; run more samples"
    if clusters is not None and clusters < 2:
        return "one cluster: no clustered standard error; check the cluster key"
    if se == 0:
        return "all scores are equal: the standard error is 0 and the interval has no width"
    return None


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
