"""Simulation (small here, large in benchmarks/analysis.py): CI coverage and TOST error rate."""

import numpy as np
import pytest

from accord.analysis import ScoreTable, estimates, replications

REPS = 6000


def coded_table(
    model: np.ndarray,
    sample: np.ndarray,
    value: np.ndarray,
    cluster: np.ndarray | None = None,
    partner: np.ndarray | None = None,
    epoch: np.ndarray | None = None,
) -> ScoreTable:
    n = value.shape[0]
    zeros = np.zeros(n, dtype=np.int64)
    partner = zeros if partner is None else partner
    levels = {
        "task": ["t"],
        "model": [str(i) for i in range(int(model.max()) + 1)],
        "partner": [f"p{i}" for i in range(int(partner.max()) + 1)],
        "scorer": ["s"],
        "sample": [str(i) for i in range(int(sample.max()) + 1)],
        "cluster": [str(i) for i in range(int(cluster.max()) + 1)] if cluster is not None else [],
    }
    return ScoreTable(
        task=zeros,
        model=model,
        partner=partner,
        scorer=zeros,
        sample=sample,
        epoch=np.ones(n, dtype=np.int64) if epoch is None else epoch,
        value=value,
        cluster=-np.ones(n, dtype=np.int64) if cluster is None else cluster,
        levels=levels,
    )


def coverage(table: ScoreTable, truth: float, clustered: bool) -> float:
    rows = estimates(table, 0.05, {"t"} if clustered else set())
    assert len(rows) == REPS
    return float(np.mean([e.ci_low <= truth <= e.ci_high for e in rows]))


def scenario(name: str, rng: np.random.Generator) -> tuple[ScoreTable, float, bool]:
    if name == "continuous":
        n = 30
        model = np.repeat(np.arange(REPS), n)
        return (
            coded_table(model, np.tile(np.arange(n), REPS), rng.normal(0.5, 1.0, REPS * n)),
            0.5,
            False,
        )
    if name == "binary":
        n = 200
        model = np.repeat(np.arange(REPS), n)
        return (
            coded_table(
                model, np.tile(np.arange(n), REPS), (rng.random(REPS * n) < 0.3).astype(float)
            ),
            0.3,
            False,
        )
    if name == "clustered":
        clusters, size = 20, 10
        n = clusters * size
        effects = np.repeat(rng.normal(0, 1, (REPS, clusters)), size, axis=1).ravel()
        cluster = np.tile(np.repeat(np.arange(clusters), size), REPS)
        model = np.repeat(np.arange(REPS), n)
        return (
            coded_table(
                model, np.tile(np.arange(n), REPS), effects + rng.normal(0, 1, REPS * n), cluster
            ),
            0.0,
            True,
        )
    n, epochs = 40, 4
    sample_effect = np.repeat(rng.normal(0, 1, (REPS, n)), epochs, axis=1).ravel()
    model = np.repeat(np.arange(REPS), n * epochs)
    sample = np.tile(np.repeat(np.arange(n), epochs), REPS)
    epoch = np.tile(np.arange(1, epochs + 1), REPS * n)
    return (
        coded_table(
            model, sample, 1.0 + sample_effect + rng.normal(0, 1, REPS * n * epochs), epoch=epoch
        ),
        1.0,
        False,
    )


@pytest.mark.parametrize("name", ["continuous", "binary", "clustered", "multi-epoch"])
def test_95_percent_intervals_cover_the_truth_94_to_96_percent(name: str) -> None:
    table, truth, clustered = scenario(name, np.random.default_rng(2024))
    rate = coverage(table, truth, clustered)
    assert 0.94 <= rate <= 0.96, f"{name}: coverage {rate:.3f}"


def test_replications_without_manifests_are_not_assumed_comparable() -> None:
    rng = np.random.default_rng(7)
    n, reps = 50, 20
    p = rng.random((reps, n))  # per-sample true rates, the same model at both partners
    a = (rng.random((reps, n)) < p).astype(float)
    b = (rng.random((reps, n)) < p).astype(float)
    model = np.concatenate([np.repeat(np.arange(reps), n)] * 2)
    sample = np.concatenate([np.tile(np.arange(n), reps)] * 2)
    partner = np.repeat([0, 1], reps * n)
    table = coded_table(model, sample, np.concatenate([a.ravel(), b.ravel()]), partner=partner)
    verdicts = [r.verdict for r in replications(table, {}, 0.05, 0.05, set())]
    assert len(verdicts) == reps
    assert set(verdicts) == {"deviation"}  # comparability cannot be checked without manifests


def test_tost_calls_identical_models_inconsistent_at_most_alpha() -> None:
    from accord.analysis import tost

    rng = np.random.default_rng(8)
    n, reps, margin = 100, 4000, 0.05
    p = rng.random((reps, n))
    d = (rng.random((reps, n)) < p).astype(float) - (rng.random((reps, n)) < p).astype(float)
    means, ses = d.mean(axis=1), d.std(axis=1, ddof=1) / np.sqrt(n)
    verdicts = [
        tost(float(m), float(s), n - 1, margin, 0.05)[1] for m, s in zip(means, ses, strict=True)
    ]
    assert verdicts.count("inconsistent") / reps <= 0.05
    shifted = [
        tost(float(m) + 0.5, float(s), n - 1, margin, 0.05)[1]
        for m, s in zip(means, ses, strict=True)
    ]
    assert (
        shifted.count("inconsistent") / reps > 0.95
    )  # a real difference far beyond the margin is found
