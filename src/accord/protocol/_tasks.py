"""Task references in a protocol: `file.py@function` or an Inspect registry name."""

import ast
import difflib
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class FileTaskRef:
    """A task defined by `@task def function` in a Python file."""

    path: Path
    function: str


@dataclass(frozen=True)
class RegistryTaskRef:
    """A task registered by an installed package, e.g. `inspect_evals/xstest`."""

    name: str

    @property
    def package(self) -> str:
        """The package prefix of the name."""
        return self.name.split("/", 1)[0]


TaskRef = FileTaskRef | RegistryTaskRef


def parse_task_ref(text: str, base_dir: Path) -> TaskRef:
    """Parse a task reference; files are resolved relative to `base_dir`.

    Raises:
        ValueError: When the text is neither form.

    """
    if "@" in text:
        file_part, _, function = text.rpartition("@")
        if not file_part.endswith(".py") or not function.isidentifier():
            raise ValueError(f"'{text}' is not of the form path/to/file.py@function")
        return FileTaskRef((base_dir / file_part).resolve(), function)
    if text.endswith(".py"):
        raise ValueError(f"'{text}' names a file but no task: write {text}@function_name")
    package, _, name = text.partition("/")
    if not package or not name or not all(p.replace("_", "a").isalnum() for p in text.split("/")):
        raise ValueError(f"'{text}' is not a registry name (package/task) nor file.py@function")
    return RegistryTaskRef(text)


@dataclass(frozen=True)
class TaskCheck:
    """Whether a task reference resolves, checked without running task code.

    Attributes:
        status: `resolved`; `unresolved` (a problem: `detail` says what and how to fix
            it); or `unchecked` (it could not be checked here: `detail` says why, and the
            reference is checked again when the task runs).
        detail: Why it is unresolved or unchecked; None when resolved.
    """

    status: Literal["resolved", "unresolved", "unchecked"]
    detail: str | None = None


def check_task_ref(ref: TaskRef) -> TaskCheck:
    """Check that a task reference resolves.

    A file reference is checked statically (the file parses and defines the function
    decorated with @task). A registry name is looked up among the tasks its package
    registers with Inspect: the package's `inspect_ai` entry point is imported (as Inspect
    does), but no task is created.
    """
    if isinstance(ref, FileTaskRef):
        error = _check_file(ref)
        return TaskCheck("resolved") if error is None else TaskCheck("unresolved", error)
    return _check_registry(ref)


def _check_registry(ref: RegistryTaskRef) -> TaskCheck:
    found = [ep for ep in entry_points(group="inspect_ai") if ep.name == ref.package]
    if not found:
        return TaskCheck(
            "unresolved",
            f"no installed package provides Inspect tasks under '{ref.package}/': install it "
            f"(for example `pip install {ref.package.replace('_', '-')}`) or use file.py@function",
        )
    names, why = _registered_tasks(found[0])
    if names is None:
        return TaskCheck("unchecked", why)
    if ref.name in names:
        return TaskCheck("resolved")
    near = difflib.get_close_matches(ref.name, sorted(names), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(near)}?" if near else f"its tasks: {_listing(names)}"
    return TaskCheck("unresolved", f"package '{ref.package}' has no task '{ref.name}'; {hint}")


def _registered_tasks(entry: EntryPoint) -> tuple[set[str] | None, str]:
    """Registry names of the tasks an entry point module exposes (None: cannot tell, why)."""
    try:
        module = entry.load()
        from inspect_ai.util import registry_info
    except Exception as ex:
        return None, (
            f"importing its package's entry point {entry.value} failed "
            f"({type(ex).__name__}: {ex}); it is checked again when the task runs"
        )
    names = set()
    for value in vars(module).values():
        try:
            info = registry_info(value)
        except Exception:  # not a registered Inspect object
            continue
        if info.type == "task":
            names.add(info.name)
    if not names:
        return None, (
            f"its package's entry point {entry.value} names no tasks itself (they may be "
            "registered on demand); it is checked when the task runs"
        )
    return names, ""


def _listing(names: set[str]) -> str:
    shown = sorted(names)[:8]
    return ", ".join(shown) + (f" and {len(names) - 8} more" if len(names) > 8 else "")


def _check_file(ref: FileTaskRef) -> str | None:
    if not ref.path.is_file():
        return f"task file {ref.path} does not exist"
    try:
        tree = ast.parse(ref.path.read_text(encoding="utf-8"), filename=str(ref.path))
    except (SyntaxError, UnicodeDecodeError) as ex:
        return f"task file {ref.path} cannot be parsed: {ex}"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == ref.function:
            if any(_is_task_decorator(d) for d in node.decorator_list):
                return None
            return f"{ref.function} in {ref.path} is not decorated with @task"
    return f"{ref.path} defines no function '{ref.function}'"


def _is_task_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Name):
        return target.id == "task"
    return isinstance(target, ast.Attribute) and target.attr == "task"
