"""Cross-site reproducibility: comparability first, then TOST equivalence of two partners."""

from collections.abc import Collection, Mapping
from itertools import combinations

import numpy as np
from scipy import stats

from ..run import RunManifest, compare_manifests
from ._core import RunData, difference, run_units
from ._results import Replication, Verdict
from ._table import ScoreTable


def tost(
    mean: float, se: float, df: float, margin: float, alpha: float
) -> tuple[float | None, Verdict]:
    """Two one-sided tests of |delta| < margin, and the three-way verdict.

    consistent: TOST rejects both H0: delta <= -margin and H0: delta >= margin at alpha.
    inconsistent: a one-sided test at alpha shows delta > margin or delta < -margin.
    inconclusive: neither.
    """
    if not np.isfinite(se) or df < 1:
        return None, "inconclusive"
    if se == 0:
        inside = abs(mean) < margin
        return (0.0 if inside else 1.0), ("consistent" if inside else "inconsistent")
    p_lower = float(stats.t.sf((mean + margin) / se, df))  # H0: delta <= -margin
    p_upper = float(stats.t.cdf((mean - margin) / se, df))  # H0: delta >= margin
    p_tost = max(p_lower, p_upper)
    beyond = min(stats.t.sf((mean - margin) / se, df), stats.t.cdf((mean + margin) / se, df))
    if p_tost < alpha:
        return p_tost, "consistent"
    if beyond < alpha:
        return p_tost, "inconsistent"
    return p_tost, "inconclusive"


def replications(
    table: ScoreTable,
    manifests: Mapping[str, RunManifest],
    margin: float,
    alpha: float,
    clustered_tasks: Collection[str],
) -> list[Replication]:
    """Every task x model x scorer run by more than one partner, for each pair of partners."""
    index = run_units(table)
    by_run: dict[tuple[int, int, int], list[int]] = {}
    for task, model, scorer, partner in index.runs:
        by_run.setdefault((task, model, scorer), []).append(partner)
    out = []
    for (task, model, scorer), partners in sorted(by_run.items()):
        labels = (
            table.label("task", task),
            table.label("model", model),
            table.label("scorer", scorer),
        )
        clustered = labels[0] in clustered_tasks
        named = sorted(partners, key=lambda p: table.label("partner", p))
        for pa, pb in combinations(named, 2):
            names = (table.label("partner", pa), table.label("partner", pb))
            a = index.of(task, model, scorer, pa)
            b = index.of(task, model, scorer, pb)
            assert a is not None and b is not None
            deviations = _deviations(manifests, *names, labels[0], labels[1])
            out.append(_replicate(a, b, labels, names, deviations, margin, alpha, clustered))
    return out


def _deviations(
    manifests: Mapping[str, RunManifest], pa: str, pb: str, task: str, model: str
) -> list[str]:
    if pa not in manifests or pb not in manifests:
        return ["no run manifest to check comparability"]
    comparison = compare_manifests(manifests[pa], manifests[pb])
    run = f"{task} x {model}"
    return [
        f"{d.field}: {d.a} vs {d.b}"
        for d in comparison.differences
        if d.breaks_comparability and d.run in (None, run)
    ]


def _replicate(
    a: RunData,
    b: RunData,
    labels: tuple[str, str, str],
    partners: tuple[str, str],
    deviations: list[str],
    margin: float,
    alpha: float,
    clustered: bool,
) -> Replication:
    diff = difference(a, b, clustered, 2 * alpha)
    result = diff.stats
    p_tost, verdict = tost(result.mean, result.se, result.df, margin, alpha)
    note = None if diff.paired else "UNPAIRED: the partners share no sample ids"
    if deviations:
        verdict, note = "deviation", "methodology deviation: the runs are not the same test"
    return Replication(
        task=labels[0],
        model=labels[1],
        scorer=labels[2],
        partner_a=partners[0],
        partner_b=partners[1],
        deviations=deviations,
        paired=diff.paired,
        n=result.n,
        delta=result.mean,
        se=diff.se,
        ci_low=diff.ci_low,
        ci_high=diff.ci_high,
        margin=margin,
        p_tost=p_tost,
        verdict=verdict,
        note=note,
    )
