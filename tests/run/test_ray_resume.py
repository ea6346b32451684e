"""A Ray run whose driver is killed resumes on re-run: finished shards are not run again."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import read_eval_log

from accord.run import read_manifest
from tests.conftest import ProtocolFactory
from tests.run._loopback import LoopbackServer

pytest.importorskip("ray", reason="Ray is not installed: pip install 'accord[ray]'")
psutil = pytest.importorskip("psutil", reason="psutil (a dev dependency) finds Ray's processes")
ACCORD = [sys.executable, "-m", "accord.cli"]


def finished_shards(out: Path) -> int:
    count = 0
    for shard in out.glob(".shards/*/*/"):
        for log in shard.glob("*.eval"):
            try:
                count += read_eval_log(str(log), header_only=True).status == "success"
            except Exception:  # being written
                continue
    return count


def kill_session(session: int) -> None:
    """SIGKILL every process of the session the test started (the driver and its Ray)."""
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) == session:
                process.send_signal(signal.SIGKILL)
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            continue


def test_a_killed_driver_resumes_without_running_finished_shards_again(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with LoopbackServer(latency=0.1) as server:

        def edit(data: dict[str, Any]) -> None:
            data["models"][0].update(model="openai-api/loopback/echo", base_url=server.base_url)

        path = make_protocol(edit)
        command = [*ACCORD, "run", str(path), "-p", "inst-b", "-o", str(out), "--json"]
        command += ["--executor", "ray", "--workers", "2", "--shard-size", "4"]
        command += ["--max-connections", "2"]
        env = {**os.environ, "LOOPBACK_API_KEY": "test"}
        first = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 240
            while finished_shards(out) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            kill_session(first.pid)
            first.wait()
        done = finished_shards(out)
        assert first.stderr is not None
        assert 2 <= done < 6, f"the kill should land part-way: {first.stderr.read()[-2000:]!r}"
        assert read_manifest(out).status == "running"
        asked_before = server.stats()["requests"]
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
        asked_after = server.stats()["requests"] - asked_before
    assert second.returncode == 0, second.stderr
    manifest = read_manifest(out)
    assert manifest.status == "complete"
    [record] = manifest.logs
    final = read_eval_log(str(out / record.file))
    keys = [(s.id, s.epoch) for s in final.samples or []]
    assert len(keys) == len(set(keys)) == 48  # nothing lost, nothing twice
    # each finished shard holds 4 samples x 2 epochs: none of them was asked again
    assert asked_after <= 48 - 8 * done
