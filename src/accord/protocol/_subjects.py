"""Checks of subjects: the `kind`-specific fields of `models:` entries (docs/subjects.md)."""

import re
from collections.abc import Iterator
from pathlib import Path

from ._spec import GuardSpec, ModelSpec, Protocol
from ._tasks import FileTaskRef, parse_task_ref
from ._yaml import Location

SUBJECT_TOOLS = ("bash", "python", "text_editor", "think")
"""Inspect tools an agent subject may name in `tools:` (all but `think` need a sandbox)."""

_SYSTEM_FIELDS = ("system_prompt", "system_prompt_file", "input_guards", "output_guards")
_AGENT_FIELDS = ("agent", "agent_args", "tools", "limits")


def subject_problems(
    protocol: Protocol, base_dir: Path, check_files: bool = True
) -> Iterator[tuple[Location, str]]:
    """Every problem with the subject fields of the protocol's `models:` entries.

    With `check_files` false (e.g. on a hub, which has no partner's files), files the
    subjects name are not looked for.
    """
    for index, spec in enumerate(protocol.models):
        here: Location = ("models", index)
        yield from _kind_fields(here, spec)
        if spec.system_prompt is not None and spec.system_prompt_file is not None:
            yield (
                (*here, "system_prompt_file"),
                "give the system prompt inline (system_prompt) or as a file "
                "(system_prompt_file), not both",
            )
        if spec.system_prompt_file is not None and check_files:
            path = resolve_file(spec.system_prompt_file, base_dir)
            if not path.is_file():
                yield (
                    (*here, "system_prompt_file"),
                    f"file {path} does not exist; paths are relative to the protocol file",
                )
        for side in ("input_guards", "output_guards"):
            guards: list[GuardSpec] = getattr(spec, side)
            yield from _guards((*here, side), guards)
        if spec.kind == "agent":
            yield from _agent(here, spec, base_dir, check_files)


def _kind_fields(here: Location, spec: ModelSpec) -> Iterator[tuple[Location, str]]:
    given = spec.model_fields_set
    if spec.kind == "model":
        for name in (*_SYSTEM_FIELDS, "generate", *_AGENT_FIELDS):
            if name in given:
                yield (
                    (*here, name),
                    f"'{name}' belongs to a system or an agent; set `kind: "
                    f"{'agent' if name in _AGENT_FIELDS else 'system'}` or remove it",
                )
    elif spec.kind == "system":
        for name in _AGENT_FIELDS:
            if name in given:
                yield ((*here, name), f"'{name}' belongs to an agent; set `kind: agent`")
        if not any(name in given for name in (*_SYSTEM_FIELDS, "generate")):
            yield (
                (*here, "kind"),
                "a system needs at least one of system_prompt, system_prompt_file, "
                "input_guards, output_guards or generate; otherwise use `kind: model`",
            )
    else:
        for name in _SYSTEM_FIELDS:
            if name in given:
                yield (
                    (*here, name),
                    f"'{name}' is not supported for an agent; give the agent its prompt "
                    "in agent_args (e.g. react's `prompt`)",
                )


def _guards(here: Location, guards: list[GuardSpec]) -> Iterator[tuple[Location, str]]:
    seen: set[str] = set()
    for index, guard in enumerate(guards):
        if guard.id in seen:
            yield ((*here, index, "id"), f"duplicate guard id '{guard.id}'")
        seen.add(guard.id)
        try:
            re.compile(guard.block_when)
        except re.error as ex:
            yield (
                (*here, index, "block_when"),
                f"'{guard.block_when}' is not a regular expression: {ex}",
            )
        if guard.prompt is not None and "{content}" not in guard.prompt:
            yield (
                (*here, index, "prompt"),
                "the guard prompt must contain {content}, where the text to check goes",
            )
        if "refusal" in guard.model_fields_set and guard.on_block == "stop":
            yield (
                (*here, index, "refusal"),
                "a guard that stops has no refusal text; remove it or use `on_block: refuse`",
            )


def _agent(
    here: Location, spec: ModelSpec, base_dir: Path, check_files: bool
) -> Iterator[tuple[Location, str]]:
    if spec.agent is None:
        yield (
            (*here, "agent"),
            "an agent needs `agent:` (an Inspect agent or solver, e.g. react or file.py@agent)",
        )
    elif "@" in spec.agent or spec.agent.endswith(".py"):
        try:
            ref = parse_task_ref(spec.agent, base_dir)
        except ValueError:
            yield (
                (*here, "agent"),
                f"'{spec.agent}' is not of the form path/to/file.py@agent (or a registry "
                "name such as react)",
            )
        else:
            if check_files and isinstance(ref, FileTaskRef) and not ref.path.is_file():
                yield (
                    (*here, "agent"),
                    f"file {ref.path} does not exist; paths are relative to the protocol file",
                )
    elif not re.fullmatch(r"[A-Za-z_][\w.]*(/[A-Za-z_]\w*)?", spec.agent):
        yield ((*here, "agent"), f"'{spec.agent}' is not a registry name nor file.py@agent")
    for index, tool in enumerate(spec.tools):
        if tool not in SUBJECT_TOOLS:
            yield (
                (*here, "tools", index),
                f"unknown tool '{tool}'; choose from {', '.join(SUBJECT_TOOLS)}",
            )


def resolve_file(name: str, base_dir: Path) -> Path:
    """A file named in the protocol, resolved relative to the protocol's directory."""
    return (base_dir / name).resolve()
