"""Safeguard efficacy: how often a system's guards block harmful items, and benign ones.

The rates are the estimates of the `safeguard` scorer's keys (see `accord.run`), so they
carry the same intervals as any binary score: Wilson on effective counts, clustered where
the task is. Efficacy is the block rate on harmful items; over-blocking on benign items.
"""

from ._results import Estimate, SafeguardRate

_PREFIX = "safeguard/"
_EFFICACY = "safeguard/blocked_harmful"
_OVER_BLOCKING = "safeguard/blocked_benign"
_OVERALL = "safeguard/blocked"


def safeguard_rates(estimates: list[Estimate]) -> list[SafeguardRate]:
    """One row per task x system x partner (and pooled) that has guard decisions."""
    groups: dict[tuple[str, str, str | None], dict[str, Estimate]] = {}
    for estimate in estimates:
        if estimate.scorer.startswith(_PREFIX):
            key = (estimate.task, estimate.model, estimate.partner)
            groups.setdefault(key, {})[estimate.scorer] = estimate
    rows = []
    for (task, model, partner), found in groups.items():
        overall = found.get(_OVERALL)
        if overall is None:
            continue
        efficacy, over = found.get(_EFFICACY), found.get(_OVER_BLOCKING)
        rows.append(
            SafeguardRate(
                task=task,
                model=model,
                partner=partner,
                partners=overall.partners,
                blocked=overall,
                efficacy=efficacy,
                over_blocking=over,
                note=_note(efficacy, over),
            )
        )
    return rows


def _note(efficacy: Estimate | None, over: Estimate | None) -> str | None:
    if efficacy is None and over is None:
        return (
            "no items are labelled harmful or benign (sample metadata `kind`), so only the "
            "overall block rate is known"
        )
    missing = [name for name, e in (("harmful", efficacy), ("benign", over)) if e is None]
    if missing:
        return f"no {missing[0]} items: that rate is unknown"
    return None
