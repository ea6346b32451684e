"""The single exception hierarchy of Accord."""

from typing import Any


class AccordError(Exception):
    """Base of every error Accord raises on purpose.

    The message says what went wrong, where, and how to fix it. The command line
    prints it as one paragraph and exits with `exit_code`.
    """

    exit_code: int = 1


class InputError(AccordError):
    """Bad input from the user (a file, a flag, a field): exit code 2."""

    exit_code = 2


class OperationError(AccordError):
    """An operation that was asked for correctly but failed: exit code 1."""

    exit_code = 1


def invalid_fields(error: Any) -> str:
    """The fields a pydantic ValidationError names, on one line: `key_id, options.limit`."""
    return ", ".join(".".join(map(str, e["loc"])) or "<document>" for e in error.errors())
