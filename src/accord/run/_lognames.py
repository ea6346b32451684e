"""Log file names that say which model ran: `<created>_<task>_<model>_<id>.eval`."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

PATTERN_VARIABLE = "INSPECT_EVAL_LOG_FILE_PATTERN"
LOG_FILE_PATTERN = "{task}_{model}_{id}"
"""Inspect's log file pattern for Accord runs: the protocol's task id, then the model."""


@contextmanager
def model_in_log_names() -> Iterator[None]:
    """Name the logs Inspect writes meanwhile by task and model (Inspect's own mechanism).

    A pattern the user set in `INSPECT_EVAL_LOG_FILE_PATTERN` is kept.
    """
    if PATTERN_VARIABLE in os.environ:
        yield
        return
    os.environ[PATTERN_VARIABLE] = LOG_FILE_PATTERN
    try:
        yield
    finally:
        os.environ.pop(PATTERN_VARIABLE, None)
