"""The subject fingerprint: one digest over everything that defines a subject."""

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .._util import InputError, sha256_digest
from ._spec import ModelSpec
from ._subjects import resolve_file

FINGERPRINT_PARTS = (
    "model",
    "system_prompt",
    "input_guards",
    "output_guards",
    "generate",
    "agent",
    "agent_args",
    "tools",
    "limits",
)
"""The components of a fingerprint, in the order differences are reported."""


@dataclass(frozen=True)
class SubjectFingerprint:
    """A subject's fingerprint and the digests of its parts.

    Attributes:
        kind: `model`, `system` or `agent`.
        digest: `sha256:<hex>` of the canonical JSON of the kind and every part.
        parts: `sha256:<hex>` of each part the subject has (see `FINGERPRINT_PARTS`), so
            that two fingerprints can say what differs (e.g. `system_prompt`).

    """

    kind: str
    digest: str
    parts: dict[str, str] = field(default_factory=dict)


def subject_fingerprint(spec: ModelSpec, base_dir: Path) -> SubjectFingerprint:
    """The fingerprint of a protocol's `models:` entry.

    It covers the model string and args, the system prompt text (read from its file, with
    line endings normalised so checkouts on any machine agree), the guards with their
    models, fixed generate settings, and the agent: its name, version (the code's digest
    for a file, the providing package's version for a registered one), args, tools and
    limits. Where a model or guard is served (`base_url`) is not part of it.

    Raises:
        InputError: When a file the subject names cannot be read.

    """
    values: dict[str, Any] = {"model": {"model": spec.model, "model_args": spec.model_args}}
    prompt = system_prompt_text(spec, base_dir)
    if prompt is not None:
        values["system_prompt"] = prompt
    for side in ("input_guards", "output_guards"):
        guards = getattr(spec, side)
        if guards:
            values[side] = [guard.model_dump(mode="json", exclude={"base_url"}) for guard in guards]
    if spec.generate:
        values["generate"] = spec.generate
    if spec.agent is not None:
        values["agent"] = {"name": spec.agent, "version": _agent_version(spec.agent, base_dir)}
    if spec.agent_args:
        values["agent_args"] = spec.agent_args
    if spec.tools:
        values["tools"] = spec.tools
    if spec.limits is not None:
        values["limits"] = spec.limits.model_dump(mode="json")
    parts = {name: sha256_digest(value) for name, value in values.items()}
    return SubjectFingerprint(spec.kind, sha256_digest({"kind": spec.kind, **parts}), parts)


def system_prompt_text(spec: ModelSpec, base_dir: Path) -> str | None:
    """The subject's system prompt, inline or read from its file (None when it has none).

    Raises:
        InputError: When the file cannot be read.

    """
    if spec.system_prompt is not None:
        return spec.system_prompt
    if spec.system_prompt_file is None:
        return None
    return _read_text(resolve_file(spec.system_prompt_file, base_dir), spec.id)


def _agent_version(agent: str, base_dir: Path) -> str:
    if "@" in agent:
        path = resolve_file(agent.rpartition("@")[0], base_dir)
        return sha256_digest(_read_text(path, agent))
    package = agent.split("/", 1)[0] if "/" in agent else "inspect_ai"
    try:
        return f"{package} {version(package)}"
    except PackageNotFoundError:
        return f"{package} (not installed)"


def _read_text(path: Path, owner: str) -> str:
    try:
        return path.read_bytes().decode("utf-8").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError) as ex:
        raise InputError(
            f"cannot read {path} (named by subject '{owner}'): {ex}; it must be a UTF-8 "
            "text file, relative to the protocol file"
        ) from None
