"""The shared method over 1,000,000 sample-scores in 100 groups, beside pandas + statsmodels.

Groups are 5 tasks x 4 models x 5 partners, each 2,500 samples x 4 epochs; tasks 0-1 are
clustered (25 samples per cluster). Accord computes every estimate, the pooled and
per-partner paired comparisons of models 1-3 against model 0, and all cross-site
replications. Continuous scores take the t / CR2 paths, which the baseline computes the
straightforward way (pandas groupby for epoch means, statsmodels OLS, cluster-robust where
clustered, merges and scipy t tests); prints both times, the ratio and the largest difference
between their numbers. Binary scores take the score-interval paths (Wilson, Tango), timed too.
Coverage simulations: benchmarks/coverage.py.

Usage: python benchmarks/analysis.py
"""

import argparse
import time

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from accord.analysis import ScoreTable, comparisons, estimates, replications

TASKS, MODELS, PARTNERS, SAMPLES, EPOCHS = 5, 4, 5, 2500, 4
CLUSTERED = {"t0", "t1"}
PAIRS = [("m1", "m0"), ("m2", "m0"), ("m3", "m0")]


def make_table(rng: np.random.Generator, binary: bool) -> ScoreTable:
    groups = TASKS * MODELS * PARTNERS
    per_group = SAMPLES * EPOCHS
    task = np.repeat(np.arange(TASKS), MODELS * PARTNERS * per_group)
    model = np.tile(np.repeat(np.arange(MODELS), PARTNERS * per_group), TASKS)
    partner = np.tile(np.repeat(np.arange(PARTNERS), per_group), TASKS * MODELS)
    sample = np.tile(np.repeat(np.arange(SAMPLES), EPOCHS), groups)
    epoch = np.tile(np.arange(1, EPOCHS + 1), groups * SAMPLES)
    difficulty = rng.random((TASKS, SAMPLES))
    skill = np.array([0.0, 0.05, 0.1, -0.05])
    p = np.clip(difficulty[task, sample] + skill[model], 0, 1)
    if binary:
        value = (rng.random(p.shape[0]) < p).astype(np.float64)
    else:
        value = p + rng.normal(0, 0.3, p.shape[0])
    cluster = np.where(task < 2, sample // 25, -1)
    levels = {
        "task": [f"t{i}" for i in range(TASKS)],
        "model": [f"m{i}" for i in range(MODELS)],
        "partner": [f"p{i}" for i in range(PARTNERS)],
        "scorer": ["s"],
        "sample": [str(i) for i in range(SAMPLES)],
        "cluster": [str(i) for i in range(SAMPLES // 25)],
    }
    zeros = np.zeros(p.shape[0], dtype=np.int64)
    return ScoreTable(task, model, partner, zeros, sample, epoch, value, cluster, levels)


def accord_run(table: ScoreTable) -> dict[tuple, float]:
    out: dict[tuple, float] = {}
    for e in estimates(table, 0.05, CLUSTERED):
        out[("est", e.task, e.model, e.partner)] = e.se or 0.0
    for c in comparisons(table, PAIRS, 0.05, CLUSTERED, "holm"):
        out[("cmp", c.task, c.model, c.partner)] = c.p_value or 0.0
    for r in replications(table, {}, 0.05, 0.05, CLUSTERED):
        out[("rep", r.task, r.model, r.partner_a, r.partner_b)] = r.p_tost or 0.0
    return out


def baseline_run(table: ScoreTable) -> dict[tuple, float]:
    frame = pd.DataFrame(
        {
            "task": np.array(table.levels["task"])[table.task],
            "model": np.array(table.levels["model"])[table.model],
            "partner": np.array(table.levels["partner"])[table.partner],
            "sample": table.sample,
            "cluster": table.cluster,
            "value": table.value,
        }
    )
    units = frame.groupby(["task", "model", "partner", "sample"], as_index=False).agg(
        value=("value", "mean"), cluster=("cluster", "first")
    )
    out: dict[tuple, float] = {}
    for (task, model, partner), group in units.groupby(["task", "model", "partner"]):
        y = group["value"].to_numpy()
        if task in CLUSTERED:
            fit = sm.OLS(y, np.ones(len(y))).fit(
                cov_type="cluster", cov_kwds={"groups": group["cluster"].to_numpy()}
            )
        else:
            fit = sm.OLS(y, np.ones(len(y))).fit()
        out[("est", task, model, partner)] = float(fit.bse[0])
    wide = units.pivot_table(
        index=["task", "partner", "sample"], columns="model", values="value"
    ).reset_index()
    for model, reference in PAIRS:
        for task, group in wide.groupby("task"):
            pooled = group.groupby("sample")[[model, reference]].mean()
            out[("cmp", task, model, None)] = float(
                stats.ttest_rel(pooled[model], pooled[reference]).pvalue
            )
            for partner, sub in group.groupby("partner"):
                out[("cmp", task, model, partner)] = float(
                    stats.ttest_rel(sub[model], sub[reference]).pvalue
                )
    sites = units.pivot_table(
        index=["task", "model", "sample"], columns="partner", values="value"
    ).reset_index()
    partners = sorted(units["partner"].unique())
    for (task, model), group in sites.groupby(["task", "model"]):
        for i, a in enumerate(partners):
            for b in partners[i + 1 :]:
                d = (group[a] - group[b]).to_numpy()
                if task in CLUSTERED:
                    continue  # clustered TOST has no one-line reference; compared in the tests
                lower = stats.ttest_1samp(d, -0.05, alternative="greater").pvalue
                upper = stats.ttest_1samp(d, 0.05, alternative="less").pvalue
                out[("rep", task, model, a, b)] = float(max(lower, upper))
    return out


def timed(table: ScoreTable) -> tuple[dict[tuple, float], float]:
    accord_run(table)  # warm-up
    start = time.perf_counter()
    numbers = accord_run(table)
    return numbers, time.perf_counter() - start


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    rng = np.random.default_rng(1)
    table = make_table(rng, binary=False)
    print(f"{len(table):,} sample-scores, {TASKS * MODELS * PARTNERS} groups")
    ours, accord_seconds = timed(table)
    start = time.perf_counter()
    reference = baseline_run(table)
    baseline_seconds = time.perf_counter() - start
    shared = [k for k in reference if k in ours]
    worst = max(abs(ours[k] - reference[k]) for k in shared)
    print(f"continuous scores, accord: {accord_seconds:.3f} s ({len(ours)} numbers)")
    print(f"pandas + statsmodels: {baseline_seconds:.3f} s")
    print(f"ratio baseline/accord: {baseline_seconds / accord_seconds:.1f}x; target: accord < 1 s")
    print(f"largest difference over {len(shared)} shared numbers: {worst:.2e}")
    _, binary_seconds = timed(make_table(rng, binary=True))
    print(f"binary scores (Wilson, Tango), accord: {binary_seconds:.3f} s; target: < 1 s")


if __name__ == "__main__":
    main()
