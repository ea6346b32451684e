"""Paired comparisons of a model against a reference, with multiple-testing correction."""

from collections.abc import Collection, Sequence
from typing import Literal

import numpy as np

from ._core import RunData, difference, pool, run_units, t_p_value
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


def comparisons(
    table: ScoreTable,
    pairs: Sequence[tuple[str, str]],
    alpha: float,
    clustered_tasks: Collection[str],
    correction: Correction = "holm",
) -> list[Comparison]:
    """Every protocol comparison on every task and scorer both models were scored on.

    The primary row pools the partners that ran both models (each sample's scores averaged
    over those partners and epochs) and carries the multiple-testing correction across the
    exercise. When several partners ran both, per-partner rows follow (uncorrected). When no
    partner ran both, the models are compared across partners, with a note.
    """
    index = run_units(table)
    partners = range(len(table.levels["partner"]))
    primary: list[Comparison] = []
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
                scope_a = [runs_a[p] for p in both] if both else list(runs_a.values())
                scope_b = [runs_b[p] for p in both] if both else list(runs_b.values())
                names = [table.label("partner", p) for p in (both or sorted({*runs_a, *runs_b}))]
                row = _compare(pool(scope_a), pool(scope_b), labels, None, names, alpha, clustered)
                if not both:
                    note = "models run by different partners: the difference includes site effects"
                    row = row.model_copy(update={"note": note})
                primary.append(row)
                if len(both) > 1:
                    for p in both:
                        name = table.label("partner", p)
                        secondary.append(
                            _compare(runs_a[p], runs_b[p], labels, name, [name], alpha, clustered)
                        )
    tested = [i for i, c in enumerate(primary) if c.p_value is not None]
    adjusted = adjust_p_values([primary[i].p_value or 0.0 for i in tested], correction)
    for i, p_adjusted in zip(tested, adjusted, strict=True):
        primary[i] = primary[i].model_copy(
            update={"p_adjusted": p_adjusted, "correction": correction}
        )
    return primary + secondary


def _compare(
    a: RunData,
    b: RunData,
    labels: tuple[str, str, str, str],
    partner: str | None,
    partners: list[str],
    alpha: float,
    clustered: bool,
) -> Comparison:
    result = difference(a, b, clustered, alpha)
    task, scorer, model, reference = labels
    stats = result.stats
    note = None
    if not result.paired:
        note = "UNPAIRED: the models share no sample ids; Welch's test on independent means"
    elif result.shared < min(a[0].size, b[0].size):
        note = f"paired on the {result.shared} samples both were scored on"
    return Comparison(
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
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        df=result.df,
        p_value=t_p_value(stats.mean, stats.se, stats.df),
        note=note if stats.n > 1 else "one sample: no test possible",
    )
