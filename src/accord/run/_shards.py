"""Shards of a share: sample ranges of one task x model, run apart and merged into one log.

A shard is a list of sample ids of one planned run; every epoch of a sample stays in its
shard. Each shard runs as an ordinary Inspect evaluation with its own log directory under
`<run dir>/.shards/<task_id>~<model_id>/<index>/`, so a shard cut short resumes like any
Inspect eval set. The layout of a run's shards is written once (`layout.json`) and reused
on every re-run, so a resume never re-splits the samples.

When every shard of a run has succeeded, `_merge.merge_shards` writes one complete log of
the whole task from them.
"""

import contextlib
import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from inspect_ai import Task, task_with
from inspect_ai.dataset import MemoryDataset
from inspect_ai.log import read_eval_log  # also lets zipfile read Inspect's zstd members

from .._util import OperationError
from ._plan import PlannedRun, SharePlan

SHARDS_DIR = ".shards"
LAYOUT_FILE = "layout.json"
SampleId = int | str


@dataclass(frozen=True)
class Shard:
    """Some samples (all their epochs) of one task x model run."""

    task_id: str
    model_id: str
    index: int
    sample_ids: tuple[SampleId, ...]
    epochs: int
    log_dir: Path

    @property
    def samples(self) -> int:
        """Samples x epochs this shard runs."""
        return len(self.sample_ids) * self.epochs


def run_dir(plan: SharePlan, run: PlannedRun) -> Path:
    """Where the shards of `run` keep their logs."""
    return plan.out_dir / SHARDS_DIR / f"{run.task_id}~{run.model_id}"


def dataset_ids(task: Task, limit: int | None) -> list[SampleId]:
    """The ids Inspect gives the samples of `task` (position + 1 when a sample has none)."""
    ids = [s.id if s.id is not None else n + 1 for n, s in enumerate(task.dataset)]
    return ids[:limit] if limit is not None else ids


def shard_task(task: Task, sample_ids: Sequence[SampleId]) -> Task:
    """`task` with only the samples of one shard (ids as `dataset_ids` gives them), in order.

    Filtered here, by id, rather than with Inspect's `sample_id` option, which matches
    every sample against every id as a glob pattern: a few seconds per shard of a
    2,000-sample task, and quadratic in the task's size. A sample without an id gets the
    one Inspect gives it in the whole task (its position + 1).
    """
    wanted = set(sample_ids)
    dataset = task.dataset
    samples = [
        sample if sample.id is not None else sample.model_copy(update={"id": n + 1})
        for n, sample in enumerate(dataset)
        if (sample.id if sample.id is not None else n + 1) in wanted
    ]
    return task_with(
        task,
        dataset=MemoryDataset(
            samples, name=dataset.name, location=dataset.location, shuffled=dataset.shuffled
        ),
    )


def default_shard_size(samples: int, workers: int, *, resumable: bool = True) -> int:
    """One shard per worker, or two per worker when a shard cut short starts over.

    Each shard pays an eval set's start (~2 s of a worker's CPU). A shard whose worker
    writes into the run directory resumes from the samples it wrote, so one shard per
    worker loses nothing on a crash; without a shared directory a shard cut short runs
    again in full, so shards are smaller then.
    """
    per_worker = 1 if resumable else 2
    return max(1, math.ceil(samples / (per_worker * max(1, workers))))


def plan_shards(
    plan: SharePlan, run: PlannedRun, ids: Sequence[SampleId], shard_size: int
) -> list[Shard]:
    """The shards of `run`: the recorded layout when there is one, else `ids` cut in order.

    Raises:
        OperationError: When a recorded layout no longer matches the task's samples.

    """
    directory = run_dir(plan, run)
    layout = directory / LAYOUT_FILE
    if layout.is_file():
        groups: list[list[SampleId]] = json.loads(layout.read_text(encoding="utf-8"))
        if sorted(map(str, (i for g in groups for i in g))) != sorted(map(str, ids)):
            raise OperationError(
                f"the shards recorded in {layout} do not hold the samples the task has now "
                f"({len(ids)}); the task or --limit changed since the first attempt. "
                f"Delete {directory} to start this run again."
            )
    else:
        groups = [list(ids[i : i + shard_size]) for i in range(0, len(ids), shard_size)]
        directory.mkdir(parents=True, exist_ok=True)
        partial = layout.with_suffix(".partial")
        partial.write_text(json.dumps(groups), encoding="utf-8")
        partial.replace(layout)
    return [
        Shard(run.task_id, run.model_id, n, tuple(g), run.epochs, directory / f"{n:05d}")
        for n, g in enumerate(groups)
    ]


def shard_log(shard: Shard) -> Path | None:
    """The shard's successful log, if it has one."""
    for path in sorted(shard.log_dir.glob("*.eval")):
        try:
            if read_eval_log(str(path), header_only=True).status == "success":
                return path
        except Exception:  # a log being written, or cut short: not a finished shard
            continue
    return None


def drop_unfinished_logs(out_dir: Path, runs: set[tuple[str, str]], key: str) -> None:
    """Delete unfinished logs of `runs` in `out_dir`.

    The merged log of each of `runs` holds all its samples, so nothing is lost.
    """
    for path in out_dir.glob("*.eval"):
        try:
            header = read_eval_log(str(path), header_only=True)
        except Exception:  # unreadable: left alone
            continue
        tag = (header.eval.metadata or {}).get(key) or {}
        if header.status != "success" and (tag.get("task_id"), tag.get("model_id")) in runs:
            path.unlink()


def remove_shards(plan: SharePlan, run: PlannedRun) -> None:
    """Delete a run's shard logs once its merged log has succeeded."""
    shutil.rmtree(run_dir(plan, run), ignore_errors=True)
    with contextlib.suppress(OSError):  # the last run's shards gone: drop the folder too
        (plan.out_dir / SHARDS_DIR).rmdir()
