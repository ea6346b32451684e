"""Sample-size planning for paired comparisons and cross-site replications (normal theory)."""

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._core import combine, paired_units, unit_means
from ._table import ScoreTable


@dataclass(frozen=True)
class VarianceModel:
    """What is assumed about scores when planning.

    Attributes:
        score_variance: Variance of one score.
        within_fraction: Share of it that varies between epochs of one sample.
        correlation: Correlation of the per-sample means being differenced.
    """

    score_variance: float
    within_fraction: float
    correlation: float

    def difference_sd(self, epochs: int) -> float:
        """SD of one sample's difference of two epoch-averaged scores."""
        per_sample = self.score_variance * (
            1 - self.within_fraction + self.within_fraction / epochs
        )
        return math.sqrt(max(2 * per_sample * (1 - self.correlation), 0.0))


def minimum_detectable_difference(
    n: int, epochs: int, alpha: float, power: float, model: VarianceModel
) -> float:
    """Smallest true paired difference a two-sided test at `alpha` detects with `power`."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(z * model.difference_sd(epochs) / math.sqrt(n))


def samples_needed(
    delta: float, epochs: int, alpha: float, power: float, model: VarianceModel
) -> int:
    """Samples for a two-sided paired test at `alpha` to detect `delta` with `power`."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return max(2, math.ceil(float(z * model.difference_sd(epochs) / abs(delta)) ** 2))


def equivalence_margin(
    n: int, epochs: int, alpha: float, power: float, model: VarianceModel
) -> float:
    """Smallest margin TOST shows equivalence for, with `power`, when partners truly agree."""
    z = stats.norm.ppf(1 - alpha) + stats.norm.ppf(1 - (1 - power) / 2)
    return float(z * model.difference_sd(epochs) / math.sqrt(n))


def samples_for_margin(
    margin: float, epochs: int, alpha: float, power: float, model: VarianceModel
) -> int:
    """Samples for TOST at `alpha` to show equivalence within `margin` with `power`."""
    z = stats.norm.ppf(1 - alpha) + stats.norm.ppf(1 - (1 - power) / 2)
    return max(2, math.ceil(float(z * model.difference_sd(epochs) / margin) ** 2))


def pilot_assumptions(table: ScoreTable, pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Variance assumptions estimated from pilot scores.

    score_variance: variance of single scores, averaged over (task, model, partner, scorer)
    runs; within_fraction: mean variance between epochs of a sample over score_variance (0
    with one epoch); correlation: mean Pearson correlation of paired models' sample means.
    """
    group, first = combine(table.task, table.model, table.partner, table.scorer)
    variances, within = [], []
    for g in range(first.shape[0]):
        values = table.value[group == g]
        if values.size > 1:
            variances.append(float(np.var(values, ddof=1)))
        unit, _ = combine(table.sample[group == g])
        counts = np.bincount(unit)
        if np.any(counts > 1):
            means = np.bincount(unit, weights=values) / counts
            spread = np.bincount(unit, weights=(values - means[unit]) ** 2) / np.maximum(
                counts - 1, 1
            )
            within.append(float(np.mean(spread[counts > 1])))
    result: dict[str, float] = {}
    if variances:
        result["score_variance"] = max(float(np.mean(variances)), 1e-12)
        if within:
            result["within_fraction"] = min(float(np.mean(within)) / result["score_variance"], 1.0)
    correlations = []
    units = unit_means(
        combine(table.task, table.model, table.scorer)[0], table.sample, table.value, table.cluster
    )
    for model, reference in pairs:
        m, r = table.code("model", model), table.code("model", reference)
        if m is None or r is None:
            continue
        _, run_first = combine(table.task, table.model, table.scorer)
        for ga in np.nonzero(table.model[run_first] == m)[0]:
            task, scorer = table.task[run_first[ga]], table.scorer[run_first[ga]]
            match = np.nonzero(
                (table.model[run_first] == r)
                & (table.task[run_first] == task)
                & (table.scorer[run_first] == scorer)
            )[0]
            if not match.size:
                continue
            a, b = units.group == ga, units.group == match[0]
            _, xa, xb = paired_units(units.sample[a], units.mean[a], units.sample[b], units.mean[b])
            if xa.size > 2 and np.std(xa) > 0 and np.std(xb) > 0:
                correlations.append(float(np.corrcoef(xa, xb)[0, 1]))
    if correlations:
        result["correlation"] = float(np.mean(correlations))
    return result
