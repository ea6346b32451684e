"""Findings: protocol thresholds judged on whole confidence intervals, never on points alone."""

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from ..protocol import Condition, Protocol, Threshold, evaluate_when, parse_when
from ..protocol._when import BoolOp, Not
from ..protocol._when import Comparison as WhenComparison
from ._results import Comparison, Estimate, Finding, FindingStatus


def judge(
    condition: Condition, variable: str, low: float, high: float, fixed: dict[str, float]
) -> FindingStatus:
    """Judge a condition over a whole interval of `variable` (other variables at `fixed`).

    `supported` if it holds for every value in [low, high], `not supported` if for none,
    `inconclusive` otherwise. The condition's truth is constant between its constants, so
    probing the ends, the constants inside and the midpoints between them is exact.
    """
    cuts = sorted({c for c in _constants(condition, variable) if low < c < high})
    points = sorted({low, high, *cuts})
    probes = points + [(a + b) / 2 for a, b in pairwise(points)]
    truths = {evaluate_when(condition, {**fixed, variable: p}) for p in probes}
    if truths == {True}:
        return "supported"
    if truths == {False}:
        return "not supported"
    return "inconclusive"


def findings(
    protocol: Protocol,
    estimates: Sequence[Estimate],
    comparisons: Sequence[Comparison],
    alpha: float,
) -> list[Finding]:
    """Evaluate every threshold of the protocol against the pooled analysis."""
    return [_finding(t, estimates, comparisons, alpha) for t in protocol.thresholds]


def _finding(
    threshold: Threshold,
    estimates: Sequence[Estimate],
    comparisons: Sequence[Comparison],
    alpha: float,
) -> Finding:
    base: dict[str, Any] = {
        "threshold": threshold.id,
        "statement": threshold.finding,
        "task": threshold.task,
        "model": threshold.model,
        "compare_to": threshold.compare_to,
        "when": threshold.when,
    }
    scorers = sorted(
        {e.scorer for e in estimates if (e.task, e.model) == (threshold.task, threshold.model)}
    )
    scorer = _scorer(threshold.metric, scorers)
    if scorer is None:
        if not scorers:
            return _no_data(base, f"no scores for {threshold.model} on {threshold.task}")
        return _no_data(
            base, f"metric '{threshold.metric}' matches none of the scorers {', '.join(scorers)}"
        )
    condition = parse_when(threshold.when)
    own = _pooled_estimate(estimates, threshold.task, threshold.model, scorer)
    fixed = {"estimate": own.mean if own else float("nan")}
    extra = ""
    if threshold.compare_to is not None:
        row = _pooled_comparison(comparisons, threshold, scorer)
        if row is None:
            return _no_data(
                base,
                f"no comparison of {threshold.model} with {threshold.compare_to} on "
                f"{threshold.task}; add it to analysis.comparisons",
            )
        reference = _pooled_estimate(estimates, threshold.task, threshold.compare_to, scorer)
        fixed["reference"] = reference.mean if reference else float("nan")
        variable, value, low, high, partners = (
            "delta",
            row.delta,
            row.ci_low,
            row.ci_high,
            row.partners,
        )
        extra = _p_text(row)
    else:
        if own is None:
            return _no_data(base, "no estimate for this model and task")
        variable, value, low, high, partners = (
            "estimate",
            own.mean,
            own.ci_low,
            own.ci_high,
            own.partners,
        )
    values = {"value": value, "partners": partners}
    if low is None or high is None:
        evidence = (
            f"{variable} = {value:.3f} has no interval (too few samples); "
            "a point estimate alone supports nothing"
        )
        return Finding(
            **base, **values, status="inconclusive", ci_low=None, ci_high=None, evidence=evidence
        )
    fixed.update({variable: value, "ci_low": low, "ci_high": high})
    evidence = (
        f"{variable} = {value:.3f}, {1 - alpha:.0%} CI [{low:.3f}, {high:.3f}] "
        f"({scorer}; partners {', '.join(partners)}){extra}"
    )
    return Finding(
        **base,
        **values,
        status=judge(condition, variable, low, high, fixed),
        ci_low=low,
        ci_high=high,
        evidence=evidence,
    )


def _no_data(base: dict[str, Any], reason: str) -> Finding:
    return Finding(
        **base,
        status="no data",
        value=None,
        ci_low=None,
        ci_high=None,
        partners=[],
        evidence=reason,
    )


def _p_text(row: Comparison) -> str:
    if row.p_value is None:
        return ""
    adjusted = (
        f" ({row.correction}-adjusted {row.p_adjusted:.3g})" if row.p_adjusted is not None else ""
    )
    return f", p = {row.p_value:.3g}{adjusted}"


def _scorer(metric: str, scorers: list[str]) -> str | None:
    if metric in scorers:
        return metric
    if len(scorers) == 1 and metric in ("accuracy", "mean"):
        return scorers[0]
    return None


def _pooled_comparison(
    comparisons: Sequence[Comparison], threshold: Threshold, scorer: str
) -> Comparison | None:
    key = (threshold.task, scorer, threshold.model, threshold.compare_to)
    return next(
        (
            c
            for c in comparisons
            if c.partner is None and (c.task, c.scorer, c.model, c.reference) == key
        ),
        None,
    )


def _pooled_estimate(
    estimates: Sequence[Estimate], task: str, model: str, scorer: str
) -> Estimate | None:
    rows = [e for e in estimates if (e.task, e.model, e.scorer) == (task, model, scorer)]
    pooled = [e for e in rows if e.partner is None]
    if pooled:
        return pooled[0]
    return rows[0] if len(rows) == 1 else None


def _constants(condition: Condition, variable: str) -> list[float]:
    if isinstance(condition, WhenComparison):
        return [condition.value] if condition.variable == variable else []
    if isinstance(condition, Not):
        return _constants(condition.operand, variable)
    assert isinstance(condition, BoolOp)
    return [c for operand in condition.operands for c in _constants(operand, variable)]
