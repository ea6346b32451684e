"""Subgroup analysis (`groups:`) over 1,000,000 sample-scores, beside the whole-task analysis.

The table of benchmarks/analysis.py (5 tasks x 4 models x 5 partners, 2,500 samples x 4
epochs, 2 tasks clustered) with one group key of 8 values on every task. Times `analyze`
without `groups:` (the baseline, same run) and with it, prints the ratio, and checks every
per-partner subgroup mean against pandas groupby.

Usage: python benchmarks/groups.py [--repeat 3]
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from accord.analysis import analyze
from accord.protocol import Protocol, parse_protocol
from analysis import CLUSTERED, MODELS, PAIRS, PARTNERS, TASKS, make_table

VALUES = 8


def protocol(groups: bool) -> Protocol:
    tasks = "\n".join(
        f"  - {{id: t{t}, task: accord/refusal"
        + (", cluster: c" if f"t{t}" in CLUSTERED else "")
        + (", groups: [g]}" if groups else "}")
        for t in range(TASKS)
    )
    assignments = "\n".join(
        f"  - {{partner: p{p}, tasks: [{', '.join(f't{t}' for t in range(TASKS))}], "
        f"models: [{', '.join(f'm{m}' for m in range(MODELS))}]}}"
        for p in range(PARTNERS)
    )
    text = f"""accord: 1
name: bench
partners: [{", ".join(f"{{id: p{p}, name: P{p}}}" for p in range(PARTNERS))}]
models: [{", ".join(f"{{id: m{m}, model: accord/refuser}}" for m in range(MODELS))}]
tasks:
{tasks}
assignments:
{assignments}
analysis:
  comparisons: [{", ".join(f"[{a}, {b}]" for a, b in PAIRS)}]
"""
    return parse_protocol(text, "bench", Path("."), resolve_tasks=False)


def timed(fn, repeat: int):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(17)
    table = make_table(rng, binary=True)
    labels = [f"v{i}" for i in range(VALUES)]
    grouped = table.with_groups({"g": np.array(labels, dtype=object)[table.sample % VALUES]})
    plain_protocol, group_protocol = protocol(False), protocol(True)
    base, _ = timed(lambda: analyze(grouped, plain_protocol), args.repeat)
    full, result = timed(lambda: analyze(grouped, group_protocol), args.repeat)
    frame = pd.DataFrame(
        {
            "task": np.array(table.levels["task"])[table.task],
            "model": np.array(table.levels["model"])[table.model],
            "partner": np.array(table.levels["partner"])[table.partner],
            "g": np.array(labels)[table.sample % VALUES],
            "sample": table.sample,
            "value": table.value,
        }
    )
    units = frame.groupby(["task", "model", "partner", "g", "sample"]).value.mean()
    means = units.groupby(level=[0, 1, 2, 3]).mean()
    worst = max(
        abs(means[(e.task, e.model, e.partner, e.group.split("=", 1)[1])] - e.mean)
        for e in result.group_estimates
        if e.partner is not None and e.group is not None
    )
    print(
        f"scores: {len(table):,}; subgroup rows: {len(result.group_estimates)} estimates, "
        f"{len(result.group_comparisons)} comparisons, {len(result.group_replications)} "
        "replications"
    )
    print(
        f"analyze without groups: {base:.2f} s; with groups (1 key x {VALUES} values): "
        f"{full:.2f} s; ratio {full / base:.2f}x; largest mean difference vs pandas {worst:.1e}"
    )


if __name__ == "__main__":
    main()
