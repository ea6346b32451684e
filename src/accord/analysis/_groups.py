"""Subgroup analysis: estimates, comparisons and reproducibility per value of a metadata key.

A task's `groups:` keys name sample metadata (e.g. the jailbreak suite's `transform`). For
each task and key, the scores of the samples carrying the key are split by its value and
analysed with the same methods as the whole task. The comparisons of one task and key form
one multiple-testing family: the protocol's correction runs across all values x scorers x
comparison pairs of that key, separately from the primary (whole-task) family.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

import numpy as np

from ..protocol import Protocol
from ..run import RunManifest
from ._compare import Correction, comparisons
from ._estimates import estimates
from ._reproduce import replications
from ._results import Comparison, Estimate, Replication
from ._table import ScoreTable

RowT = TypeVar("RowT", Estimate, Comparison, Replication)

_SEP = "\x1f"  # never in a task id: a subgroup's stand-in task label never names a real run


def group_rows(
    table: ScoreTable,
    protocol: Protocol,
    manifests: Mapping[str, RunManifest],
    *,
    alpha: float,
    margin: float,
    correction: Correction,
    overall: Sequence[Replication],
) -> tuple[list[Estimate], list[Comparison], list[Replication], list[str]]:
    """Subgroup rows of every task with `groups:`, labelled `group="key=value"`, and notes.

    Pooling and the methodology-deviation verdicts follow the whole task's replications in
    `overall`: a subgroup is never pooled where its task is not.

    A key no scored sample of its task carries gets no rows but a note saying why (the rest
    of the analysis stands: a protocol's typo must not hide every result).
    """
    found: tuple[list[Estimate], list[Comparison], list[Replication], list[str]] = ([], [], [], [])
    pairs = [(str(a), str(b)) for a, b in protocol.analysis.comparisons]
    for spec in protocol.tasks:
        code = table.code("task", spec.id)
        if code is None or not spec.groups:
            continue
        runs = [r for r in overall if r.task == spec.id]
        for key in spec.groups:
            split = _split(table, code, spec.id, key)
            if isinstance(split, str):
                found[3].append(split)
                continue
            sub, values = split
            deviating = {(t, r.model) for r in runs if r.verdict == "deviation" for t in values}
            poolable = {(t, r.model) for r in runs for t in values} - deviating
            clustered: Collection[str] = list(values) if spec.cluster else []
            named = (values, spec.id, key)
            found[0].extend(_label(e, *named) for e in estimates(sub, alpha, clustered, poolable))
            found[1].extend(
                _label(c, *named)
                for c in comparisons(sub, pairs, alpha, clustered, correction, deviating)
            )
            found[2].extend(
                _with_deviations(_label(r, *named), runs)
                for r in replications(sub, manifests, margin, alpha, clustered)
            )
    return found


def _split(
    table: ScoreTable, task: int, task_id: str, key: str
) -> tuple[ScoreTable, dict[str, str]] | str:
    """The task's scores labelled with `key`, its values standing in for the task.

    Returns:
        The sub-table and, per stand-in task label, the value it stands for; or, when no
        scored sample of the task carries `key`, a note saying so and how to fix it.
    """
    codes = table.groups.get(key)
    mask = table.task == task
    if codes is None or not np.any(mask & (codes >= 0)):
        return (
            f"task '{task_id}' declares group key '{key}' but none of its scored samples has "
            f"metadata '{key}', so it has no subgroup rows; use a key of the task's sample "
            "metadata in `groups` (runs stored on a hub before subgroup support carry no group "
            "labels: submit them again)"
        )
    mask &= codes >= 0
    values = table.levels[f"group:{key}"]
    stand_in = [f"{task_id}{_SEP}{value}" for value in values]
    present = np.unique(codes[mask])
    levels = {**table.levels, "task": [stand_in[int(c)] for c in present]}
    recode = np.full(len(values), -1, dtype=np.int64)
    recode[present] = np.arange(present.size)
    sub = replace(
        table,
        task=recode[codes[mask]],
        model=table.model[mask],
        partner=table.partner[mask],
        scorer=table.scorer[mask],
        sample=table.sample[mask],
        epoch=table.epoch[mask],
        value=table.value[mask],
        cluster=table.cluster[mask],
        levels=levels,
        groups={},
    )
    return sub, {stand_in[int(c)]: values[int(c)] for c in present}


def _label(row: RowT, values: Mapping[str, str], task_id: str, key: str) -> RowT:
    return row.model_copy(update={"task": task_id, "group": f"{key}={values[row.task]}"})


def _with_deviations(row: Replication, runs: Sequence[Replication]) -> Replication:
    """Carry the whole task's methodology deviations (run-specific ones name the task)."""
    for run in runs:
        same = (run.model, run.scorer, run.partner_a, run.partner_b)
        if same == (row.model, row.scorer, row.partner_a, row.partner_b) and run.deviations:
            return row.model_copy(
                update={
                    "deviations": run.deviations,
                    "verdict": "deviation",
                    "needed_n": None,
                    "note": "methodology deviation: the runs are not the same test",
                }
            )
    return row
