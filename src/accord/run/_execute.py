"""Executing a share through Inspect's `eval_set`, then recording its manifest."""

import contextlib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from inspect_ai import Task, eval_set, task_with
from inspect_ai.log import EvalLog, read_eval_log, read_eval_log_sample_summaries
from inspect_ai.model import GenerateConfig, Model, get_model

from .._util import AccordError, InputError, OperationError
from ._code import plan_code
from ._digest import file_digest, log_dataset_digest
from ._dotenv import load_dotenv_file
from ._environment import capture_environment
from ._lognames import model_in_log_names
from ._manifest import (
    OPERATIONAL_SETTINGS,
    LogRecord,
    RunManifest,
    RunOptions,
    utc_now,
    write_manifest,
)
from ._options import InspectOptions, agreed_options, logged_options
from ._plan import PlannedRun, SharePlan
from ._progress import ProgressCallback, watching_progress
from ._roles import logged_roles, task_role_models
from ._snapshots import log_snapshots
from ._subject_solver import subject_overrides
from ._tasks import create_task
from ._usage import Price, price_usage, usage_from_samples

DisplayType = Literal["full", "conversation", "rich", "plain", "log", "none"]
METADATA_KEY = "accord"


@dataclass(frozen=True)
class RunResult:
    """What `run_share` produced: the manifest and whether every run finished."""

    manifest: RunManifest
    out_dir: Path

    @property
    def complete(self) -> bool:
        """True when every planned run has a successful log."""
        return self.manifest.status == "complete"


def run_share(
    plan: SharePlan,
    *,
    max_connections: int | None = None,
    limit: int | None = None,
    display: DisplayType | None = None,
    models: Mapping[str, Model] | None = None,
    progress: ProgressCallback | None = None,
    inspect_options: InspectOptions | None = None,
    prices: Mapping[str, Price] | None = None,
) -> RunResult:
    """Execute a planned share with Inspect, resuming whatever an earlier call finished.

    Args:
        plan: The share, from `plan_share`.
        max_connections: Concurrent connections per model (Inspect's default otherwise).
        limit: Run only the first `limit` samples of each task.
        display: Inspect display type (`none` for silent runs).
        models: Ready-made Inspect models to use for protocol model ids, e.g. models
            built in code; each must have the model string the protocol names.
        progress: Called with a line of text as each run starts and ends (for output that
            is not a terminal, where Inspect's display is off).
        inspect_options: Inspect's run controls to pass through (recorded in the manifest);
            the protocol's `fail_on_error`, when it sets one, applies.
        prices: Dollars per million tokens per model string, for the cost of each log's
            usage (see `read_prices`).

    Raises:
        InputError: When a task or model cannot be created; nothing is written then.

    """
    options = RunOptions(
        limit=limit,
        max_connections=max_connections,
        inspect=agreed_options(
            inspect_options or InspectOptions(), plan.protocol_file.protocol, limit
        ),
        prices=dict(prices) if prices is not None else None,
    )
    load_dotenv_file()
    prepared = _prepare_models(plan, models or {})
    tasks = [_prepare_task(plan, run, prepared[run.model_id]) for run in plan.runs]

    def execute() -> None:
        # Without a display, what Inspect still prints goes to stderr: stdout holds results.
        quiet: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        if display == "none":
            quiet = contextlib.redirect_stdout(sys.stderr)
        with watching_progress(plan.out_dir, progress, METADATA_KEY), quiet, model_in_log_names():
            eval_set(
                tasks,
                log_dir=str(plan.out_dir),
                limit=limit,
                max_connections=max_connections,
                display=display,
                log_format="eval",
                **options.inspect.eval_set_args(),
            )

    return record_run(plan, options, execute)


def record_run(plan: SharePlan, options: RunOptions, execute: Callable[[], None]) -> RunResult:
    """Write a `running` manifest, call `execute`, then record the logs it left, whatever happened.

    Raises:
        AccordError: What `execute` raised, or an OperationError wrapping any other error.

    """
    manifest = RunManifest(
        protocol_id=plan.protocol_id,
        protocol_name=plan.protocol_file.protocol.name,
        partner=plan.partner,
        status="running",
        started_at=utc_now(),
        options=options,
        environment=capture_environment(plan.protocol_file.base_dir),
    )
    code = plan_code(plan)
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    write_manifest(plan.out_dir, manifest)
    try:
        execute()
    except AccordError:
        raise
    except Exception as ex:
        raise OperationError(
            f"Inspect could not run the share in {plan.out_dir}: {type(ex).__name__}: {ex}. "
            "Fix the cause and re-run the same command to resume."
        ) from ex
    finally:
        records = [
            r.model_copy(
                update={
                    "code": code[r.task_id],
                    "usage": price_usage(r.usage, options.prices or {}),
                }
            )
            for r in collect_logs(plan)
        ]
        done = {(r.task_id, r.model_id) for r in records if r.status == "success"}
        status = "complete" if len(done) == len(plan.runs) else "incomplete"
        # The limit the logs ran with: a resumed run may reuse logs made with another one.
        options = options.model_copy(update={"limit": _logged_limit(plan.out_dir, records)})
        logged = logged_options(options.inspect, [plan.out_dir / r.file for r in records])
        options = options.model_copy(update={"inspect": logged})
        manifest = manifest.model_copy(
            update={
                "logs": records,
                "status": status,
                "finished_at": utc_now(),
                "options": options,
            }
        )
        write_manifest(plan.out_dir, manifest)
    return RunResult(manifest, plan.out_dir)


def collect_logs(plan: SharePlan) -> list[LogRecord]:
    """Records of the newest log of every planned run found in the output directory."""
    planned = {(r.task_id, r.model_id): r for r in plan.runs}
    newest: dict[tuple[str, str], tuple[str, Path, EvalLog]] = {}
    for path in sorted(plan.out_dir.glob("*.eval")):
        header = read_eval_log(str(path), header_only=True)
        tag = (header.eval.metadata or {}).get(METADATA_KEY, {})
        key = (tag.get("task_id"), tag.get("model_id"))
        if tag.get("protocol_id") != plan.protocol_id or key not in planned:
            continue
        if key not in newest or header.eval.created > newest[key][0]:
            newest[key] = (header.eval.created, path, header)
    return [
        _record(path, header, *key).model_copy(update={"subject": planned[key].subject})
        for key, (_, path, header) in sorted(newest.items(), key=lambda kv: kv[1][0])
    ]


def _logged_limit(out_dir: Path, records: list[LogRecord]) -> int | None:
    """The largest sample limit any of the logs ran with, or None when all ran in full."""
    limits = []
    for record in records:
        limit = read_eval_log(str(out_dir / record.file), header_only=True).eval.config.limit
        if isinstance(limit, int):
            limits.append(limit)
        elif limit is not None:  # a (start, end) range
            limits.append(limit[1] - limit[0])
    return max(limits) if limits else None


def _prepare_models(plan: SharePlan, given: Mapping[str, Model]) -> dict[str, Model]:
    prepared: dict[str, Model] = {}
    for run in plan.runs:
        if run.model_id in prepared:
            continue
        if run.model_id in given:
            model = given[run.model_id]
            if str(model) != run.model:
                raise InputError(
                    f"model '{run.model_id}' was given as {model}, but the protocol names "
                    f"{run.model}; pass a model with the protocol's model string"
                )
            prepared[run.model_id] = model
            continue
        try:
            prepared[run.model_id] = get_model(run.model, base_url=run.base_url, **run.model_args)
        except Exception as ex:
            raise InputError(
                f"model '{run.model_id}' ({run.model}) cannot be used here: {_plain(ex)}. "
                "Check the model string in the protocol; install the provider's package and "
                "set its credentials in the environment."
            ) from None
    return prepared


def _prepare_task(plan: SharePlan, run: PlannedRun, model: Model) -> Task:
    try:
        task = create_task(run.task_ref, run.task_args)
        config = GenerateConfig(**run.generate)
    except Exception as ex:
        raise InputError(
            f"task '{run.task_id}' ({plan.protocol_file.protocol.task(run.task_id).task}) "
            f"cannot be created: {type(ex).__name__}: {ex}. "
            "Fix the task or its args in the protocol."
        ) from None
    overrides = _subject_overrides(plan, run, task)
    roles = task_role_models(plan.protocol_file.protocol, run.task_id)
    tag = {
        "protocol_id": plan.protocol_id,
        "partner": plan.partner,
        "task_id": run.task_id,
        "model_id": run.model_id,
    }
    # Named by the protocol's task id, so one Inspect task may appear under several ids
    # (say, at two temperatures) and still be distinct in the eval set.
    prepared = task_with(
        task,
        name=run.task_id,
        model=model,
        config=config,
        epochs=run.epochs,
        metadata={**(task.metadata or {}), METADATA_KEY: tag},
        **overrides,
    )
    # Only when the protocol binds roles: roles the task itself declares stay otherwise.
    return task_with(prepared, model_roles=roles) if roles else prepared


def _subject_overrides(plan: SharePlan, run: PlannedRun, task: Task) -> dict[str, Any]:
    spec = plan.protocol_file.protocol.model(run.model_id)
    try:
        return subject_overrides(task, run.task_id, spec, plan.protocol_file.base_dir)
    except AccordError:
        raise
    except Exception as ex:
        raise InputError(
            f"subject '{run.model_id}' ({spec.kind}) cannot run task '{run.task_id}': "
            f"{type(ex).__name__}: {ex}. Fix the subject in the protocol."
        ) from None


def _record(path: Path, header: EvalLog, task_id: str, model_id: str) -> LogRecord:
    spec = header.eval
    summaries = read_eval_log_sample_summaries(str(path))
    sample_ids = list(spec.dataset.sample_ids or [])
    if not sample_ids:  # a log that recorded no ids: use what it ran, in id order
        sample_ids = sorted({s.id for s in summaries}, key=str)
    # Task-level config is recorded in the plan; eval-level config in the spec.
    merged = header.plan.config.merge(spec.model_generate_config)
    generate = {
        k: v
        for k, v in merged.model_dump(mode="json", exclude_none=True).items()
        if k not in OPERATIONAL_SETTINGS
    }
    return LogRecord(
        file=path.name,
        sha256=file_digest(path),
        task_id=task_id,
        model_id=model_id,
        task=spec.task,
        task_registry_name=spec.task_registry_name,
        task_version=spec.task_version,
        task_args=_jsonable(spec.task_args),
        model=spec.model,
        model_args=_jsonable(spec.model_args),
        generate_config=generate,
        epochs=spec.config.epochs or 1,
        samples=len({s.id for s in summaries}),
        errors=sum(1 for s in summaries if s.error),
        status=header.status,
        dataset_digest=log_dataset_digest(path, sample_ids),
        started_at=header.stats.started_at or None,
        completed_at=header.stats.completed_at or None,
        metrics=_metrics(header),
        snapshots=log_snapshots(path),
        usage=usage_from_samples(summaries),
        roles=logged_roles(header),
    )


def _metrics(header: EvalLog) -> dict[str, float]:
    if header.results is None:
        return {}
    return {
        f"{score.name}/{name}": metric.value
        for score in header.results.scores
        for name, metric in score.metrics.items()
    }


def _plain(ex: Exception) -> str:
    """Inspect's message on one line, without its Rich markup."""
    from rich.text import Text

    text = " ".join(Text.from_markup(str(ex)).plain.split()).removeprefix("ERROR: ")
    return text.rstrip(".")


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    from pydantic_core import to_jsonable_python

    result: dict[str, Any] = to_jsonable_python(value, fallback=repr)
    return result
