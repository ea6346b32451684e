"""Cross-field checks of a protocol: references between ids, shares, thresholds, secrets."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai.model import GenerateConfig

from .._util import canary_matcher, find_secrets
from ._spec import Protocol
from ._subjects import subject_problems
from ._tasks import check_task_ref, parse_task_ref
from ._when import (
    COMPARISON_VARIABLES,
    ESTIMATE_VARIABLES,
    INTERVAL_BOUNDS,
    WhenSyntaxError,
    parse_when,
    when_variables,
)
from ._yaml import Location

_GENERATE_FIELDS = frozenset(GenerateConfig.model_fields)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a protocol, at a location in the document."""

    location: Location
    message: str


def check_secrets(data: Any) -> Iterator[Problem]:
    """Credentials anywhere in the raw document: protocols are shared, secrets never are.

    The tasks' declared canaries (planted fake credentials) are exempt.
    """
    for finding in find_secrets(data, canaries=canary_matcher(_declared_canaries(data))):
        if finding.canary:
            continue
        yield Problem(
            _parse_path(finding.path),
            f"looks like a credential ({finding.kind}); credentials never go in a protocol: "
            "remove it and set it in the environment of the machine that runs the share "
            "(e.g. OPENAI_API_KEY)",
        )


def _declared_canaries(data: Any) -> list[str]:
    tasks = data.get("tasks") if isinstance(data, dict) else None
    found: list[str] = []
    for task in tasks if isinstance(tasks, list) else []:
        canaries = task.get("canaries") if isinstance(task, dict) else None
        if isinstance(canaries, list):
            found += [c for c in canaries if isinstance(c, str)]
    return found


def check_protocol(protocol: Protocol, base_dir: Path, resolve_tasks: bool) -> list[Problem]:
    """Every cross-field problem of a structurally valid protocol."""
    problems: list[Problem] = []
    problems += _unique("partners", (p.id for p in protocol.partners))
    problems += _unique("models", (m.id for m in protocol.models))
    problems += _unique("tasks", (t.id for t in protocol.tasks))
    problems += _unique("thresholds", (t.id for t in protocol.thresholds))
    problems += _generate(("generate",), protocol.generate)
    problems += _tasks(protocol, base_dir, resolve_tasks)
    problems += _assignments(protocol)
    problems += _comparisons(protocol)
    problems += _thresholds(protocol)
    problems += [
        Problem(location, message)
        for location, message in subject_problems(protocol, base_dir, resolve_tasks)
    ]
    for index, model in enumerate(protocol.models):
        problems += _generate(("models", index, "generate"), model.generate)

    problems += _roles(protocol)
    quorum = protocol.governance.quorum
    if quorum is not None and quorum > len(protocol.partners):
        problems.append(
            Problem(
                ("governance", "quorum"),
                f"quorum {quorum} exceeds the {len(protocol.partners)} partners; "
                "lower it or omit it (every partner)",
            )
        )
    problems += _developers(protocol)
    known_tasks = {t.id for t in protocol.tasks}
    for task_id in protocol.disclosure.tasks:
        if task_id not in known_tasks:
            problems.append(
                _unknown(("disclosure", "tasks", task_id), "task", task_id, known_tasks)
            )
    return problems


def _developers(protocol: Protocol) -> Iterator[Problem]:
    review = protocol.governance.developer_review
    if review is None:
        return
    models = {m.id for m in protocol.models}
    partners = {p.id for p in protocol.partners}
    for i, developer in enumerate(review.developers):
        where = ("governance", "developer_review", "developers", i)
        if developer.institute in partners:
            yield Problem(
                (*where, "institute"),
                f"'{developer.institute}' is a partner; a developer reviewing its own models "
                "is a separate institute record on the hub",
            )
        for j, model in enumerate(developer.models):
            if model not in models:
                yield _unknown((*where, "models", j), "model", model, models)


def _unique(section: str, ids: Iterable[str]) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, item_id in enumerate(ids):
        if item_id in seen:
            yield Problem((section, index, "id"), f"duplicate id '{item_id}'; ids must be unique")
        seen.add(item_id)


def _unknown(location: Location, kind: str, value: str, known: Iterable[str]) -> Problem:
    choices = ", ".join(sorted(known)) or "none"
    return Problem(location, f"unknown {kind} '{value}'; declared {kind}s: {choices}")


def _generate(location: Location, settings: dict[str, Any]) -> Iterator[Problem]:
    for key in settings:
        if key not in _GENERATE_FIELDS:
            yield Problem(
                (*location, key),
                f"'{key}' is not an Inspect generate setting (see GenerateConfig: "
                "temperature, top_p, max_tokens, seed, ...)",
            )


def _tasks(protocol: Protocol, base_dir: Path, resolve: bool) -> Iterator[Problem]:
    for index, task in enumerate(protocol.tasks):
        yield from _generate(("tasks", index, "generate"), task.generate)
        try:
            ref = parse_task_ref(task.task, base_dir)
        except ValueError as ex:
            yield Problem(("tasks", index, "task"), str(ex))
            continue
        check = check_task_ref(ref) if resolve else None
        if check is not None and check.status == "unresolved":
            yield Problem(("tasks", index, "task"), f"cannot resolve task: {check.detail}")


def _assignments(protocol: Protocol) -> Iterator[Problem]:
    partners = {p.id for p in protocol.partners}
    tasks = {t.id for t in protocol.tasks}
    models = {m.id for m in protocol.models}
    with_share: set[str] = set()
    for index, assignment in enumerate(protocol.assignments):
        if assignment.partner not in partners:
            yield _unknown(
                ("assignments", index, "partner"), "partner", assignment.partner, partners
            )
        with_share.add(assignment.partner)
        for j, task_id in enumerate(assignment.tasks):
            if task_id not in tasks:
                yield _unknown(("assignments", index, "tasks", j), "task", task_id, tasks)
        for j, model_id in enumerate(assignment.models):
            if model_id not in models:
                yield _unknown(("assignments", index, "models", j), "model", model_id, models)
    for index, partner in enumerate(protocol.partners):
        if partner.id not in with_share:
            yield Problem(
                ("partners", index),
                f"partner '{partner.id}' has no share: add an assignment for it or remove it",
            )


def _comparisons(protocol: Protocol) -> Iterator[Problem]:
    models = {m.id for m in protocol.models}
    for index, pair in enumerate(protocol.analysis.comparisons):
        for side, model_id in enumerate(pair):
            if model_id not in models:
                location = ("analysis", "comparisons", index, side)
                yield _unknown(location, "model", model_id, models)
        if pair[0] == pair[1]:
            yield Problem(
                ("analysis", "comparisons", index),
                f"compares '{pair[0]}' with itself; name two different models",
            )


def _thresholds(protocol: Protocol) -> Iterator[Problem]:
    models = {m.id for m in protocol.models}
    tasks = {t.id for t in protocol.tasks}
    for index, threshold in enumerate(protocol.thresholds):
        here = ("thresholds", index)
        if threshold.task not in tasks:
            yield _unknown((*here, "task"), "task", threshold.task, tasks)
        if threshold.model not in models:
            yield _unknown((*here, "model"), "model", threshold.model, models)
        if threshold.compare_to is not None and threshold.compare_to not in models:
            yield _unknown((*here, "compare_to"), "model", threshold.compare_to, models)
        allowed = COMPARISON_VARIABLES if threshold.compare_to else ESTIMATE_VARIABLES
        try:
            condition = parse_when(threshold.when)
        except WhenSyntaxError as ex:
            yield Problem((*here, "when"), f"malformed expression '{threshold.when}': {ex}")
            continue
        bounds = when_variables(condition) & INTERVAL_BOUNDS
        if bounds:
            name = "delta" if threshold.compare_to else "estimate"
            yield Problem(
                (*here, "when"),
                f"'{threshold.when}' reads {', '.join(sorted(bounds))}: a finding is already "
                f"judged on the whole interval of {name}, so write the condition on {name} "
                f"itself (e.g. '{name} > 0.2' holds only when the whole interval lies above 0.2)",
            )
            continue
        unknown = when_variables(condition) - allowed
        if unknown:
            hint = "" if threshold.compare_to else " (delta and reference need compare_to)"
            yield Problem(
                (*here, "when"),
                f"unknown variable(s) {', '.join(sorted(unknown))} in '{threshold.when}'; "
                f"use {', '.join(sorted(allowed))}{hint}",
            )


def _parse_path(path: str) -> Location:
    """`models[0].model_args.api_key` -> ("models", 0, "model_args", "api_key")."""
    location: list[str | int] = []
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("[") and part.endswith("]"):
            location.append(int(part[1:-1]))
        else:
            location.append(part)
    return tuple(location)


def _roles(protocol: Protocol) -> Iterator[Problem]:
    yield from _unique("role_models", (m.id for m in protocol.role_models))
    for index, role_model in enumerate(protocol.role_models):
        yield from _generate(("role_models", index, "generate"), role_model.generate)
    declared = {m.id for m in protocol.role_models}
    for index, task in enumerate(protocol.tasks):
        for role, role_model_id in task.roles.items():
            if role_model_id not in declared:
                location = ("tasks", index, "roles", role)
                yield _unknown(location, "role model", role_model_id, declared)
