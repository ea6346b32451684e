"""Analysis errors."""

from .._util import InputError


class AnalysisError(InputError):
    """Data that the method cannot analyse as given; the message says what and how to fix it."""
