"""Cross-site reproducibility: comparability first, then TOST equivalence of two partners."""

import math
from collections.abc import Collection, Mapping
from itertools import combinations

import numpy as np
from scipy import stats

from ..run import RunManifest, compare_manifests
from ._core import RunData, run_units
from ._difference import Difference, difference
from ._estimates import cluster_warnings
from ._results import Replication, Verdict
from ._table import ScoreTable


def tost(
    mean: float, se: float, df: float, margin: float, alpha: float
) -> tuple[float | None, Verdict]:
    """Two one-sided t tests of |delta| < margin, and the three-way verdict.

    consistent: TOST rejects both H0: delta <= -margin and H0: delta >= margin at alpha.
    inconsistent: a one-sided test at alpha shows delta > margin or delta < -margin.
    inconclusive: neither, or the SE is 0 or undefined (a zero-width interval is no evidence).
    """
    if not np.isfinite(se) or df <= 0 or se == 0:
        return None, "inconclusive"
    p_lower = float(stats.t.sf((mean + margin) / se, df))  # H0: delta <= -margin
    p_upper = float(stats.t.cdf((mean - margin) / se, df))  # H0: delta >= margin
    p_tost = max(p_lower, p_upper)
    beyond = min(stats.t.sf((mean - margin) / se, df), stats.t.cdf((mean + margin) / se, df))
    if p_tost < alpha:
        return p_tost, "consistent"
    if beyond < alpha:
        return p_tost, "inconsistent"
    return p_tost, "inconclusive"


def equivalence(diff: Difference, margin: float, alpha: float) -> tuple[Verdict, str | None]:
    """The TOST verdict from the (1 - 2 alpha) interval of the method fit for the data.

    consistent iff the interval lies inside (-margin, margin) (the TOST rejection region),
    inconsistent iff it lies wholly beyond one side, inconclusive otherwise.
    """
    interval = diff.interval(2 * alpha)
    if interval is None:
        return (
            "inconclusive",
            "no interval (all differences equal for a non-binary score, or one sample)",
        )
    low, high = interval
    if -margin < low and high < margin:
        return "consistent", None
    if low > margin or high < -margin:
        return "inconsistent", None
    return "inconclusive", f"the {1 - 2 * alpha:.0%} interval reaches beyond the margin"


def needed_samples(diff: Difference, margin: float, alpha: float) -> int | None:
    """About how many samples would make the interval fit inside the margin, if it can."""
    interval = diff.interval(2 * alpha)
    n, delta = diff.stats.n, diff.stats.mean
    if interval is None or abs(delta) >= margin or n < 2:
        return None
    if diff.method == "tango" and diff.zero_width:
        # all pairs concordant: the bound is q^2 / (n_eff + q^2), n_eff = n / design effect
        z = float(stats.norm.ppf(1 - alpha))
        per_sample = (diff.n_effective or n) / n
        return max(n + 1, math.ceil(z**2 * (1 - margin) / margin / per_sample))
    reach = max(delta - interval[0], interval[1] - delta)
    return max(n + 1, math.ceil(n * (reach / (margin - abs(delta))) ** 2 - 1e-9))


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
    diff = difference(a, b, clustered)
    result = diff.stats
    interval = diff.interval(2 * alpha)
    verdict, reason = equivalence(diff, margin, alpha)
    notes = [] if diff.paired else ["UNPAIRED: the partners share no sample ids"]
    needed = None
    if verdict == "inconclusive" and reason:
        needed = needed_samples(diff, margin, alpha)
        notes.append(reason + (f"; about {needed} samples would decide it" if needed else ""))
    if deviations:
        verdict, notes = "deviation", ["methodology deviation: the runs are not the same test"]
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
        ci_low=interval[0] if interval else None,
        ci_high=interval[1] if interval else None,
        margin=margin,
        p_tost=diff.p_tost(margin),
        verdict=verdict,
        method=diff.method,
        binary=a.binary and b.binary,
        n_effective=diff.n_effective,
        needed_n=needed if verdict == "inconclusive" else None,
        warnings=cluster_warnings(result.clusters or None, result.sizes_cv),
        note="; ".join(notes) or None,
    )
