"""Inspect's run controls that `accord run` passes through, and which of them change results.

Operational options change how a share is executed (concurrency, retries, logging) and may
differ between partners. Result-changing options change which samples are scored or which
count, so two partners must use the same: `sample_id` runs a subset (a trial run, like
`--limit`) and `fail_on_error` decides whether a log whose samples failed still counts. Both
kinds are recorded in the manifest; `accord run compare` names a difference in a
result-changing one as breaking comparability.
"""

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .._util import InputError
from ..protocol import Protocol

OPERATIONAL_OPTIONS = (
    "max_samples",
    "max_tasks",
    "max_subprocesses",
    "max_sandboxes",
    "retry_attempts",
    "retry_wait",
    "retry_connections",
    "log_level",
    "tags",
    "log_dir_allow_dirty",
)
"""Options that may differ between partners: they do not change what is measured."""

RESULT_OPTIONS = ("sample_id", "fail_on_error")
"""Options that change results: partners must agree on them (the protocol may fix them)."""


class InspectOptions(BaseModel):
    """Inspect run controls given to `accord run` (None: Inspect's default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_samples: int | None = Field(default=None, ge=1, description="Samples run at once.")
    max_tasks: int | None = Field(default=None, ge=1, description="Tasks run at once.")
    max_subprocesses: int | None = Field(default=None, ge=1)
    max_sandboxes: int | None = Field(default=None, ge=1)
    retry_attempts: int | None = Field(
        default=None, ge=0, description="eval_set: attempts at tasks that failed."
    )
    retry_wait: float | None = Field(
        default=None, ge=0, description="eval_set: seconds before the first retry (doubling)."
    )
    retry_connections: float | None = Field(
        default=None, gt=0, le=1, description="eval_set: fraction of connections kept on retry."
    )
    log_level: str | None = None
    tags: list[str] = Field(default_factory=list, description="Tags written into each log.")
    log_dir_allow_dirty: bool | None = None
    sample_id: list[str] | None = Field(
        default=None,
        description="Only these sample ids (or fnmatch patterns) ran: a trial run, like --limit.",
    )
    fail_on_error: bool | int | float | None = Field(
        default=None,
        description="True: a sample error fails the task; a fraction below 1 or a count: "
        "tolerate that many errored samples (they are left unscored). None: Inspect's default.",
    )

    def eval_set_args(self) -> dict[str, Any]:
        """Keyword arguments for Inspect's `eval_set`, leaving out what was not given."""
        args = {k: v for k, v in self.model_dump().items() if v is not None}
        if not self.tags:
            del args["tags"]
        return args

    def given(self) -> list[str]:
        """The options given, as command-line flags (for error messages)."""
        return [
            "--" + name.replace("_", "-")
            for name, value in self.model_dump().items()
            if value is not None and value != []
        ]


def parse_fail_on_error(text: str) -> bool | int | float:
    """`--fail-on-error` as Inspect reads it: true/false, a fraction below 1, or a count.

    Raises:
        ValueError: For anything else, with what is accepted.

    """
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    try:
        value = float(lowered)
    except ValueError:
        value = -1.0
    if value <= 0 or (value > 1 and not value.is_integer()):
        raise ValueError(
            f"--fail-on-error takes true, false, a fraction of samples (0.1) or a count (5), "
            f"not {text!r}"
        )
    return int(value) if value > 1 else value


def agreed_options(
    options: InspectOptions, protocol: Protocol, limit: int | None
) -> InspectOptions:
    """`options` with what the protocol fixes filled in, checked against it.

    Raises:
        InputError: When an option contradicts the protocol or another option.

    """
    if limit is not None and options.sample_id is not None:
        raise InputError("--limit and --sample-id each choose the samples to run; give one")
    fixed = protocol.fail_on_error
    if fixed is None:
        return options
    if options.fail_on_error is not None and options.fail_on_error != fixed:
        raise InputError(
            f"--fail-on-error {_show(options.fail_on_error)} contradicts the protocol "
            f"(fail_on_error: {_show(fixed)}); it changes which samples count, so every "
            "partner uses the protocol's: drop the option"
        )
    return options.model_copy(update={"fail_on_error": fixed})


def logged_options(options: InspectOptions, logs: list[Path]) -> InspectOptions:
    """`options` with the result-changing ones the logs actually ran with.

    A resumed run may reuse logs made with other options: a log made with `--sample-id`
    keeps the run a trial, and the logs' `fail_on_error` is recorded when they agree on one.
    """
    from inspect_ai.log import read_eval_log

    configs = [read_eval_log(str(path), header_only=True).eval.config for path in logs]
    ids = sorted({str(i) for c in configs if c.sample_id is not None for i in _ids(c.sample_id)})
    update: dict[str, Any] = {"sample_id": ids or None}
    tolerances = {c.fail_on_error for c in configs}
    if len(tolerances) == 1:
        update["fail_on_error"] = tolerances.pop()
    return options.model_copy(update=update)


def _ids(sample_id: str | int | list[str] | list[int] | list[str | int]) -> list[str | int]:
    return list(sample_id) if isinstance(sample_id, list) else [sample_id]


def _show(value: bool | float) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
