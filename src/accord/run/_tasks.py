"""Creating Inspect tasks from protocol task references."""

import contextlib
import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from inspect_ai import Task
from inspect_ai.util import registry_create, registry_info

from ..protocol import RegistryTaskRef, TaskRef

_modules: dict[Path, ModuleType] = {}


def create_task(ref: TaskRef, args: dict[str, Any]) -> Task:
    """A new Inspect `Task` for `ref` called with `args`.

    File tasks are imported and created with their directory as working directory, as
    `inspect eval` does, so relative data paths in them work.

    Raises:
        Exception: Whatever the task's own code raises; callers turn it into an AccordError.

    """
    if isinstance(ref, RegistryTaskRef):
        return registry_create("task", ref.name, **args)
    module = import_file(ref.path)
    factory = getattr(module, ref.function, None)
    if factory is None:
        raise LookupError(f"{ref.path} defines no '{ref.function}'")
    try:
        is_task = registry_info(factory).type == "task"
    except ValueError:
        is_task = False
    if not is_task:
        raise LookupError(f"{ref.function} in {ref.path} is not an Inspect @task")
    with _in_directory(ref.path.parent):
        task = factory(**args)
    if not isinstance(task, Task):
        raise TypeError(f"{ref.function} in {ref.path} returned {type(task).__name__}, not a Task")
    return task


def import_file(path: Path) -> ModuleType:
    """The module of a Python file, imported once with its directory on the path."""
    if path in _modules:
        return _modules[path]
    name = "accord_task_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with _in_directory(path.parent):
            spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    _modules[path] = module
    return module


@contextlib.contextmanager
def _in_directory(directory: Path) -> Any:
    sys.path.insert(0, str(directory))
    try:
        with contextlib.chdir(directory):
            yield
    finally:
        sys.path.remove(str(directory))
