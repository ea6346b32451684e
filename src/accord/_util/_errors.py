"""The single exception hierarchy of Accord."""


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
