"""The commented protocol template and its example task."""

import shutil
from importlib.resources import as_file, files
from pathlib import Path

from .._util import InputError

_EXAMPLE = files("accord.protocol").joinpath("_example")
EXAMPLE_FILES = ("protocol.yaml", "refusal_task.py", "refusal_data.jsonl")


def protocol_template() -> str:
    """The commented template protocol (it uses the example task and stand-in models)."""
    return _EXAMPLE.joinpath("protocol.yaml").read_text(encoding="utf-8")


def write_demo_protocol(directory: Path) -> Path:
    """Write the demo's protocol (built-in suites, stand-in models) as `protocol.yaml`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "protocol.yaml"
    path.write_text(_EXAMPLE.joinpath("demo.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def write_example(directory: Path, *, overwrite: bool = False) -> Path:
    """Write the template protocol and its example task into `directory`.

    Returns:
        The path of the written protocol file.

    Raises:
        InputError: When a file would be overwritten and `overwrite` is false.

    """
    existing = [name for name in EXAMPLE_FILES if (directory / name).exists()]
    if existing and not overwrite:
        raise InputError(
            f"{directory} already holds {', '.join(existing)}; choose another directory "
            "or pass --force to overwrite"
        )
    directory.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLE_FILES:
        with as_file(_EXAMPLE.joinpath(name)) as source:
            shutil.copyfile(source, directory / name)
    return directory / "protocol.yaml"
