"""Paired comparisons of a model against a reference, with multiple-testing correction."""

from collections.abc import Collection, Sequence
from typing import Literal

import numpy as np

from ._core import (
    Units,
    combine,
    paired_units,
    t_interval,
    t_p_value,
    unit_means,
    vector_stats,
    welch,
)
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
    primary: list[Comparison] = []
    secondary: list[Comparison] = []
    for model, reference in pairs:
        m, r = table.code("model", model), table.code("model", reference)
        if m is None or r is None:
            continue
        runs, first = combine(table.task, table.scorer)
        for run, row in enumerate(first):
            task, scorer = int(table.task[row]), int(table.scorer[row])
            in_run = runs == run
            rows_a, rows_b = in_run & (table.model == m), in_run & (table.model == r)
            if not (rows_a.any() and rows_b.any()):
                continue
            partners_a = set(np.unique(table.partner[rows_a]).tolist())
            partners_b = set(np.unique(table.partner[rows_b]).tolist())
            both = sorted(partners_a & partners_b)
            labels = (table.label("task", task), table.label("scorer", scorer), model, reference)
            clustered = labels[0] in clustered_tasks
            scope = np.isin(table.partner, both) if both else np.ones(len(table), dtype=bool)
            names = [table.label("partner", p) for p in (both or sorted(partners_a | partners_b))]
            pooled = _compare(
                table, rows_a & scope, rows_b & scope, labels, None, names, alpha, clustered
            )
            if not both:
                note = "models were run by different partners: the difference includes site effects"
                pooled = pooled.model_copy(update={"note": note})
            primary.append(pooled)
            if len(both) > 1:
                for p in both:
                    here = table.partner == p
                    name = table.label("partner", p)
                    secondary.append(
                        _compare(
                            table,
                            rows_a & here,
                            rows_b & here,
                            labels,
                            name,
                            [name],
                            alpha,
                            clustered,
                        )
                    )
    tested = [i for i, c in enumerate(primary) if c.p_value is not None]
    adjusted = adjust_p_values([primary[i].p_value or 0.0 for i in tested], correction)
    for i, p_adjusted in zip(tested, adjusted, strict=True):
        primary[i] = primary[i].model_copy(
            update={"p_adjusted": p_adjusted, "correction": correction}
        )
    return primary + secondary


def _compare(
    table: ScoreTable,
    rows_a: np.ndarray,
    rows_b: np.ndarray,
    labels: tuple[str, str, str, str],
    partner: str | None,
    partners: list[str],
    alpha: float,
    clustered: bool,
) -> Comparison:
    a = _units(table, rows_a)
    b = _units(table, rows_b)
    shared, ma, mb = paired_units(a.sample, a.mean, b.sample, b.mean)
    task, scorer, model, reference = labels
    note = None
    if shared.size:
        cluster = a.cluster[np.isin(a.sample, shared)] if clustered else None
        stats = vector_stats(ma - mb, cluster)
        paired = True
        if shared.size < min(a.sample.size, b.sample.size):
            note = f"paired on the {shared.size} samples both were scored on"
    else:
        stats = welch(
            vector_stats(a.mean, a.cluster if clustered else None),
            vector_stats(b.mean, b.cluster if clustered else None),
        )
        paired = False
        note = "UNPAIRED: the models share no sample ids; Welch's test on independent means"
    low, high = t_interval(
        np.array([stats.mean]), np.array([stats.se]), np.array([stats.df]), alpha
    )
    finite = bool(np.isfinite(stats.se))
    return Comparison(
        task=task,
        scorer=scorer,
        model=model,
        reference=reference,
        partner=partner,
        partners=partners,
        paired=paired,
        n=stats.n,
        delta=stats.mean,
        se=stats.se if finite else None,
        ci_low=float(low[0]) if np.isfinite(low[0]) else None,
        ci_high=float(high[0]) if np.isfinite(high[0]) else None,
        df=stats.df if finite else None,
        p_value=t_p_value(stats.mean, stats.se, stats.df),
        note=note if stats.n > 1 else "one sample: no test possible",
    )


def _units(table: ScoreTable, rows: np.ndarray) -> Units:
    """Per-sample means of the selected rows (over epochs and partners)."""
    zeros = np.zeros(int(rows.sum()), dtype=np.int64)
    return unit_means(zeros, table.sample[rows], table.value[rows], table.cluster[rows])
