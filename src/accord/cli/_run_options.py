"""Inspect's run controls of `accord run`, from command-line text to `InspectOptions`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..run import InspectOptions


def inspect_options(
    *,
    max_samples: int | None,
    max_tasks: int | None,
    max_subprocesses: int | None,
    max_sandboxes: int | None,
    retry_attempts: int | None,
    retry_wait: float | None,
    retry_connections: float | None,
    log_level: str | None,
    tags: str | None,
    log_dir_allow_dirty: bool,
    sample_id: str | None,
    fail_on_error: str | None,
) -> InspectOptions:
    """The options as given on the command line.

    Raises:
        InputError: For a value Inspect would not accept, naming the option.

    """
    from .._util import InputError
    from ..run import InspectOptions, parse_fail_on_error

    levels = ("debug", "trace", "http", "info", "warning", "error", "critical", "notset")
    if log_level is not None and log_level.lower() not in levels:
        raise InputError(f"--log-level takes one of {', '.join(levels)}, not {log_level!r}")
    try:
        tolerance = None if fail_on_error is None else parse_fail_on_error(fail_on_error)
    except ValueError as ex:
        raise InputError(str(ex)) from None
    ids = _split(sample_id)
    if sample_id is not None and not ids:
        raise InputError("--sample-id needs at least one id, e.g. --sample-id 1,2,7")
    return InspectOptions(
        max_samples=max_samples,
        max_tasks=max_tasks,
        max_subprocesses=max_subprocesses,
        max_sandboxes=max_sandboxes,
        retry_attempts=retry_attempts,
        retry_wait=retry_wait,
        retry_connections=retry_connections,
        log_level=log_level.lower() if log_level else None,
        tags=_split(tags) or [],
        log_dir_allow_dirty=True if log_dir_allow_dirty else None,
        sample_id=ids if sample_id is not None else None,
        fail_on_error=tolerance,
    )


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]
