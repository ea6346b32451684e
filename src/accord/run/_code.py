"""The code of a task: the local files it uses, or the registry package it comes from."""

import ast
import os
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from .._util import InputError, sha256_digest, sha256_hex
from ..protocol import FileTaskRef, TaskSpec, parse_task_ref

if TYPE_CHECKING:
    from ._plan import SharePlan

_MAX_LITERAL = 255  # longer strings are text, not file names


class TaskCode(BaseModel):
    """What a task's code is, as recorded in run manifests and packages.

    A file task (`tasks/x.py@fn`) is identified by the SHA-256 of every local file it uses
    (paths relative to the protocol's directory); a registry task by its distribution and
    version. `digest` covers all of it, so two runs ran the same code only if it agrees.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["files", "registry"]
    digest: str = Field(description="sha256:<hex> of the canonical JSON of the other fields.")
    files: dict[str, str] = Field(
        default_factory=dict, description="Relative POSIX path -> sha256:<hex> of its bytes."
    )
    distribution: str | None = Field(default=None, description="Registry tasks: distribution.")
    version: str | None = Field(default=None, description="Registry tasks: its version.")


def task_code(base_dir: Path, task: TaskSpec, sealed: Mapping[str, str] | None = None) -> TaskCode:
    """The code of one protocol task (see `TaskCode`).

    `sealed` gives the digests of the task's sealed files when they are not on disk (a
    package verified without a partner's key): they are used instead of the `sealed:`
    patterns.

    Raises:
        InputError: When a declared `files:` pattern matches nothing, or a used file lies
            outside the protocol's directory (such a task cannot be packaged).
    """
    ref = parse_task_ref(task.task, base_dir)
    if not isinstance(ref, FileTaskRef):
        distribution, version = registry_distribution(ref.package)
        pin = {"distribution": distribution, "version": version}
        return TaskCode(kind="registry", digest=sha256_digest(pin), **pin)
    root = base_dir.resolve()
    paths = task_files(root, ref, task, sealed=sealed is None)
    files = {relative_path(root, p, task.id): _digest(p) for p in paths}
    files.update(sealed or {})
    return TaskCode(kind="files", digest=sha256_digest({"files": files}), files=files)


def registry_distribution(package: str) -> tuple[str | None, str | None]:
    """(distribution, version) of the installed package that registers `package/` tasks."""
    for entry in entry_points(group="inspect_ai"):
        if entry.name == package and entry.dist is not None:
            return entry.dist.name, entry.dist.version
    return None, None


def task_files(root: Path, ref: FileTaskRef, task: TaskSpec, *, sealed: bool = True) -> list[Path]:
    """Every local file a file task uses, sorted.

    That is its module, the local modules it imports (transitively), the files its modules
    name in string literals (data, templates) and the files its `files:` patterns match.
    """
    found = module_files(root, ref.path)
    for pattern in [*task.files, *(task.sealed if sealed else [])]:
        matched = [p.resolve() for p in sorted(root.glob(pattern)) if p.is_file()]
        if not matched:
            raise InputError(
                f"task '{task.id}': files pattern '{pattern}' matches no file under {root}; "
                "fix the pattern (relative to the protocol's directory) or remove it"
            )
        found |= set(matched)
    return sorted(p for p in found if "__pycache__" not in p.parts)


def module_files(root: Path, module: Path) -> set[Path]:
    """A local module, the local modules it imports (transitively) and the files they name."""
    found: set[Path] = set()
    pending = [module.resolve()]
    while pending:
        current = pending.pop()
        if current in found or not current.is_file():
            continue
        found.add(current)
        try:
            tree = ast.parse(current.read_bytes(), filename=str(current))
        except (SyntaxError, ValueError):
            continue  # importing the module reports it when the run starts
        pending += _imported(tree, current, root)
        found |= _named_files(tree, current, root)
    return found


def relative_path(root: Path, path: Path, task_id: str) -> str:
    """`path` relative to `root` as POSIX text.

    Raises:
        InputError: When the file lies outside `root`.
    """
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        raise InputError(
            f"task '{task_id}' uses {path}, which is outside the protocol's directory {root}; "
            "move the file under that directory so partners get it too"
        ) from None


def _imported(tree: ast.AST, module: Path, root: Path) -> list[Path]:
    """Local modules (under `root`) that the module's import statements may load."""
    search = [module.parent, root]
    candidates: list[Path] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                candidates += _module_files(search, alias.name.split("."))
        elif isinstance(node, ast.ImportFrom):
            parts = node.module.split(".") if node.module else []
            bases = search
            if node.level:
                base = module.parent
                for _ in range(node.level - 1):
                    base = base.parent
                bases = [base]
            candidates += _module_files(bases, parts)
            for alias in node.names:
                candidates += _module_files(bases, [*parts, alias.name])
    # Decided on the path as found, so that a link out of the directory is refused later.
    return [c.resolve() for c in candidates if _inside(c, root)]


def _module_files(bases: list[Path], parts: list[str]) -> list[Path]:
    files = []
    for base in bases:
        for depth in range(1, len(parts) + 1):
            package = base.joinpath(*parts[:depth])
            files.append(package / "__init__.py")
            if depth == len(parts):
                files.append(package.with_suffix(".py"))
        if not parts:
            files.append(base / "__init__.py")
    return [f for f in files if f.is_file()]


def _named_files(tree: ast.AST, module: Path, root: Path) -> set[Path]:
    """Files under `root` that string literals of the module name (data, templates)."""
    named = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        if not text or len(text) > _MAX_LITERAL or "\n" in text or "\x00" in text:
            continue
        for base in (module.parent, root):
            candidate = base / text
            try:
                if candidate.is_file() and _inside(candidate.absolute(), root):
                    named.add(candidate.resolve())
            except OSError:
                continue
    return named


def _inside(path: Path, root: Path) -> bool:
    return os.path.normpath(path).startswith(str(root) + os.sep)


def _digest(path: Path) -> str:
    return "sha256:" + sha256_hex(path.read_bytes())


def plan_code(plan: "SharePlan") -> dict[str, TaskCode]:
    """The code of every task in a share, by task id (computed before the share runs).

    Raises:
        InputError: As `task_code`.
    """
    protocol = plan.protocol_file.protocol
    base_dir = plan.protocol_file.base_dir
    return {
        task_id: task_code(base_dir, protocol.task(task_id))
        for task_id in dict.fromkeys(run.task_id for run in plan.runs)
    }


def sealed_paths(root: Path, patterns: list[str]) -> list[Path]:
    """The files under `root` that `sealed:` patterns match (resolved, sorted)."""
    return sorted({p.resolve() for pattern in patterns for p in root.glob(pattern) if p.is_file()})
