"""Errors of test packages."""

from .._util import InputError


class PackageError(InputError):
    """A package that cannot be built, or fails verification (exit code 2)."""
