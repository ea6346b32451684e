"""Accord: joint AI safety testing between evaluation institutes, built on Inspect."""

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    # The version is looked up on first use: importlib.metadata costs ~60 ms at start-up.
    if name != "__version__":
        raise AttributeError(f"module 'accord' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("accord")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found
