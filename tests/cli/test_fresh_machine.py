"""`make test` on a fresh machine: tests needing a missing system package skip, saying why."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _path_without(program: str) -> str:
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(d for d in dirs if not (Path(d) / program).exists())


def test_without_bubblewrap_the_sandbox_tests_skip_and_nothing_lands_in_the_checkout(
    tmp_path: Path,
) -> None:
    before = _checkout_state()
    env = {**os.environ, "PATH": _path_without("bwrap"), "COLUMNS": "200"}
    env.pop("INSPECT_LOG_DIR", None)  # the suite's own fixture must take care of it
    assert shutil.which("bwrap", path=env["PATH"]) is None
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "tests/suites/test_suites.py::test_a_stand_in_agent_solves_a_ctf_task_in_the_sandbox",
            "tests/sandbox/test_bwrap.py",
            "tests/protocol/test_hash.py",  # hypothesis: its storage stays out of the checkout
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "failed" not in done.stdout and "error" not in done.stdout.lower()
    skips = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert "passed" in done.stdout
    assert skips and all("apt-get install bubblewrap" in line for line in skips), done.stdout
    assert "\x1b[" not in done.stdout  # a plain reason, no terminal escape codes
    assert _checkout_state() == before


def _checkout_state() -> set[str]:
    """Every untracked or changed path in the checkout, ignored ones included."""
    done = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return {line for line in done.stdout.splitlines() if "__pycache__" not in line}
