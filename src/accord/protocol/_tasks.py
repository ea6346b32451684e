"""Task references in a protocol: `file.py@function` or an Inspect registry name."""

import ast
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path


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


def check_task_ref(ref: TaskRef) -> str | None:
    """Check, without running any code, that a task reference can be resolved.

    Returns:
        None when it resolves; otherwise what is wrong and how to fix it.

    """
    if isinstance(ref, FileTaskRef):
        return _check_file(ref)
    if ref.package in _inspect_packages():
        return None
    return (
        f"no installed package provides Inspect tasks under '{ref.package}/': install it "
        f"(for example `pip install {ref.package.replace('_', '-')}`) or use file.py@function"
    )


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


def _inspect_packages() -> set[str]:
    return {ep.name for ep in entry_points(group="inspect_ai")}
