"""Findings: protocol thresholds judged on whole (adjusted) intervals, never on points alone."""

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ..protocol import Condition, Protocol, Threshold, evaluate_when, parse_when, when_variables
from ..protocol._when import BoolOp, Not
from ..protocol._when import Comparison as WhenComparison
from ._difference import IntervalMethod
from ._results import Comparison, Estimate, Finding, FindingStatus


def judge(condition: Condition, intervals: Mapping[str, tuple[float, float]]) -> FindingStatus:
    """Judge a condition over the whole box of its variables' intervals.

    `supported` if it holds at every point of the box, `not supported` if at none,
    `inconclusive` otherwise. The truth is constant between a variable's constants, so probing
    each interval's ends, the constants inside and the midpoints between them is exact.
    """
    names = sorted(intervals)
    axes = []
    for name in names:
        low, high = intervals[name]
        cuts = {c for c in _constants(condition, name) if low < c < high}
        points = sorted({low, high, *cuts})
        axes.append(points + [(a + b) / 2 for a, b in pairwise(points)])
    truths = {
        evaluate_when(condition, dict(zip(names, probe, strict=True)))
        for probe in itertools.product(*axes)
    }
    if truths == {True}:
        return "supported"
    if truths == {False}:
        return "not supported"
    return "inconclusive"


@dataclass(frozen=True)
class _Quantity:
    value: float
    low: float | None
    high: float | None
    level: float
    n: int
    partners: list[str]
    method: IntervalMethod


def findings(
    protocol: Protocol,
    estimates: Sequence[Estimate],
    comparisons: Sequence[Comparison],
    alpha: float,
) -> list[Finding]:
    """Evaluate every threshold of the protocol against the pooled analysis.

    `delta` is judged on the comparison's simultaneous interval (matching the correction of
    its cited adjusted p-value), `estimate` and `reference` on their estimates' intervals.
    """
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
    quantities: dict[str, _Quantity | None] = {}
    extra = ""
    for variable in sorted(when_variables(condition)):
        if variable == "delta":
            row = _pooled_comparison(comparisons, threshold, scorer)
            quantities[variable] = _of_comparison(row, alpha) if row else None
            extra = _p_text(row) if row else ""
        else:
            model = threshold.model if variable == "estimate" else threshold.compare_to
            own = _pooled_estimate(estimates, threshold.task, model or "", scorer)
            quantities[variable] = _of_estimate(own) if own else None
    missing = sorted(k for k, q in quantities.items() if q is None)
    if missing:
        key = (threshold.task, scorer, threshold.model, threshold.compare_to)
        split = any((c.task, c.scorer, c.model, c.reference) == key for c in comparisons)
        hint = ""
        if "delta" in missing:
            hint = (
                "; the partners' runs deviate, so no pooled comparison exists"
                if split
                else "; add the pair to analysis.comparisons"
            )
        return _no_data(
            base,
            f"no {', '.join(missing)} for {threshold.model} on {threshold.task} ({scorer})" + hint,
        )
    present = {k: q for k, q in quantities.items() if q is not None}
    main_name = "delta" if "delta" in present else sorted(present)[0]
    main = present[main_name]
    values = {"value": main.value, "partners": main.partners, "method": main.method}
    without = sorted(k for k, q in present.items() if q.low is None or q.high is None)
    if without:
        why = (
            f"{', '.join(without)} has no interval (one sample, or all scores equal for a "
            "non-binary score): a point value alone supports nothing"
        )
        return Finding(
            **base,
            **values,
            status="inconclusive",
            ci_low=None,
            ci_high=None,
            evidence=why,
            reason=why,
        )
    intervals = {
        k: (q.low, q.high) for k, q in present.items() if q.low is not None and q.high is not None
    }
    status = judge(condition, intervals)
    evidence = (
        "; ".join(
            f"{k} = {q.value:.3f}, {q.level:.1%} CI [{q.low:.3f}, {q.high:.3f}] ({q.method})"
            for k, q in sorted(present.items())
        )
        + f" ({scorer}; partners {', '.join(main.partners)}){extra}"
    )
    reason: str | None = None
    needed: int | None = None
    if status == "inconclusive":
        reason = "the interval straddles the threshold"
        needed = _needed(condition, main_name, main) if len(present) == 1 else None
        if needed:
            reason += f"; about {needed} samples would decide it"
    return Finding(
        **base,
        **values,
        status=status,
        ci_low=main.low,
        ci_high=main.high,
        ci_level=main.level,
        evidence=evidence,
        reason=reason,
        needed_n=needed,
    )


def _of_comparison(row: Comparison, alpha: float) -> _Quantity:
    if row.adjusted_level is not None:
        low, high, level = row.adjusted_ci_low, row.adjusted_ci_high, row.adjusted_level
    else:
        low, high, level = row.ci_low, row.ci_high, 1 - alpha
    return _Quantity(row.delta, low, high, level, row.n, row.partners, row.method)


def _of_estimate(row: Estimate) -> _Quantity:
    return _Quantity(
        row.mean, row.ci_low, row.ci_high, row.ci_level, row.n, row.partners, row.method
    )


def _needed(condition: Condition, name: str, q: _Quantity) -> int | None:
    """About how many samples would shrink the interval off the nearest threshold constant."""
    assert q.low is not None and q.high is not None
    constants = [c for c in _constants(condition, name) if q.low <= c <= q.high]
    if not constants:
        return None
    nearest = min(constants, key=lambda c: abs(c - q.value))
    gap = abs(nearest - q.value)
    reach = (q.high - q.value) if nearest >= q.value else (q.value - q.low)
    if gap == 0 or q.n < 2:
        return None
    return max(q.n + 1, math.ceil(q.n * (reach / gap) ** 2 - 1e-9))


def _no_data(base: dict[str, Any], reason: str) -> Finding:
    return Finding(
        **base,
        status="no data",
        value=None,
        ci_low=None,
        ci_high=None,
        partners=[],
        evidence=reason,
        reason=reason,
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
    rows = [
        c
        for c in comparisons
        if c.p_adjusted is not None or c.partner is None
        if (c.task, c.scorer, c.model, c.reference) == key
    ]
    pooled = [c for c in rows if c.partner is None]
    if pooled:
        return pooled[0]
    return rows[0] if len(rows) == 1 else None


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
