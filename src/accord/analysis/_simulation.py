"""Seeded simulations of the method's promises: interval coverage and TOST error rates.

The test suite runs them small; `benchmarks/coverage.py` runs them large and prints the table
that docs/methodology.md records.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._core import RunData
from ._difference import difference
from ._estimates import estimates
from ._reproduce import equivalence
from ._table import ScoreTable


@dataclass(frozen=True)
class Draw:
    """One simulated dataset family: per-sample scores of `reps` replicates.

    values: (reps, n, epochs) scores; clusters: (n,) cluster of each sample (-1: none).
    """

    values: np.ndarray
    clusters: np.ndarray


@dataclass(frozen=True)
class Scenario:
    """A named data-generating process with its true mean (or difference)."""

    name: str
    kind: str  # "estimate", "paired", "unpaired"
    truth: float
    benign: bool
    draw: Callable[[np.random.Generator, int], tuple[Draw, Draw | None]]


def _binary(p: float, n: int) -> Callable[[np.random.Generator, int], tuple[Draw, None]]:
    def draw(rng: np.random.Generator, reps: int) -> tuple[Draw, None]:
        values = (rng.random((reps, n, 1)) < p).astype(float)
        return Draw(values, -np.ones(n, np.int64)), None

    return draw


def _epochs(
    mean: float, n: int, epochs: int
) -> Callable[[np.random.Generator, int], tuple[Draw, None]]:
    """Rare successes over epochs: per-sample rates Beta(0.5, 0.5 (1 - mean) / mean)."""

    def draw(rng: np.random.Generator, reps: int) -> tuple[Draw, None]:
        rate = rng.beta(0.5, 0.5 * (1 - mean) / mean, (reps, n, 1))
        values = (rng.random((reps, n, epochs)) < rate).astype(float)
        return Draw(values, -np.ones(n, np.int64)), None

    return draw


def _skewed(kind: str, n: int) -> Callable[[np.random.Generator, int], tuple[Draw, None]]:
    def draw(rng: np.random.Generator, reps: int) -> tuple[Draw, None]:
        if kind == "beta":
            values = rng.beta(0.3, 3.0, (reps, n, 1))
        else:
            values = rng.exponential(1.0, (reps, n, 1))
        return Draw(values, -np.ones(n, np.int64)), None

    return draw


def cluster_sizes(clusters: int, unequal: bool, total: int = 200) -> np.ndarray:
    """Equal sizes, or very unequal ones (geometric, largest about 13x the smallest)."""
    if not unequal:
        return np.full(clusters, total // clusters)
    weights = np.geomspace(1, 13, clusters)
    sizes: np.ndarray = np.maximum(np.round(weights / weights.sum() * total), 2).astype(np.int64)
    return sizes


def _clustered(
    clusters: int, unequal: bool, icc: float, binary: bool
) -> Callable[[np.random.Generator, int], tuple[Draw, None]]:
    sizes = cluster_sizes(clusters, unequal)
    label = np.repeat(np.arange(clusters), sizes)

    def draw(rng: np.random.Generator, reps: int) -> tuple[Draw, None]:
        effect = rng.normal(0, np.sqrt(icc), (reps, clusters))[:, label]
        latent = effect + rng.normal(0, np.sqrt(1 - icc), (reps, label.size))
        values = (latent > 0).astype(float) if binary else latent
        return Draw(values[:, :, None], label.astype(np.int64)), None

    return draw


def _paired(
    p_model: float, p_reference: float, n: int, binary: bool
) -> Callable[[np.random.Generator, int], tuple[Draw, Draw]]:
    """Two models on the same samples, sharing a sample difficulty (positively correlated)."""

    def draw(rng: np.random.Generator, reps: int) -> tuple[Draw, Draw]:
        none = -np.ones(n, np.int64)
        if binary:
            u = rng.random((reps, n, 1))  # shared difficulty: comonotone latent
            noise = rng.random((reps, n, 1))
            shared = rng.random((reps, n, 1)) < 0.7
            a = (np.where(shared, u, noise) < p_model).astype(float)
            b = (u < p_reference).astype(float)
        else:
            base = rng.normal(0, 1, (reps, n, 1))
            a = p_model + base + rng.normal(0, 0.5, (reps, n, 1))
            b = p_reference + base + rng.normal(0, 0.5, (reps, n, 1))
        return Draw(a, none), Draw(b, none)

    return draw


def _unpaired(
    p_model: float, p_reference: float, n: int, binary: bool
) -> Callable[[np.random.Generator, int], tuple[Draw, Draw]]:
    def draw(rng: np.random.Generator, reps: int) -> tuple[Draw, Draw]:
        none = -np.ones(n, np.int64)
        if binary:
            a = (rng.random((reps, n, 1)) < p_model).astype(float)
            b = (rng.random((reps, n, 1)) < p_reference).astype(float)
        else:
            a = rng.normal(p_model, 1.0, (reps, n, 1))
            b = rng.normal(p_reference, 2.0, (reps, n, 1))
        return Draw(a, none), Draw(b, none)

    return draw


def _paired_clustered(
    clusters: int, icc: float, binary: bool, paired: bool = True
) -> Callable[[np.random.Generator, int], tuple[Draw, Draw]]:
    """Two models on very unequal clusters: latent = cluster + sample + noise (variance 1).

    Binary: model succeeds at rate 0.3, reference at 0.2 (truth 0.1); normal: shift 0.2.
    Unpaired: the reference gets its own cluster and sample effects.
    """
    sizes = cluster_sizes(clusters, True)
    label = np.repeat(np.arange(clusters), sizes).astype(np.int64)
    n = label.size
    cut_a, cut_b = stats.norm.ppf(0.7), stats.norm.ppf(0.8)

    def draw(rng: np.random.Generator, reps: int) -> tuple[Draw, Draw]:
        def common() -> np.ndarray:
            effect = rng.normal(0, np.sqrt(icc), (reps, clusters))[:, label]
            return effect + rng.normal(0, np.sqrt(0.5 - icc), (reps, n))

        shared = common()
        a = shared + rng.normal(0, np.sqrt(0.5), (reps, n))
        b = (shared if paired else common()) + rng.normal(0, np.sqrt(0.5), (reps, n))
        if binary:
            a, b = (a > cut_a).astype(float), (b > cut_b).astype(float)
        else:
            a = a + 0.2
        return Draw(a[:, :, None], label), Draw(b[:, :, None], label)

    return draw


def _paired_epochs(
    mean: float, n: int, epochs: int
) -> Callable[[np.random.Generator, int], tuple[Draw, Draw]]:
    """Rare successes over epochs; the model's rate is 0.95 r + 0.05 of the reference's r."""

    def draw(rng: np.random.Generator, reps: int) -> tuple[Draw, Draw]:
        rate = rng.beta(0.5, 0.5 * (1 - mean) / mean, (reps, n, 1))
        none = -np.ones(n, np.int64)
        a = (rng.random((reps, n, epochs)) < 0.95 * rate + 0.05).astype(float)
        b = (rng.random((reps, n, epochs)) < rate).astype(float)
        return Draw(a, none), Draw(b, none)

    return draw


def scenarios() -> list[Scenario]:
    """Every coverage scenario of docs/methodology.md."""
    out = [
        Scenario(
            f"binary p={p} n={n}",
            "estimate",
            p,
            p == 0.5 and n == 200,
            _binary(p, n),
        )
        for p in (0.02, 0.05, 0.1, 0.5, 0.95)
        for n in (20, 50, 200)
    ]
    out += [
        Scenario(f"epochs rare mean={m} n={n} x 5", "estimate", m, False, _epochs(m, n, 5))
        for m in (0.02, 0.05)
        for n in (30, 100)
    ]
    out += [
        Scenario(f"Beta(0.3, 3) n={n}", "estimate", 0.3 / 3.3, False, _skewed("beta", n))
        for n in (10, 30, 50)
    ]
    out += [
        Scenario(f"exponential n={n}", "estimate", 1.0, False, _skewed("exponential", n))
        for n in (10, 30, 50)
    ]
    out += [
        Scenario(
            f"clusters C={c} {'unequal' if u else 'equal'} icc={icc} {'binary' if b else 'normal'}",
            "estimate",
            0.5 if b else 0.0,
            not u and not b and c >= 10,
            _clustered(c, u, icc, b),
        )
        for c in (5, 10, 20)
        for u in (False, True)
        for icc in (0.05, 0.3)
        for b in (False, True)
    ]
    out += [
        Scenario(
            f"paired binary {pa} vs {pb} n={n}", "paired", pa - pb, False, _paired(pa, pb, n, True)
        )
        for pa, pb in ((0.1, 0.05), (0.5, 0.4))
        for n in (20, 50, 200)
    ]
    out += [
        Scenario(f"paired normal n={n}", "paired", 0.2, True, _paired(0.2, 0.0, n, False))
        for n in (20, 50)
    ]
    out += [
        Scenario(
            f"unpaired binary {pa} vs {pb} n={n}",
            "unpaired",
            pa - pb,
            False,
            _unpaired(pa, pb, n, True),
        )
        for pa, pb in ((0.1, 0.05), (0.5, 0.4))
        for n in (20, 50, 200)
    ]
    out += [
        Scenario(f"unpaired normal n={n}", "unpaired", 0.2, True, _unpaired(0.2, 0.0, n, False))
        for n in (20, 50)
    ]
    out += [
        Scenario(
            f"{kind} clustered {'binary' if b else 'normal'} C={c} unequal icc=0.3",
            kind,
            0.1 if b else 0.2,
            False,
            _paired_clustered(c, 0.3, b, kind == "paired"),
        )
        for kind in ("paired", "unpaired")
        for c in (5, 10, 20)
        for b in (True, False)
    ]
    out += [
        Scenario(
            f"paired epochs rare mean={m} n={n} x 5",
            "paired",
            0.05 - 0.05 * m,
            False,
            _paired_epochs(m, n, 5),
        )
        for m in (0.02, 0.05)
        for n in (30, 100)
    ]
    return out


def _table(draw: Draw) -> ScoreTable:
    """Each replicate as one model of a one-task table."""
    reps, n, epochs = draw.values.shape
    size = reps * n * epochs
    model = np.repeat(np.arange(reps), n * epochs)
    sample = np.tile(np.repeat(np.arange(n), epochs), reps)
    cluster = np.tile(np.repeat(draw.clusters, epochs), reps)
    zeros = np.zeros(size, np.int64)
    levels = {
        "task": ["t"],
        "model": [str(i) for i in range(reps)],
        "partner": ["p"],
        "scorer": ["s"],
        "sample": [str(i) for i in range(n)],
        "cluster": [str(i) for i in range(int(draw.clusters.max()) + 1)],
    }
    epoch = np.tile(np.arange(1, epochs + 1), reps * n)
    return ScoreTable(
        zeros, model, zeros, zeros, sample, epoch, draw.values.ravel(), cluster, levels
    )


def _run(draw: Draw, rep: int) -> RunData:
    values = draw.values[rep]
    n, epochs = values.shape
    binary = bool(np.all((values == 0) | (values == 1)))
    return RunData(
        np.arange(n, dtype=np.int64), values.mean(axis=1), draw.clusters, np.full(n, epochs), binary
    )


def coverage(scenario: Scenario, reps: int, seed: int, alpha: float = 0.05) -> float:
    """Share of `reps` simulated (1 - alpha) intervals that contain the truth."""
    rng = np.random.default_rng(seed)
    first, second = scenario.draw(rng, reps)
    clustered = bool(np.any(first.clusters >= 0))
    if scenario.kind == "estimate":
        rows = estimates(_table(first), alpha, {"t"} if clustered else set())
        hits = [
            e.ci_low is not None
            and e.ci_high is not None
            and e.ci_low <= scenario.truth <= e.ci_high
            for e in rows
        ]
        return float(np.mean(hits))
    assert second is not None
    hits = []
    for rep in range(reps):
        a, b = _run(first, rep), _run(second, rep)
        if scenario.kind == "unpaired":
            b = RunData(b.samples + a.samples.size, b.means, b.clusters, b.counts, b.binary)
        interval = difference(a, b, clustered).interval(alpha)
        hits.append(interval is not None and interval[0] <= scenario.truth <= interval[1])
    return float(np.mean(hits))


def tost_rates(
    n: int,
    delta: float,
    coupling: float,
    binary: bool,
    reps: int,
    seed: int,
    margin: float = 0.05,
    alpha: float = 0.05,
    judge: Callable[[np.ndarray, np.ndarray], str] | None = None,
) -> dict[str, float]:
    """Verdict shares of TOST for two sites whose true difference is `delta`.

    coupling: share of samples on which the sites' scores are identical (temperature 0 near
    1.0); elsewhere each site draws independently. Binary scores at base rate 0.3, or normal.
    `judge(a, b)` replaces Accord's verdict (for baselines).
    """
    rng = np.random.default_rng(seed)
    counts = {"consistent": 0, "inconsistent": 0, "inconclusive": 0}
    samples = np.arange(n, dtype=np.int64)
    ones, none = np.ones(n, np.int64), -np.ones(n, np.int64)
    for _ in range(reps):
        same = rng.random(n) < coupling
        if binary:
            # a-site rate 0.3 + delta, b-site 0.3; identical draws where coupled (and shifted
            # by a discordant +1 on a delta share of them, so the truth is exactly delta).
            u = rng.random(n)
            b = (u < 0.3).astype(float)
            a_free = (rng.random(n) < 0.3 + delta).astype(float)
            shift = (rng.random(n) < delta / 0.7) & (b == 0)
            a = np.where(same, np.where(shift, 1.0, b), a_free)
        else:
            base = rng.normal(0, 1, n)
            a = np.where(same, base + delta, rng.normal(delta, 1, n))
            b = np.where(same, base, rng.normal(0, 1, n))
        if judge is not None:
            counts[judge(a, b)] += 1
            continue
        diff = difference(
            RunData(samples, a, none, ones, binary), RunData(samples, b, none, ones, binary), False
        )
        verdict, _ = equivalence(diff, margin, alpha)
        counts[verdict] += 1
    return {k: v / reps for k, v in counts.items()}
