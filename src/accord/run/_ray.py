"""The Ray executor: a share's runs cut into shards, run by long-lived Ray worker processes.

The worker actors (`_ray_worker.ShardWorker`, one per worker) start first and load Inspect
and the protocol while the driver loads the tasks and plans. The driver hands each idle
worker the next shard, stores what it returns and, as each task x model finishes, merges its
shards into one complete log (`_merge.merge_shards`), so the run directory is the same as an
in-process run's.

Connections: `max_connections` is the cap per model for the whole share, held by one
`_ray_limit.ConnectionLimiter` actor that every worker leases its connection slots from, so
the workers together never exceed it and a slot left idle by one worker serves another.
"""

import contextlib
import logging
import os
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
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
from ._merge import merge_shards, run_eval_set_id
from ._plan import SharePlan
from ._ray_limit import ConnectionLimiter
from ._ray_worker import ShardJob, ShardWorker
from ._shards import (
    Shard,
    dataset_ids,
    default_shard_size,
    drop_unfinished_logs,
    plan_shards,
    remove_shards,
    shard_log,
)

ShardProgress = Callable[[str, str, int, int], None]
"""Called with task id, model id, samples done and samples in all, as shards finish."""

_log = logging.getLogger(__name__)

_RESTARTS = 3
"""How often a worker process that died is replaced (its shard then resumes)."""


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide a Ray run goes."""

    address: str | None = None
    workers: int | None = None
    shard_size: int | None = None
    shared_dir: bool = False


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
    done = {(r.task_id, r.model_id) for r in collect_logs(plan) if r.status == "success"}
    todo = [r for r in plan.runs if (r.task_id, r.model_id) not in done]
    for run in plan.runs:  # shards a merged log no longer needs (the driver stopped between)
        if (run.task_id, run.model_id) in done:
            remove_shards(plan, run)
    # The workers start loading while the driver loads the tasks.
    session = _RaySession(ray, options, plan, max_connections) if todo else None
    shared = options.shared_dir or options.address is None
    try:
        prepared = _prepare_models(plan, {})
        tasks = {
            (r.task_id, r.model_id): _prepare_task(plan, r, prepared[r.model_id]) for r in plan.runs
        }

        def execute() -> None:
            if session is not None:
                workers = session.wait()
                shards = {
                    (r.task_id, r.model_id): plan_shards(
                        plan,
                        r,
                        ids := dataset_ids(tasks[r.task_id, r.model_id], limit),
                        options.shard_size
                        or default_shard_size(len(ids), len(workers), resumable=shared),
                    )
                    for r in todo
                }
                runs = {(r.task_id, r.model_id): r for r in todo}
                set_id = run_eval_set_id(plan.out_dir)
                merged: set[tuple[str, str]] = set()

                def merge(key: tuple[str, str]) -> None:  # while other runs' shards still run
                    merge_shards(shards[key], plan.out_dir, eval_set_id=set_id, limit=limit)
                    # A log cut short by an earlier in-process attempt would compete with
                    # the merged one, which is complete: the shards are no longer needed.
                    drop_unfinished_logs(plan.out_dir, {key}, METADATA_KEY)
                    remove_shards(plan, runs[key])
                    merged.add(key)

                jobs = _Jobs(ray, workers, shards, shared, max_connections, progress)
                jobs.run(merge)
                session.close(wait=False)
                for key in shards.keys() - merged:
                    merge(key)
            # Every merged log is complete: Inspect reuses it as it is (reading headers only)
            # and keeps its eval-set bookkeeping in the run directory, as in-process.
            with contextlib.redirect_stdout(sys.stderr):  # stdout holds results (--json)
                eval_set(
                    [tasks[r.task_id, r.model_id] for r in plan.runs],
                    log_dir=str(plan.out_dir),
                    limit=limit,
                    display="none",
                    log_format="eval",
                )

        return record_run(plan, RunOptions(limit=limit, max_connections=max_connections), execute)
    finally:
        if session is not None:
            session.close()


class _RaySession:
    """Ray (reached or started) and the share's actors, which load while the driver plans."""

    def __init__(
        self, ray: Any, options: RayOptions, plan: SharePlan, max_connections: int | None
    ) -> None:
        self._ray, self._options = ray, options
        self._owned = not ray.is_initialized()
        self._workers: list[Any] = []
        self._limiter: Any = None
        self._stopping: threading.Thread | None = None
        self._error: BaseException | None = None
        self._closed = False
        args = (str(plan.protocol_file.path.resolve()), plan.partner)
        caps = dict.fromkeys({r.model_id for r in plan.runs}, max_connections or 0)
        # Ray itself starts here, on the main thread (Ray's driver wants it); the actors then
        # start in their own processes while the driver loads the tasks.
        self._start(*args, caps if max_connections else {})

    def _start(self, protocol: str, partner: str, caps: dict[str, int]) -> None:
        ray, options = self._ray, self._options
        try:
            if self._owned:
                ray.init(
                    address=options.address,
                    num_cpus=(options.workers or os.cpu_count() or 1)
                    if not options.address
                    else None,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
        except Exception as ex:
            where = options.address or "this machine"
            self._error = OperationError(
                f"cannot start or reach Ray at {where}: {ex}. Start a cluster with "
                "`ray start --head` and pass --address HOST:PORT, or omit --address."
            )
            return
        try:
            count = max(1, options.workers or int(ray.cluster_resources().get("CPU", 1)))
            limiter = None
            if caps:
                # Named, so that restarted workers find it without holding a reference.
                limiter = f"accord-limiter-{uuid.uuid4().hex}"
                self._limiter = (
                    ray.remote(ConnectionLimiter)
                    .options(name=limiter, num_cpus=0, max_concurrency=10_000)
                    .remote(caps)
                )
            actor = ray.remote(ShardWorker).options(
                num_cpus=1, max_restarts=_RESTARTS, max_task_retries=_RESTARTS
            )
            self._workers = [
                actor.remote(protocol, partner, limiter, caps, count) for _ in range(count)
            ]
        except Exception as ex:
            self._error = ex

    def wait(self) -> list[Any]:
        """The worker actors, once Ray is up (they may still be loading)."""
        if self._error is not None:
            raise self._error
        return self._workers

    def close(self, wait: bool = True) -> None:
        """Stop the share's actors, and Ray when this session started it.

        With `wait` false, Ray shuts down in the background (it takes seconds) while the
        driver finishes the logs; a later `close()` waits for it.
        """
        if not self._closed:
            self._closed = True
            self._log_limiter()
            for actor in [*self._workers, self._limiter]:
                if actor is not None:
                    self._ray.kill(actor)
            if self._owned and self._ray.is_initialized():
                self._stopping = threading.Thread(target=self._ray.shutdown, daemon=True)
                self._stopping.start()
        if wait and self._stopping is not None:
            self._stopping.join()

    def _log_limiter(self) -> None:
        """Log the connection limiter's peak per model and how many calls it served."""
        if self._limiter is None:
            return
        try:
            stats, calls = self._ray.get(
                [self._limiter.stats.remote(), self._limiter.calls.remote()], timeout=10
            )
        except Exception as ex:  # only a log line is lost: the run's results are kept
            _log.debug("connection limiter not reachable for its statistics: %s", ex)
            return
        _log.info(
            "connection limiter: %s; %d acquire and %d release calls",
            stats,
            calls["acquire"],
            calls["release"],
            extra={"limiter_stats": stats, "limiter_calls": calls},
        )


class _Jobs:
    """The driver's loop: the next pending shard to each idle worker, results stored."""

    def __init__(
        self,
        ray: Any,
        workers: list[Any],
        shards: dict[tuple[str, str], list[Shard]],
        shared: bool,
        max_connections: int | None,
        progress: ShardProgress | None,
    ) -> None:
        self._ray, self._idle, self._shards = ray, list(workers), shards
        self._shared, self._max_connections, self._progress = shared, max_connections, progress
        self._totals = {key: sum(s.samples for s in group) for key, group in shards.items()}
        self._done = dict.fromkeys(shards, 0)
        self._pending: list[Shard] = []
        for key, group in shards.items():
            for shard in group:
                if shard_log(shard) is None:
                    self._pending.append(shard)
                else:
                    self._done[key] += shard.samples
        for key in shards:
            self._report(key)

    def run(self, on_run_done: Callable[[tuple[str, str]], None]) -> None:
        """Run every pending shard; call `on_run_done` as each task x model completes.

        Raises:
            OperationError: When shards failed (the others are kept for the re-run).

        """
        in_flight: dict[Any, tuple[Shard, Any]] = {}
        failures: list[str] = []
        while self._pending or in_flight:
            while self._pending and self._idle:
                shard, worker = self._pending.pop(0), self._idle.pop()
                in_flight[worker.run.remote(self._job(shard))] = (shard, worker)
            if not in_flight:  # every worker lost for good
                failures += [
                    f"shard {s.index} of {s.task_id} x {s.model_id}: no worker left"
                    for s in self._pending
                ]
                break
            ready, _ = self._ray.wait(list(in_flight), num_returns=1)
            shard, worker = in_flight.pop(ready[0])
            what = f"shard {shard.index} of {shard.task_id} x {shard.model_id}"
            try:
                status, name, data = self._ray.get(ready[0])
            except Exception as ex:  # a worker lost for good, or Inspect failing in it
                failures.append(f"{what}: {ex}")
                if not isinstance(ex, self._ray.exceptions.RayActorError):
                    self._idle.append(worker)
                continue
            self._idle.append(worker)
            if data is not None:
                shard.log_dir.mkdir(parents=True, exist_ok=True)
                (shard.log_dir / name).write_bytes(data)
            if status != "success":
                failures.append(f"{what}: {status}")
                continue
            key = (shard.task_id, shard.model_id)
            self._done[key] += shard.samples
            self._report(key)
            if self._done[key] == self._totals[key]:
                on_run_done(key)
        if failures:
            raise OperationError(
                f"{len(failures)} shard(s) did not finish ({'; '.join(failures[:3])}). "
                "Finished shards are kept: re-run the same command to resume the others."
            )

    def _job(self, shard: Shard) -> ShardJob:
        return ShardJob(
            shard.task_id,
            shard.model_id,
            shard.sample_ids,
            str(shard.log_dir.resolve()) if self._shared else None,
            self._max_connections,
        )

    def _report(self, key: tuple[str, str]) -> None:
        if self._progress is not None:
            self._progress(*key, self._done[key], self._totals[key])
