"""Seeded, bounded simulations (large ones: benchmarks/coverage.py): coverage and TOST errors."""

import math

import numpy as np
import pytest

from accord.analysis import (
    Design,
    RunData,
    ScoreTable,
    VarianceModel,
    difference,
    replications,
    samples_needed,
)
from accord.analysis._simulation import Scenario, coverage, scenarios, tost_rates

ALPHA = 0.05
SCENARIOS = {s.name: s for s in scenarios()}


def reps_for(scenario: Scenario) -> int:
    return 4000 if scenario.kind == "estimate" else 3000 if scenario.benign else 800


@pytest.mark.parametrize("name", list(SCENARIOS), ids=lambda n: n)
def test_95_percent_intervals_cover_at_least_93_percent(name: str) -> None:
    scenario = SCENARIOS[name]
    rate = coverage(scenario, reps_for(scenario), seed=2024)
    assert rate >= 0.93, f"{name}: coverage {rate:.3f}"
    if scenario.benign:
        assert 0.94 <= rate <= 0.96, f"{name}: coverage {rate:.3f}"


MC = 3 * math.sqrt(ALPHA * (1 - ALPHA) / 500)  # three Monte Carlo standard errors


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "continuous"])
@pytest.mark.parametrize("n", [36, 100, 500])
@pytest.mark.parametrize("coupling", [0.9, 1.0])
def test_tost_keeps_alpha_at_the_margin_and_at_zero(binary: bool, n: int, coupling: float) -> None:
    at_margin = tost_rates(n, 0.05, coupling, binary, reps=500, seed=n)
    assert at_margin["consistent"] <= ALPHA + MC, at_margin
    at_zero = tost_rates(n, 0.0, coupling, binary, reps=500, seed=n + 1)
    assert at_zero["inconsistent"] <= ALPHA + MC, at_zero


def test_tost_finds_agreement_when_there_is_enough_data() -> None:
    """Honest is not the same as useless: 500 closely agreeing samples are consistent."""
    rates = tost_rates(500, 0.0, 0.98, True, reps=200, seed=5)
    assert rates["consistent"] > 0.9


def test_replications_without_manifests_are_not_assumed_comparable() -> None:
    rng = np.random.default_rng(7)
    n, reps = 50, 20
    p = rng.random((reps, n))
    a = (rng.random((reps, n)) < p).astype(float)
    b = (rng.random((reps, n)) < p).astype(float)
    model = np.concatenate([np.repeat(np.arange(reps), n)] * 2)
    sample = np.concatenate([np.tile(np.arange(n), reps)] * 2)
    partner = np.repeat([0, 1], reps * n)
    zeros = np.zeros(model.size, np.int64)
    table = ScoreTable(
        zeros,
        model,
        partner,
        zeros,
        sample,
        np.ones_like(zeros),
        np.concatenate([a.ravel(), b.ravel()]),
        -np.ones_like(zeros),
        {
            "task": ["t"],
            "model": [str(i) for i in range(reps)],
            "partner": ["p0", "p1"],
            "scorer": ["s"],
            "sample": [str(i) for i in range(n)],
            "cluster": [],
        },
    )
    verdicts = [r.verdict for r in replications(table, {}, 0.05, 0.05, set())]
    assert len(verdicts) == reps and set(verdicts) == {"deviation"}


@pytest.mark.parametrize(
    ("delta", "sd", "cluster_size", "icc"), [(0.5, 0.5, 1, 0.0), (0.2, 0.5, 20, 0.05)]
)
def test_planned_samples_have_the_planned_power(
    delta: float, sd: float, cluster_size: int, icc: float
) -> None:
    """Simulated power of the planned n, tested as the analysis will test, is 0.80 +- 0.03."""
    model = VarianceModel(sd**2 / 2, 0.0, 0.0)  # paired-difference SD = sd
    design = Design(float(cluster_size), 0.0, icc)
    n = samples_needed(delta, 1, 0.05, 0.8, model, design)
    if cluster_size > 1:
        n = math.ceil(n / cluster_size) * cluster_size
    reps = 3000
    rng = np.random.default_rng(11)
    clusters = n // cluster_size if cluster_size > 1 else n
    label = np.repeat(np.arange(clusters), cluster_size) if cluster_size > 1 else np.arange(n)
    effect = rng.normal(0, sd * math.sqrt(icc), (reps, clusters))[:, label]
    d = delta + effect + rng.normal(0, sd * math.sqrt(1 - icc), (reps, n))
    samples, ones = np.arange(n, dtype=np.int64), np.ones(n, np.int64)
    codes = label if cluster_size > 1 else -ones
    zero = RunData(samples, np.zeros(n), codes, ones, False)
    rejected = []
    for rep in range(reps):  # the paired comparison the analysis runs: model - reference
        diff = difference(RunData(samples, d[rep], codes, ones, False), zero, cluster_size > 1)
        interval = diff.interval(0.05)
        rejected.append(interval is not None and interval[0] > 0)
    power = float(np.mean(rejected))
    assert abs(power - 0.8) <= 0.03, f"n = {n}: simulated power {power:.3f}"
    if cluster_size == 1:
        assert n == 10  # statsmodels' TTestPower().solve_power(1.0, power=0.8) = 9.94
