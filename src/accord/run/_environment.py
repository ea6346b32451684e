"""The environment a share ran in: versions, packages, platform, source revision."""

import platform
import subprocess
import sys
from importlib.metadata import distributions, version
from pathlib import Path

from pydantic import BaseModel, ConfigDict


class SourceRevision(BaseModel):
    """The git revision of the directory holding the protocol, when it is a repository."""

    model_config = ConfigDict(frozen=True)

    commit: str
    dirty: bool


class Environment(BaseModel):
    """Software and platform that produced a run."""

    model_config = ConfigDict(frozen=True)

    accord: str
    inspect_ai: str
    python: str
    platform: str
    packages: dict[str, str]
    source: SourceRevision | None = None


def capture_environment(protocol_dir: Path) -> Environment:
    """Describe the running environment, with the git revision of `protocol_dir` if any."""
    packages: dict[str, str] = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        if name:
            packages[name.lower()] = dist.version
    return Environment(
        accord=_version("accord"),
        inspect_ai=_version("inspect_ai"),
        python=sys.version.split()[0],
        platform=platform.platform(),
        packages=dict(sorted(packages.items())),
        source=_git_revision(protocol_dir),
    )


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except Exception:  # a source tree without metadata
        return "unknown"


def _git_revision(directory: Path) -> SourceRevision | None:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(directory), *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    status = git("status", "--porcelain", "--", ".")
    return SourceRevision(commit=commit, dirty=bool(status))
