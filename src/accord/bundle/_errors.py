"""Bundle errors."""

from .._util import OperationError


class BundleError(OperationError):
    """A bundle that is malformed, unsafe, or fails verification; the message says exactly why."""
