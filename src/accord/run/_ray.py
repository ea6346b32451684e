"""The Ray executor: a share's runs cut into shards, each an Inspect eval in a Ray worker.

The driver plans the shards, keeps at most `workers` of them in flight, stores what they
return and merges the shards of each task x model into one log that Inspect itself
finishes (`_shards.merge_shards`), so the run directory is the same as an in-process run's.

Connections: `max_connections` is the cap per model for the whole share. At most
`workers` shards run at once and each gets `max_connections // workers` connections, so
the share never holds more than the cap, whatever the cluster's size.
"""

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai import eval_set

from .._util import InputError, OperationError
from ._dotenv import load_dotenv_file
from ._execute import (
    METADATA_KEY,
    RunResult,
    _prepare_models,
    _prepare_task,
    collect_logs,
    record_run,
)
from ._manifest import RunOptions
from ._plan import PlannedRun, SharePlan
from ._shards import (
    Shard,
    dataset_ids,
    default_shard_size,
    drop_unfinished_logs,
    merge_shards,
    plan_shards,
    remove_shards,
    shard_log,
)

ShardProgress = Callable[[str, str, int, int], None]
"""Called with task id, model id, samples done and samples in all, as shards finish."""


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide a Ray run goes."""

    address: str | None = None
    workers: int | None = None
    shard_size: int | None = None
    shared_dir: bool = False


@dataclass(frozen=True)
class _Job:
    protocol: str
    partner: str
    task_id: str
    model_id: str
    sample_ids: tuple[int | str, ...]
    log_dir: str | None
    max_connections: int | None


def require_ray() -> Any:
    """The `ray` module, or an InputError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise InputError(
            "--executor ray needs Ray, which is not installed here; "
            "install it with `pip install 'accord[ray]'` (or drop --executor ray)"
        ) from None
    return ray


def run_share_ray(
    plan: SharePlan,
    *,
    ray_options: RayOptions | None = None,
    max_connections: int | None = None,
    limit: int | None = None,
    progress: ShardProgress | None = None,
) -> RunResult:
    """Execute a planned share as shards on Ray, resuming whatever an earlier call finished.

    Args:
        plan: The share, from `plan_share`.
        ray_options: Cluster address (`auto`, `HOST:PORT`; none starts Ray on this machine),
            workers (default: the cluster's CPUs), shard size and whether every worker sees
            the run directory (always true without an address).
        max_connections: Cap on concurrent connections per model for the whole share.
        limit: Run only the first `limit` samples of each task.
        progress: Called as shards finish.

    Raises:
        InputError: When Ray is missing, or a task or model cannot be created.
        OperationError: When a shard fails; finished shards are kept for the re-run.

    """
    options = ray_options or RayOptions()
    if plan.protocol_file.protocol.fail_on_error is not None:
        raise InputError(
            "the protocol sets fail_on_error, which --executor ray does not apply yet; "
            "run this share with --executor local"
        )
    ray = require_ray()
    load_dotenv_file()  # before Ray starts its workers, which inherit the environment
    prepared = _prepare_models(plan, {})
    tasks = {
        (r.task_id, r.model_id): _prepare_task(plan, r, prepared[r.model_id]) for r in plan.runs
    }

    def execute() -> None:
        done = {(r.task_id, r.model_id) for r in collect_logs(plan) if r.status == "success"}
        todo = [r for r in plan.runs if (r.task_id, r.model_id) not in done]
        if not todo:
            return
        with _ray_session(ray, options) as workers:
            size = options.shard_size
            shards = {
                (r.task_id, r.model_id): plan_shards(
                    plan,
                    r,
                    ids := dataset_ids(tasks[r.task_id, r.model_id], limit),
                    size or default_shard_size(len(ids), workers),
                )
                for r in todo
            }
            shared = options.shared_dir or options.address is None
            merged: set[tuple[str, str]] = set()

            def merge(key: tuple[str, str]) -> None:  # while other runs' shards still run
                merge_shards(shards[key], plan.out_dir)
                merged.add(key)

            _execute_shards(ray, plan, shards, workers, max_connections, shared, progress, merge)
        for key in shards.keys() - merged:
            merge(key)
        # A log cut short by an earlier in-process attempt would compete with the merged one.
        drop_unfinished_logs(plan.out_dir, set(shards), METADATA_KEY)
        eval_set(
            [tasks[r.task_id, r.model_id] for r in plan.runs],
            log_dir=str(plan.out_dir),
            limit=limit,
            display="none",
            log_format="eval",
        )
        finished = {(r.task_id, r.model_id) for r in collect_logs(plan) if r.status == "success"}
        for run in todo:
            if (run.task_id, run.model_id) in finished:
                remove_shards(plan, run)

    return record_run(plan, RunOptions(limit=limit, max_connections=max_connections), execute)


@contextmanager
def _ray_session(ray: Any, options: RayOptions) -> Iterator[int]:
    """Connect to (or start) Ray; yield the number of workers to use."""
    owned = not ray.is_initialized()
    if owned:
        try:
            ray.init(
                address=options.address,
                num_cpus=(options.workers or os.cpu_count() or 1) if not options.address else None,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except Exception as ex:
            where = options.address or "this machine"
            raise OperationError(
                f"cannot start or reach Ray at {where}: {ex}. Start a cluster with "
                "`ray start --head` and pass --address HOST:PORT, or omit --address."
            ) from None
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        yield max(1, options.workers or cpus)
    finally:
        if owned:
            ray.shutdown()


def _execute_shards(
    ray: Any,
    plan: SharePlan,
    shards: dict[tuple[str, str], list[Shard]],
    workers: int,
    max_connections: int | None,
    shared: bool,
    progress: ShardProgress | None,
    on_run_done: Callable[[tuple[str, str]], None],
) -> None:
    totals = {key: sum(s.samples for s in group) for key, group in shards.items()}
    done_counts = dict.fromkeys(shards, 0)
    pending: list[Shard] = []
    for key, group in shards.items():
        for shard in group:
            if shard_log(shard) is None:
                pending.append(shard)
            else:
                done_counts[key] += shard.samples
    for (task_id, model_id), count in done_counts.items():
        if progress is not None:
            progress(task_id, model_id, count, totals[task_id, model_id])
    # Never more shards in flight than connections allowed, so each holds at least one.
    slots = min(workers, max_connections) if max_connections else workers
    per_shard = max(1, max_connections // slots) if max_connections else None
    remote = ray.remote(num_cpus=1, max_retries=3)(_run_shard)
    protocol = str(plan.protocol_file.path.resolve())
    in_flight: dict[Any, Shard] = {}
    failures: list[str] = []
    while pending or in_flight:
        while pending and len(in_flight) < slots:
            shard = pending.pop(0)
            job = _Job(
                protocol,
                plan.partner,
                shard.task_id,
                shard.model_id,
                shard.sample_ids,
                str(shard.log_dir.resolve()) if shared else None,
                per_shard,
            )
            in_flight[remote.remote(job)] = shard
        ready, _ = ray.wait(list(in_flight), num_returns=1)
        shard = in_flight.pop(ready[0])
        try:
            status, name, data = ray.get(ready[0])
        except Exception as ex:  # a worker lost for good, or Inspect failing in it
            failures.append(f"shard {shard.index} of {shard.task_id} x {shard.model_id}: {ex}")
            continue
        if data is not None:
            shard.log_dir.mkdir(parents=True, exist_ok=True)
            (shard.log_dir / name).write_bytes(data)
        if status != "success":
            failures.append(f"shard {shard.index} of {shard.task_id} x {shard.model_id}: {status}")
            continue
        key = (shard.task_id, shard.model_id)
        done_counts[key] += shard.samples
        if progress is not None:
            progress(shard.task_id, shard.model_id, done_counts[key], totals[key])
        if done_counts[key] == totals[key]:
            on_run_done(key)
    if failures:
        raise OperationError(
            f"{len(failures)} shard(s) did not finish ({'; '.join(failures[:3])}). "
            "Finished shards are kept: re-run the same command to resume the others."
        )


def _run_shard(job: _Job) -> tuple[str, str, bytes | None]:
    """In a Ray worker: run one shard as an Inspect eval set; return its status and log."""
    from ..protocol import load_protocol
    from ._plan import plan_share

    loaded = load_protocol(Path(job.protocol))
    plan = plan_share(loaded, job.partner, Path(tempfile.gettempdir()) / "accord-shard-plan")
    run = _planned(plan, job.task_id, job.model_id)
    model = _prepare_models(dataclasses.replace(plan, runs=[run]), {})[run.model_id]
    task = _prepare_task(plan, run, model)
    with _log_dir(job.log_dir) as log_dir:
        # Samples are written in batches rather than streamed event by event: less CPU per
        # sample, and a shard cut short still resumes from its finished samples.
        _, logs = eval_set(
            [task],
            log_dir=log_dir,
            sample_id=list(job.sample_ids),
            max_connections=job.max_connections,
            display="none",
            log_format="eval",
            log_realtime=False,
        )
        [log] = logs
        path = Path(log.location)
        data = None if job.log_dir is not None else path.read_bytes()
        return log.status, path.name, data


def _planned(plan: SharePlan, task_id: str, model_id: str) -> PlannedRun:
    for run in plan.runs:
        if (run.task_id, run.model_id) == (task_id, model_id):
            return run
    raise OperationError(f"{task_id} x {model_id} is not in the share on this worker")


@contextmanager
def _log_dir(shared: str | None) -> Iterator[str]:
    if shared is not None:
        yield shared
        return
    with tempfile.TemporaryDirectory(prefix="accord-shard-") as local:
        yield local
