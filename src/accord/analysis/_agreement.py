"""Agreement between two graders: percent agreement, Cohen's kappa, Krippendorff's alpha."""

from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np

from ._core import combine
from ._results import Agreement, Interval
from ._table import FloatArray, IntArray, ScoreTable

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20241127


def _confusion(a: IntArray, b: IntArray, k: int, weights: FloatArray | None = None) -> FloatArray:
    """K x k counts of (a, b) category pairs; with `weights` of shape (B, n) a (B, k, k) stack."""
    cells = a * k + b
    if weights is None:
        counts: FloatArray = np.bincount(cells, minlength=k * k).reshape(k, k).astype(np.float64)
        return counts
    stacked: FloatArray = np.stack(
        [np.bincount(cells, weights=w, minlength=k * k) for w in weights]
    )
    return stacked.reshape(-1, k, k)


def percent_agreement(confusion: FloatArray) -> FloatArray:
    """Share of items on which both graders agree."""
    share: FloatArray = np.trace(confusion, axis1=-2, axis2=-1) / confusion.sum(axis=(-2, -1))
    return share


def cohen_kappa(confusion: FloatArray) -> FloatArray:
    """Cohen's kappa from a (stack of) confusion matrices."""
    total = confusion.sum(axis=(-2, -1))
    observed = np.trace(confusion, axis1=-2, axis2=-1) / total
    expected = (confusion.sum(axis=-1) * confusion.sum(axis=-2)).sum(axis=-1) / total**2
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa: FloatArray = (observed - expected) / (1 - expected)
    return kappa


def _ordinal_distance(marginals: FloatArray) -> FloatArray:
    """Krippendorff's ordinal metric: (n_c + ... + n_k - (n_c + n_k) / 2)^2 for c != k."""
    k = marginals.shape[-1]
    zero = np.zeros((*marginals.shape[:-1], 1))
    cumulative = np.concatenate([zero, np.cumsum(marginals, axis=-1)], axis=-1)
    c, d = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    lo, hi = np.minimum(c, d), np.maximum(c, d)
    span = cumulative[..., hi + 1] - cumulative[..., lo]
    ends = (marginals[..., :, None] + marginals[..., None, :]) / 2
    distance: FloatArray = np.where(c == d, 0.0, (span - ends) ** 2)
    return distance


def krippendorff_alpha(confusion: FloatArray, level: str) -> FloatArray:
    """Krippendorff's alpha for two graders and no missing values (nominal or ordinal).

    The coincidence matrix is o = M + M^T; alpha = 1 - (n - 1) sum o_ck d_ck / sum n_c n_k d_ck.
    """
    coincidence = confusion + np.swapaxes(confusion, -1, -2)
    marginals = coincidence.sum(axis=-1)
    n = marginals.sum(axis=-1)
    k = confusion.shape[-1]
    if level == "nominal":
        distance = np.broadcast_to(1.0 - np.eye(k), coincidence.shape)
    else:
        distance = _ordinal_distance(marginals)
    observed = (coincidence * distance).sum(axis=(-2, -1))
    expected = (marginals[..., :, None] * marginals[..., None, :] * distance).sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha: FloatArray = 1 - (n - 1) * observed / expected
    return alpha


def agreement_between(
    a_values: FloatArray,
    b_values: FloatArray,
    alpha: float,
    resamples: int = BOOTSTRAP_RESAMPLES,
    units: IntArray | None = None,
) -> dict[str, Interval]:
    """Agreement statistics with percentile bootstrap intervals (fixed seed).

    The bootstrap resamples `units` (e.g. the sample, or the cluster, of each graded item:
    epochs of one sample are not independent items); each item by default. Categories are
    the distinct values of both graders, ordered numerically (as the ordinal alpha uses).
    """
    categories, codes = np.unique(np.concatenate([a_values, b_values]), return_inverse=True)
    n = a_values.shape[0]
    a, b = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
    k = max(int(categories.shape[0]), 2)
    point = _confusion(a, b, k)
    _, unit = np.unique(np.arange(n) if units is None else units, return_inverse=True)
    m = int(unit.max()) + 1
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = rng.multinomial(m, np.full(m, 1.0 / m), size=resamples).astype(np.float64)
    boot = _confusion(a, b, k, draws[:, unit])
    statistics: dict[str, Callable[[FloatArray], FloatArray]] = {
        "percent": percent_agreement,
        "kappa": cohen_kappa,
        "alpha_nominal": lambda m: krippendorff_alpha(m, "nominal"),
        "alpha_ordinal": lambda m: krippendorff_alpha(m, "ordinal"),
    }
    out = {}
    for name, fn in statistics.items():
        value = float(fn(point))
        draws = fn(boot)
        draws = draws[np.isfinite(draws)]
        low, high = (
            np.quantile(draws, [alpha / 2, 1 - alpha / 2]) if draws.size else (np.nan, np.nan)
        )
        out[name] = Interval(
            value=value if np.isfinite(value) else None,
            ci_low=float(low) if np.isfinite(low) else None,
            ci_high=float(high) if np.isfinite(high) else None,
        )
    return out


def agreements(
    table: ScoreTable,
    alpha: float,
    graders: Mapping[str, Sequence[str]],
    clustered_tasks: Collection[str] = (),
) -> list[Agreement]:
    """Agreement for each pair of a task's declared graders (the same construct) per run.

    Items are the sample-epochs both graders scored; the bootstrap resamples samples, or
    clusters for a clustered task. Scorers not declared as graders of a task are never
    compared: two metrics of one scorer are two measures, not two graders.
    """
    run, first = combine(table.task, table.model, table.partner)
    out = []
    for r, row in enumerate(first):
        task = table.label("task", int(table.task[row]))
        declared = [table.code("scorer", name) for name in graders.get(task, [])]
        codes = [c for c in declared if c is not None]
        in_run = run == r
        for i, sa in enumerate(codes):
            for sb in codes[i + 1 :]:
                item_a = in_run & (table.scorer == sa)
                item_b = in_run & (table.scorer == sb)
                key_a = table.sample[item_a] * 100_000 + table.epoch[item_a]
                key_b = table.sample[item_b] * 100_000 + table.epoch[item_b]
                shared, ia, ib = np.intersect1d(key_a, key_b, return_indices=True)
                if shared.size < 2:
                    continue
                units = (
                    table.cluster[item_a][ia]
                    if task in clustered_tasks
                    else table.sample[item_a][ia]
                )
                stats = agreement_between(
                    table.value[item_a][ia], table.value[item_b][ib], alpha, units=units
                )
                out.append(
                    Agreement(
                        task=task,
                        model=table.label("model", int(table.model[row])),
                        partner=table.label("partner", int(table.partner[row])),
                        grader_a=table.label("scorer", int(sa)),
                        grader_b=table.label("scorer", int(sb)),
                        n=int(shared.size),
                        resampled=f"{'clusters' if task in clustered_tasks else 'samples'} "
                        f"({np.unique(units).size})",
                        **stats,
                    )
                )
    return out
