"""Coverage of Accord's 95% intervals and TOST error rates, by seeded simulation (large).

Every scenario of `accord.analysis._simulation` (the test suite runs the same ones small):
binary rates near 0 and 1, rare successes over epochs, skewed continuous scores, few and
unequal clusters, paired and unpaired differences; then TOST's false `consistent` rate at the
margin and false `inconsistent` rate at zero difference, for sites that agree almost perfectly.
Beside each Accord number, the t interval every scenario would get without the score methods
(the baseline the issue measured), so the ratio of errors is visible.

Usage: python benchmarks/coverage.py [--reps 20000] [--pair-reps 4000] [--tost-reps 2000]
"""

import argparse
import math
import time

import numpy as np
from scipy import stats

from accord.analysis import tost
from accord.analysis._simulation import Scenario, scenarios, tost_rates
from accord.analysis._simulation import coverage as accord_coverage


def t_coverage(scenario: Scenario, reps: int, seed: int) -> float:
    """The baseline: the t interval on per-sample means (CR1 with t(C - 1) for clustered
    estimates; paired t or Welch, ignoring clusters, for differences)."""
    rng = np.random.default_rng(seed)
    first, second = scenario.draw(rng, reps)
    a = first.values.mean(axis=2)
    if scenario.kind == "estimate" and np.any(first.clusters >= 0):
        onehot = np.eye(int(first.clusters.max()) + 1)[first.clusters]
        c, n = onehot.shape[1], a.shape[1]
        mean = a.mean(axis=1)
        sums = (a - mean[:, None]) @ onehot
        se = np.sqrt(c / (c - 1) * (sums**2).sum(axis=1)) / n  # CR1, as before this change
        q = stats.t.ppf(0.975, c - 1)
    elif scenario.kind == "estimate":
        d, n = a, a.shape[1]
        mean, se = d.mean(axis=1), d.std(axis=1, ddof=1) / math.sqrt(n)
        q = stats.t.ppf(0.975, n - 1)
    else:
        assert second is not None
        b = second.values.mean(axis=2)
        n = a.shape[1]
        if scenario.kind == "paired":
            d = a - b
            mean, se = d.mean(axis=1), d.std(axis=1, ddof=1) / math.sqrt(n)
            q = stats.t.ppf(0.975, n - 1)
        else:
            va, vb = a.var(axis=1, ddof=1) / n, b.var(axis=1, ddof=1) / n
            mean, se = a.mean(axis=1) - b.mean(axis=1), np.sqrt(va + vb)
            with np.errstate(divide="ignore", invalid="ignore"):
                df = (va + vb) ** 2 / (va**2 / (n - 1) + vb**2 / (n - 1))
            q = stats.t.ppf(0.975, np.where(np.isfinite(df), df, n - 1))
    return float(np.mean((mean - q * se <= scenario.truth) & (scenario.truth <= mean + q * se)))


def t_tost(a: np.ndarray, b: np.ndarray) -> str:
    """The baseline TOST: t tests on the differences; a zero SE counted as proof (as before)."""
    d = a - b
    se = float(d.std(ddof=1) / math.sqrt(d.size))
    if se == 0:
        return "consistent" if abs(float(d.mean())) < 0.05 else "inconsistent"
    return tost(float(d.mean()), se, d.size - 1, 0.05, 0.05)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=20_000, help="datasets per estimate scenario")
    parser.add_argument("--pair-reps", type=int, default=4_000, help="per difference scenario")
    parser.add_argument("--tost-reps", type=int, default=2_000, help="per TOST cell")
    args = parser.parse_args()
    start = time.perf_counter()
    print("| scenario | kind | reps | Accord coverage | t / CR1 coverage (before) | benign |")
    print("|---|---|---|---|---|---|")
    worst = 1.0
    for scenario in scenarios():
        reps = args.reps if scenario.kind == "estimate" else args.pair_reps
        ours = accord_coverage(scenario, reps, seed=7)
        plain = t_coverage(scenario, reps, seed=7)
        worst = min(worst, ours)
        flag = "yes" if scenario.benign else ""
        print(f"| {scenario.name} | {scenario.kind} | {reps} | {ours:.3f} | {plain:.3f} | {flag} |")
    print(f"\nlowest Accord coverage: {worst:.3f}")
    mc = 3 * math.sqrt(0.05 * 0.95 / args.tost_reps)
    print(f"\nTOST, margin 0.05, alpha 0.05 ({args.tost_reps} runs per cell; 3 MC SE = {mc:.3f})")
    print(
        "| scores | n | coupling | false consistent at margin | (t, before) "
        "| false inconsistent at 0 | (t, before) |"
    )
    print("|---|---|---|---|---|---|---|")
    for binary in (True, False):
        for n in (36, 100, 500):
            for coupling in (0.9, 0.95, 1.0):
                at_margin = tost_rates(n, 0.05, coupling, binary, args.tost_reps, seed=n)
                at_zero = tost_rates(n, 0.0, coupling, binary, args.tost_reps, seed=n + 1)
                old_margin = tost_rates(n, 0.05, coupling, binary, args.tost_reps, n, judge=t_tost)
                old_zero = tost_rates(n, 0.0, coupling, binary, args.tost_reps, n + 1, judge=t_tost)
                kind = "binary" if binary else "continuous"
                print(
                    f"| {kind} | {n} | {coupling} | {at_margin['consistent']:.3f} "
                    f"| {old_margin['consistent']:.3f} | {at_zero['inconsistent']:.3f} "
                    f"| {old_zero['inconsistent']:.3f} |"
                )
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
