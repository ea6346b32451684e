"""Adopting logs made by plain `inspect eval` / `eval-set` as a partner's run of its share.

Each planned task x model run needs one log that is a valid share: the protocol's task
(version, args, dataset), model (args, base URL, roles), generate config and epochs, run in
full and finished. Every mismatch is named; nothing is written unless all logs pass.
"""

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from inspect_ai.log import EvalLog, read_eval_log
from pydantic_core import to_jsonable_python

from .._util import InputError
from ..protocol import RegistryTaskRef
from ._digest import dataset_digest, log_dataset_digest
from ._environment import capture_environment
from ._execute import METADATA_KEY, RunResult, _record
from ._manifest import OPERATIONAL_SETTINGS, RunManifest, RunOptions, utc_now, write_manifest
from ._options import InspectOptions, logged_options
from ._plan import PlannedRun, SharePlan
from ._roles import logged_roles
from ._tasks import create_task


@dataclass(frozen=True)
class _Log:
    path: Path
    header: EvalLog


def adopt_logs(plan: SharePlan, sources: list[Path]) -> tuple[RunResult, list[Path]]:
    """Check existing Inspect logs against a partner's share and make them its run.

    Args:
        plan: The share, from `plan_share` (its `out_dir` receives copies of the logs).
        sources: `.eval` log files, or directories holding them.

    Returns:
        The run, and the logs given that are not part of the share (left out).

    Raises:
        InputError: Naming every missing run and every mismatch; nothing is written then.

    """
    logs, problems = _read(sources)
    chosen: dict[tuple[str, str], _Log] = {}
    for run in plan.runs:
        label = f"{run.task_id} x {run.model_id}"
        kind = plan.protocol_file.protocol.model(run.model_id).kind
        if kind != "model":
            problems.append(
                f"{label}: subject {run.model_id} is a{'n' if kind == 'agent' else ''} {kind}; a "
                "plain Inspect log cannot show that its "
                f"{'scaffold' if kind == 'agent' else 'system prompt and guards'} ran: run it "
                "with `accord run`"
            )
            continue
        candidates = [log for log in logs if _is_run(log.header, run)]
        if not candidates:
            seen = sorted({log.header.eval.model for log in logs if _same_task(log.header, run)})
            on = f"; logs of the task ran {', '.join(seen)}" if seen else ""
            problems.append(f"{label}: no log of task {_task_name(run)} on model {run.model}{on}")
            continue
        if len(candidates) > 1:
            names = ", ".join(c.path.name for c in candidates)
            problems.append(f"{label}: several logs ({names}); give exactly one")
            continue
        [log] = candidates
        found = _check(log, run) + _check_roles(log.header, plan, run)
        problems += [f"{label} ({log.path.name}): {p}" for p in found]
        chosen[run.task_id, run.model_id] = log
    if problems:
        raise InputError(
            f"the logs are not a valid share of {plan.partner} in {plan.protocol_file.path.name}:"
            "\n  - " + "\n  - ".join(problems)
        )
    return _write(plan, chosen), sorted(log.path for log in logs if log not in chosen.values())


def _read(sources: list[Path]) -> tuple[list[_Log], list[str]]:
    paths: list[Path] = []
    problems: list[str] = []
    for source in sources:
        if source.is_dir():
            found = sorted(source.glob("*.eval"))
            if not found:
                problems.append(f"{source}: no .eval logs in this directory")
            paths += found
        elif source.is_file():
            paths.append(source)
        else:
            problems.append(f"{source}: no such file or directory")
    logs = []
    for path in dict.fromkeys(p.resolve() for p in paths):
        if path.suffix != ".eval":
            problems.append(
                f"{path.name}: not an .eval log; convert it with "
                f"`inspect log convert {path.name} --to eval --output-dir DIR`"
            )
            continue
        try:
            logs.append(_Log(path, read_eval_log(str(path), header_only=True)))
        except Exception as ex:
            problems.append(f"{path.name}: not a readable Inspect log ({type(ex).__name__})")
    return logs, problems


def _task_name(run: PlannedRun) -> str:
    ref = run.task_ref
    return ref.name if isinstance(ref, RegistryTaskRef) else ref.function


def _same_task(header: EvalLog, run: PlannedRun) -> bool:
    tag = (header.eval.metadata or {}).get(METADATA_KEY) or {}
    if tag.get("task_id"):
        return bool(tag["task_id"] == run.task_id)
    names = {header.eval.task, header.eval.task_registry_name}
    return _task_name(run) in names


def _is_run(header: EvalLog, run: PlannedRun) -> bool:
    return _same_task(header, run) and header.eval.model == run.model


def _check(log: _Log, run: PlannedRun) -> list[str]:
    spec, header = log.header.eval, log.header
    problems = []
    if header.status != "success":
        problems.append(f"did not finish (status {header.status}); re-run or resume it")
    if spec.config.limit is not None or spec.config.sample_id is not None:
        problems.append("ran on some samples only (--limit or --sample-id); run every sample")
    expected_epochs = run.epochs
    if (spec.config.epochs or 1) != expected_epochs:
        problems.append(f"ran {spec.config.epochs or 1} epochs, the protocol says {run.epochs}")
    args = _jsonable(spec.task_args_passed or {})
    if args != _jsonable(run.task_args):
        problems.append(f"task args {args}, the protocol says {run.task_args}")
    if _jsonable(spec.model_args) != _jsonable(run.model_args):
        problems.append(f"model args {spec.model_args}, the protocol says {run.model_args}")
    if run.base_url is not None and spec.model_base_url != run.base_url:
        problems.append(f"model base URL {spec.model_base_url}, the protocol says {run.base_url}")
    merged = header.plan.config.merge(spec.model_generate_config)
    generate = {
        k: v
        for k, v in merged.model_dump(mode="json", exclude_none=True).items()
        if k not in OPERATIONAL_SETTINGS
    }
    for key in sorted(set(generate) | set(run.generate)):
        if generate.get(key) != run.generate.get(key):
            problems.append(
                f"generate {key}={generate.get(key)!r}, the protocol says {run.generate.get(key)!r}"
            )
    problems += _check_task(log, run)
    return problems


def _check_roles(header: EvalLog, plan: SharePlan, run: PlannedRun) -> list[str]:
    protocol = plan.protocol_file.protocol
    expected = {
        role: protocol.role_model(role_model_id).model
        for role, role_model_id in protocol.task(run.task_id).roles.items()
    }
    logged = {role: data["model"] for role, data in logged_roles(header).items()}
    return [
        f"model role {role}: {logged.get(role) or 'none'}, the protocol says "
        f"{expected.get(role) or 'none'}"
        for role in sorted(set(expected) | set(logged))
        if logged.get(role) != expected.get(role)
    ]


def _check_task(log: _Log, run: PlannedRun) -> list[str]:
    try:
        task = create_task(run.task_ref, run.task_args)
    except Exception as ex:
        return [f"the protocol's task cannot be created here to check it: {ex}"]
    problems = []
    if log.header.eval.task_version != task.version:
        problems.append(
            f"task version {log.header.eval.task_version}, the task here is {task.version}"
        )
    samples = [
        (sample.id if sample.id is not None else index, sample.input, sample.target)
        for index, sample in enumerate(task.dataset, start=1)
    ]
    ids = list(log.header.eval.dataset.sample_ids or [])
    if [s[0] for s in samples] != ids:
        problems.append(
            f"ran {len(ids)} samples, the task's dataset has {len(samples)} (or other ids)"
        )
    elif log_dataset_digest(log.path, ids) != dataset_digest(samples):
        problems.append("dataset digest differs: the samples' inputs or targets are not the same")
    return problems


def _write(plan: SharePlan, chosen: dict[tuple[str, str], _Log]) -> RunResult:
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    records = []
    subjects = {(run.task_id, run.model_id): run.subject for run in plan.runs}
    for (task_id, model_id), log in chosen.items():
        target = plan.out_dir / log.path.name
        if target.resolve() != log.path:
            shutil.copy2(log.path, target)
        # Recorded under the protocol's task id, as `accord run` names its logs.
        record = _record(target, log.header, task_id, model_id)
        # The checks above matched the model, its args and generate config: a bare model's
        # fingerprint is what the log ran.
        update = {"task": task_id, "subject": subjects[task_id, model_id]}
        records.append(record.model_copy(update=update))
    inspect = logged_options(InspectOptions(), [plan.out_dir / r.file for r in records])
    manifest = RunManifest(
        protocol_id=plan.protocol_id,
        protocol_name=plan.protocol_file.protocol.name,
        partner=plan.partner,
        status="complete",
        started_at=min(
            (datetime.fromisoformat(r.started_at) for r in records if r.started_at),
            default=utc_now(),
        ),
        finished_at=utc_now(),
        options=RunOptions(inspect=inspect),
        environment=capture_environment(plan.protocol_file.base_dir),
        logs=records,
        adopted=True,
    )
    write_manifest(plan.out_dir, manifest)
    return RunResult(manifest, plan.out_dir)


def _jsonable(value: Any) -> Any:
    return to_jsonable_python(value, fallback=repr)
