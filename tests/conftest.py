"""Shared fixtures: example protocols written to temporary directories."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.protocol import write_example

ProtocolFactory = Callable[..., Path]


def example_data(directory: Path) -> dict[str, Any]:
    """The example protocol as data (written by `accord protocol init`)."""
    path = write_example(directory, overwrite=True)
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


@pytest.fixture
def make_protocol(tmp_path: Path) -> ProtocolFactory:
    """Write the example protocol, changed by `edit(data)`, and return its path."""

    def make(edit: Callable[[dict[str, Any]], None] | None = None, name: str = "proto") -> Path:
        directory = tmp_path / name
        data = example_data(directory)
        if edit is not None:
            edit(data)
        path = directory / "protocol.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return make
