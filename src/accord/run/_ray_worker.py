"""A Ray worker that runs shards: one long-lived process per worker, reused for every shard.

The worker loads Inspect, the protocol and its models once, when it starts (while the
driver is still planning), then runs each shard it is given as an Inspect eval set.
"""

import dataclasses
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .._util import OperationError
from ._ray_limit import LimiterLink, idle_slots, install_limiter


@dataclass(frozen=True)
class ShardJob:
    """One shard to run: which samples of which task x model, and where its log goes."""

    task_id: str
    model_id: str
    sample_ids: tuple[int | str, ...]
    log_dir: str | None
    """The shard's log directory when the driver's disk is shared; else None (send back)."""
    max_connections: int | None


ShardOutcome = tuple[str, str, bytes | None]
"""Status of the shard's log (with its error, if any), its name, its bytes (no shared disk)."""


class ShardWorker:
    """Body of the Ray actor: a share's protocol loaded once, shards run one at a time."""

    def __init__(
        self,
        protocol: str,
        partner: str,
        limiter: str | None,
        caps: dict[str, int],
        workers: int = 1,
    ) -> None:
        from ..protocol import load_protocol
        from ._execute import _prepare_models
        from ._plan import plan_share

        self._plan = plan_share(
            load_protocol(Path(protocol)),
            partner,
            Path(tempfile.gettempdir()) / f"accord-shard-plan-{os.getpid()}",
        )
        self._models = _prepare_models(self._plan, {})
        self._link: LimiterLink | None = None
        if limiter is not None:
            import ray
            from inspect_ai.model import ModelName

            actor = ray.get_actor(limiter)
            holder = ray.get_runtime_context().get_actor_id() or str(os.getpid())
            # A restarted worker: the slots its dead process held are free again.
            ray.get(actor.release_holder.remote(holder))
            names = {str(ModelName(self._models[model_id])): model_id for model_id in caps}
            keep = {model_id: idle_slots(cap, workers) for model_id, cap in caps.items()}
            self._link = LimiterLink(actor, holder, names, keep)

    def run(self, job: ShardJob) -> ShardOutcome:
        """Run one shard as an Inspect eval set; return its status and log."""
        from inspect_ai import eval_set

        from ._execute import _prepare_task
        from ._lognames import model_in_log_names
        from ._shards import shard_task

        run = next(
            (r for r in self._plan.runs if (r.task_id, r.model_id) == (job.task_id, job.model_id)),
            None,
        )
        if run is None:
            raise OperationError(
                f"{job.task_id} x {job.model_id} is not in the share on this worker"
            )
        plan = dataclasses.replace(self._plan, runs=[run])
        task = shard_task(_prepare_task(plan, run, self._models[run.model_id]), job.sample_ids)
        install_limiter(self._link)
        try:
            # Named as an in-process run names its logs: the merged log takes the name.
            with _log_dir(job.log_dir) as log_dir, model_in_log_names():
                # Samples are written in batches rather than streamed event by event: less
                # CPU per sample, and a shard cut short still resumes from its finished
                # samples.
                _, logs = eval_set(
                    [task],
                    log_dir=log_dir,
                    max_connections=job.max_connections,
                    display="none",
                    log_format="eval",
                    log_realtime=False,
                )
                [log] = logs
                path = Path(log.location)
                data = None if job.log_dir is not None else path.read_bytes()
                status = str(log.status)
                if log.error is not None:  # what went wrong, for the driver's message
                    status = f"{status}: {log.error.message}"
                return status, path.name, data
        finally:
            install_limiter(None)
            if self._link is not None:
                import ray

                # Inspect's run-end hook gave the slots back; a lease request still out
                # when a run was cut short is settled here, before the next shard.
                ray.get(self._link.actor.release_holder.remote(self._link.holder))


@contextmanager
def _log_dir(shared: str | None) -> Iterator[str]:
    if shared is not None:
        yield shared
        return
    with tempfile.TemporaryDirectory(prefix="accord-shard-") as local:
        yield local
