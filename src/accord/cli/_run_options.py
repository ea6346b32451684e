"""Inspect's run controls of `accord run`, from command-line values to `InspectOptions`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..run import InspectOptions

LOG_LEVELS = ("debug", "trace", "http", "info", "warning", "error", "critical", "notset")


def inspect_options(given: Mapping[str, Any]) -> InspectOptions:
    """The options among the command's parameters `given` (by name), checked and parsed.

    Raises:
        InputError: For a value Inspect would not accept, naming the option.

    """
    from .._util import InputError
    from ..run import OPERATIONAL_OPTIONS, RESULT_OPTIONS, InspectOptions, parse_fail_on_error

    values = {name: given.get(name) for name in (*OPERATIONAL_OPTIONS, *RESULT_OPTIONS)}
    level = values["log_level"]
    if level is not None and level.lower() not in LOG_LEVELS:
        raise InputError(f"--log-level takes one of {', '.join(LOG_LEVELS)}, not {level!r}")
    values["log_level"] = level.lower() if level else None
    if values["fail_on_error"] is not None:
        try:
            values["fail_on_error"] = parse_fail_on_error(values["fail_on_error"])
        except ValueError as ex:
            raise InputError(str(ex)) from None
    if values["sample_id"] is not None:
        values["sample_id"] = _split(values["sample_id"])
        if not values["sample_id"]:
            raise InputError("--sample-id needs at least one id, e.g. --sample-id 1,2,7")
    values["tags"] = _split(values["tags"] or "")
    values["log_dir_allow_dirty"] = True if values["log_dir_allow_dirty"] else None
    return InspectOptions(**values)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
