"""Paired comparisons of a model against a reference, with multiple-testing correction."""

from collections.abc import Collection, Sequence
from typing import Literal

import numpy as np

from ._core import RunData, pool, run_units
from ._difference import Difference, difference
from ._estimates import cluster_warnings
from ._results import Comparison
from ._table import ScoreTable

Correction = Literal["holm", "bh", "none"]


def adjust_p_values(p_values: Sequence[float], method: Correction) -> list[float]:
    """Holm (step-down FWER) or Benjamini-Hochberg (FDR) adjusted p-values, in input order."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.shape[0]
    if m == 0 or method == "none":
        return [float(x) for x in p]
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        adjusted = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    return [float(x) for x in result]


def simultaneous_alpha(adjusted: Sequence[float], alpha: float, method: Correction) -> float:
    """The per-interval alpha whose intervals match the correction of a family's p-values.

    holm: Bonferroni alpha / m (a Holm rejection is implied by its interval excluding the
    value); bh: the false-coverage-rate level alpha * R / m of Benjamini and Yekutieli (2005),
    R the number of BH rejections; none: alpha.
    """
    m = len(adjusted)
    if method == "none" or m == 0:
        return alpha
    if method == "holm":
        return alpha / m
    rejected = sum(1 for p in adjusted if p <= alpha)
    return alpha * max(rejected, 1) / m


def comparisons(
    table: ScoreTable,
    pairs: Sequence[tuple[str, str]],
    alpha: float,
    clustered_tasks: Collection[str],
    correction: Correction = "holm",
    deviating: Collection[tuple[str, str]] = (),
) -> list[Comparison]:
    """Every protocol comparison on every task and scorer both models were scored on.

    The primary row pools the partners that ran both models (each sample's scores averaged
    over those partners and epochs) and carries the multiple-testing correction across the
    exercise. When several partners ran both, per-partner rows follow (uncorrected). When no
    partner ran both, the models are compared across partners, with a note. Runs of a
    (task, model) in `deviating` are never pooled: each partner's comparison is then primary.
    """
    index = run_units(table)
    partners = range(len(table.levels["partner"]))
    primary: list[tuple[Comparison, Difference]] = []
    secondary: list[Comparison] = []
    for model, reference in pairs:
        m, r = table.code("model", model), table.code("model", reference)
        if m is None or r is None:
            continue
        for task in range(len(table.levels["task"])):
            for scorer in range(len(table.levels["scorer"])):
                runs_a = {p: u for p in partners if (u := index.of(task, m, scorer, p)) is not None}
                runs_b = {p: u for p in partners if (u := index.of(task, r, scorer, p)) is not None}
                if not runs_a or not runs_b:
                    continue
                both = sorted(set(runs_a) & set(runs_b))
                labels = (
                    table.label("task", task),
                    table.label("scorer", scorer),
                    model,
                    reference,
                )
                clustered = labels[0] in clustered_tasks
                name = {p: table.label("partner", p) for p in partners}
                split = {(labels[0], model), (labels[0], reference)} & set(deviating)
                if split:
                    note = "not pooled: the partners' runs deviate in methodology"
                    for pa, pb in _pairs(both, runs_a, runs_b):
                        who = name[pa] if pa == pb else f"{name[pa]} vs {name[pb]}"
                        row, diff = _compare(
                            runs_a[pa],
                            runs_b[pb],
                            labels,
                            who,
                            [name[pa], name[pb]],
                            alpha,
                            clustered,
                        )
                        primary.append((row.model_copy(update={"note": note}), diff))
                    continue
                scope_a = [runs_a[p] for p in both] if both else list(runs_a.values())
                scope_b = [runs_b[p] for p in both] if both else list(runs_b.values())
                names = [name[p] for p in (both or sorted({*runs_a, *runs_b}))]
                row, diff = _compare(
                    pool(scope_a), pool(scope_b), labels, None, names, alpha, clustered
                )
                if not both:
                    note = "models run by different partners: the difference includes site effects"
                    row = row.model_copy(update={"note": note})
                primary.append((row, diff))
                if len(both) > 1:
                    for p in both:
                        secondary.append(
                            _compare(
                                runs_a[p], runs_b[p], labels, name[p], [name[p]], alpha, clustered
                            )[0]
                        )
    return _adjust(primary, alpha, correction) + secondary


def _pairs(
    both: list[int], runs_a: dict[int, RunData], runs_b: dict[int, RunData]
) -> list[tuple[int, int]]:
    if both:
        return [(p, p) for p in both]
    return [(pa, pb) for pa in sorted(runs_a) for pb in sorted(runs_b)]


def _adjust(
    primary: list[tuple[Comparison, Difference]], alpha: float, correction: Correction
) -> list[Comparison]:
    """Adjusted p-values and simultaneous intervals for the primary family."""
    tested = [i for i, (c, _) in enumerate(primary) if c.p_value is not None]
    adjusted = adjust_p_values([primary[i][0].p_value or 0.0 for i in tested], correction)
    level = simultaneous_alpha(adjusted, alpha, correction)
    rows = [c for c, _ in primary]
    for i, p_adjusted in zip(tested, adjusted, strict=True):
        interval = primary[i][1].interval(level)
        rows[i] = rows[i].model_copy(
            update={
                "p_adjusted": p_adjusted,
                "correction": correction,
                "adjusted_level": 1 - level,
                "adjusted_ci_low": interval[0] if interval else None,
                "adjusted_ci_high": interval[1] if interval else None,
            }
        )
    return rows


def _compare(
    a: RunData,
    b: RunData,
    labels: tuple[str, str, str, str],
    partner: str | None,
    partners: list[str],
    alpha: float,
    clustered: bool,
) -> tuple[Comparison, Difference]:
    result = difference(a, b, clustered)
    task, scorer, model, reference = labels
    stats = result.stats
    note = None
    if not result.paired:
        note = f"UNPAIRED: the models share no sample ids; {result.method} on independent means"
    elif result.shared < min(a.samples.size, b.samples.size):
        note = f"paired on the {result.shared} samples both were scored on"
    if result.zero_width and result.method in ("t", "cr2-bm", "welch"):
        note = "all differences are equal: a non-binary score gives no interval from them"
    interval = result.interval(alpha)
    row = Comparison(
        task=task,
        scorer=scorer,
        model=model,
        reference=reference,
        partner=partner,
        partners=partners,
        paired=result.paired,
        n=stats.n,
        delta=stats.mean,
        se=result.se,
        ci_low=interval[0] if interval else None,
        ci_high=interval[1] if interval else None,
        df=result.df,
        p_value=result.p_value() if stats.n > 1 else None,
        method=result.method,
        ci_level=1 - alpha,
        binary=a.binary and b.binary,
        n_effective=result.n_effective,
        clusters=stats.clusters or None,
        warnings=cluster_warnings(stats.clusters or None, stats.sizes_cv),
        note=note if stats.n > 1 else "one sample: no test possible",
    )
    return row, result
