"""Consoles and output helpers shared by every command."""

import json
from typing import Any

from rich.console import Console

out = Console()
"""Results: tables, and JSON with --json (nothing else goes to stdout then)."""

err = Console(stderr=True)
"""Progress, notes and errors."""


def print_json(data: Any) -> None:
    """Print `data` as indented JSON on stdout, plain (no colour or wrapping)."""
    print(json.dumps(data, indent=2, sort_keys=False, default=str))
