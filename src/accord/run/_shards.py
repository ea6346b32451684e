"""Shards of a share: sample ranges of one task x model, run apart and merged into one log.

A shard is a list of sample ids of one planned run; every epoch of a sample stays in its
shard. Each shard runs as an ordinary Inspect evaluation with its own log directory under
`<run dir>/.shards/<task_id>~<model_id>/<index>/`, so a shard cut short resumes like any
Inspect eval set. The layout of a run's shards is written once (`layout.json`) and reused
on every re-run, so a resume never re-splits the samples.

When every shard of a run has succeeded, their samples are merged into one log of the whole
task, marked unfinished; Inspect's own `eval_set` then finishes it in the run directory,
reusing every sample and computing the metrics exactly as it does for an in-process run.
The merge copies sample members between archives without parsing them: it runs once per
task x model on the driver and must not become the bottleneck of a wide cluster.
"""

import contextlib
import json
import math
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai.log import read_eval_log  # also lets zipfile read Inspect's zstd members

from .._util import OperationError
from ._plan import PlannedRun, SharePlan

SHARDS_DIR = ".shards"
LAYOUT_FILE = "layout.json"
SampleId = int | str
_HEADER, _START, _SUMMARIES = "header.json", "_journal/start.json", "summaries.json"
_CHUNK = 1 << 20


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


def default_shard_size(samples: int, workers: int) -> int:
    """About two shards per worker.

    Each shard pays an eval set's start, and a shard cut short resumes from the samples
    it wrote, so smaller shards would buy little.
    """
    return max(1, math.ceil(samples / (2 * max(1, workers))))


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


def merge_shards(shards: Sequence[Shard], dest_dir: Path) -> Path:
    """Merge the finished shards of one run into one unfinished log of the whole run.

    Works on the `.eval` archives member by member: sample members are copied as they are
    (no parse), the header and summaries are joined. `eval_set` in `dest_dir` then
    completes the log without running any sample again. An earlier merge is replaced.

    Raises:
        OperationError: When a shard has no successful log.

    """
    paths = []
    for shard in shards:
        path = shard_log(shard)
        if path is None:
            raise OperationError(
                f"shard {shard.index} of {shard.task_id} x {shard.model_id} has not finished; "
                "re-run to resume it"
            )
        paths.append(path)
    ids = [i for shard in shards for i in shard.sample_ids]
    dest = dest_dir / f"{shards[0].task_id}~{shards[0].model_id}.merging.eval"
    partial = dest.with_suffix(".partial")
    summaries: list[Any] = []
    with zipfile.ZipFile(partial, "w") as out:
        for n, path in enumerate(paths):
            with zipfile.ZipFile(path) as archive:
                if n == 0:
                    header = json.loads(archive.read(_HEADER))
                    start = json.loads(archive.read(_START))
                    kind = archive.getinfo(_HEADER).compress_type
                summaries += json.loads(archive.read(_SUMMARIES))
                for info in archive.infolist():
                    if info.filename.startswith("samples/"):
                        with archive.open(info) as reader, out.open(info, "w") as writer:
                            shutil.copyfileobj(reader, writer, _CHUNK)
        for spec in (header["eval"], start["eval"]):
            spec["dataset"].update(samples=len(ids), sample_ids=ids)
            spec["config"]["sample_id"] = None
        header.update(status="error", results=None, error=None)
        for name, data in ((_START, start), (_SUMMARIES, summaries), (_HEADER, header)):
            out.writestr(name, json.dumps(data), compress_type=kind)
    partial.replace(dest)
    return dest


def drop_unfinished_logs(out_dir: Path, runs: set[tuple[str, str]], key: str) -> None:
    """Delete unfinished logs of `runs` in `out_dir` other than merged ones.

    The merged log of each of `runs` holds all its samples, so nothing is lost.
    """
    for path in out_dir.glob("*.eval"):
        if path.name.endswith(".merging.eval"):
            continue
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
