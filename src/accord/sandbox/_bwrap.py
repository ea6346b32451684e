"""A Docker-free Inspect sandbox: each sample in its own bubblewrap container.

Isolation: a private writable work dir (`/work`, the sample's files), read-only system
directories, a fresh /tmp, no network (a new, empty network namespace), its own PID, IPC and
UTS namespaces, a cleared environment, and per-command limits on wall time, memory and
processes. Processes die with their command; the work dir is removed at clean-up on every
path. If `bwrap` cannot run, using the sandbox fails with a clear error: there is no
unisolated fallback.
"""

import asyncio
import contextlib
import os
import resource
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Union, overload

from inspect_ai.util import (
    ExecResult,
    SandboxEnvironment,
    SandboxEnvironmentConfigType,
    sandboxenv,
)
from pydantic import BaseModel, ConfigDict, Field

WORK = "/work"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d")
OUTPUT_LIMIT = 10 * 1024 * 1024


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces on this machine."""


class BwrapConfig(BaseModel):
    """Limits of the `bwrap` sandbox (give as `sandbox=("bwrap", {...})` or a JSON/YAML file)."""

    model_config = ConfigDict(extra="forbid")

    time_limit: int = Field(
        default=600, ge=1, description="Seconds a command may run without its own timeout."
    )
    memory_mb: int = Field(default=2048, ge=16, description="Address-space limit per process, MiB.")
    max_processes: int = Field(default=256, ge=4, description="Process limit (RLIMIT_NPROC).")


@sandboxenv(name="bwrap")
class BwrapSandboxEnvironment(SandboxEnvironment):
    """Inspect sandbox `bwrap` (see the module docstring)."""

    def __init__(self, workdir: Path, config: BwrapConfig) -> None:
        super().__init__()
        self.workdir = workdir
        self.config = config

    @classmethod
    def config_deserialize(cls, config: dict[str, Any]) -> BaseModel:
        """Read the sandbox config given in a task."""
        return BwrapConfig.model_validate(config)

    @classmethod
    async def sample_init(
        cls, task_name: str, config: SandboxEnvironmentConfigType | None, metadata: dict[str, str]
    ) -> dict[str, SandboxEnvironment]:
        """A fresh sandbox (with its own work dir) for one sample."""
        check_bwrap()
        settings = config if isinstance(config, BwrapConfig) else BwrapConfig()
        workdir = Path(tempfile.mkdtemp(prefix="accord-bwrap-"))
        return {"default": cls(workdir, settings)}

    @classmethod
    async def sample_cleanup(
        cls,
        task_name: str,
        config: SandboxEnvironmentConfigType | None,
        environments: dict[str, SandboxEnvironment],
        interrupted: bool,
    ) -> None:
        """Remove each sample's work dir (its processes ended with their commands)."""
        for environment in environments.values():
            if isinstance(environment, BwrapSandboxEnvironment):
                shutil.rmtree(environment.workdir, ignore_errors=True)

    async def exec(
        self,
        cmd: list[str],
        input: str | bytes | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        user: str | None = None,
        timeout: int | None = None,
        timeout_retry: bool = True,
        concurrency: bool = True,
    ) -> ExecResult[str]:
        """Run `cmd` inside the sandbox; raises TimeoutError past its time limit."""
        if user is not None and user not in ("root", "0"):
            raise ValueError(f"the bwrap sandbox runs commands as one user; cannot run as {user!r}")
        args = [*bwrap_command(self.workdir, self._inside(cwd), env or {}), "--", *cmd]
        process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=self._limits,
        )
        data = input.encode() if isinstance(input, str) else input
        try:
            stdout, stderr = await asyncio.wait_for(
                process.communicate(data), timeout or self.config.time_limit
            )
        except (TimeoutError, asyncio.CancelledError):
            _kill(process)
            await process.wait()
            raise
        return ExecResult(
            success=process.returncode == 0,
            returncode=process.returncode or 0,
            stdout=stdout[-OUTPUT_LIMIT:].decode("utf-8", "replace"),
            stderr=stderr[-OUTPUT_LIMIT:].decode("utf-8", "replace"),
        )

    async def write_file(self, file: str, contents: str | bytes) -> None:
        """Write a file in the sample's work dir."""
        path = self._host_path(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(contents.encode() if isinstance(contents, str) else contents)

    @overload
    async def read_file(self, file: str, text: Literal[True] = True) -> str: ...

    @overload
    async def read_file(self, file: str, text: Literal[False]) -> bytes: ...

    async def read_file(self, file: str, text: bool = True) -> Union[str | bytes]:  # noqa: UP007
        """Read a file from the sample's work dir."""
        data = self._host_path(file).read_bytes()
        return data.decode("utf-8") if text else data

    def _inside(self, cwd: str | None) -> str:
        if cwd is None:
            return WORK
        path = PurePosixPath(cwd)
        return str(path if path.is_absolute() else PurePosixPath(WORK) / path)

    def _host_path(self, file: str) -> Path:
        path = PurePosixPath(file)
        relative = (
            path.relative_to(WORK) if path.is_absolute() and path.is_relative_to(WORK) else path
        )
        if relative.is_absolute():
            raise PermissionError(
                f"{file}: only files under {WORK} (the sample's work dir) are reachable"
            )
        host = (self.workdir / relative).resolve()
        if not host.is_relative_to(self.workdir.resolve()):
            raise PermissionError(f"{file}: resolves outside the sample's work dir")
        return host

    def _limits(self) -> None:
        memory = self.config.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(
            resource.RLIMIT_NPROC, (self.config.max_processes, self.config.max_processes)
        )


def bwrap_command(workdir: Path, cwd: str, env: dict[str, str]) -> list[str]:
    """The bwrap invocation for one command (without the command itself)."""
    args = [
        "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--bind",
        str(workdir),
        WORK,
        "--chdir",
        cwd,
        "--setenv",
        "PATH",
        "/usr/local/bin:/usr/bin:/bin",
        "--setenv",
        "HOME",
        WORK,
        "--setenv",
        "LANG",
        "C.UTF-8",
    ]
    for path in (*SYSTEM_DIRS, *SYSTEM_FILES):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            args += ["--ro-bind", path, path]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args


_checked: list[bool] = []


def check_bwrap() -> None:
    """Make sure bubblewrap can build a sandbox here.

    Raises:
        SandboxUnavailable: With what is wrong and how to fix it.
    """
    if _checked:
        return
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(
            "the bwrap sandbox needs bubblewrap, which is not installed: "
            "`apt-get install bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap`"
        )
    with tempfile.TemporaryDirectory(prefix="accord-bwrap-probe-") as probe:
        done = subprocess.run(
            [*bwrap_command(Path(probe), WORK, {}), "--", "true"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    if done.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap cannot create a sandbox on this machine ({done.stderr.strip()}); "
            "enable unprivileged user namespaces or run where namespaces are allowed. "
            "Accord never runs a sandboxed task without isolation."
        )
    _checked.append(True)


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
