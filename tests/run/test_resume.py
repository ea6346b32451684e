"""A run killed part-way resumes on re-run without re-running finished samples."""

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from inspect_ai.log import read_eval_log, recover_eval_log

from accord.run import read_manifest
from tests.conftest import ProtocolFactory

ACCORD = [sys.executable, "-m", "accord.cli"]


def _flushed_samples(out: Path) -> int:
    """Samples the running log has flushed to its archive so far (0 while it is mid-write)."""
    logs = list(out.glob("*.eval"))
    try:
        with zipfile.ZipFile(logs[0]) as archive:
            return sum(1 for name in archive.namelist() if name.startswith("samples/"))
    except (IndexError, OSError, zipfile.BadZipFile):
        return 0


def test_killed_run_resumes_and_reuses_finished_samples(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    # A slow stand-in on one connection: samples finish one by one, ~0.15 s apart.
    path = make_protocol(lambda d: d["models"][0].update(model_args={"latency": 0.15}))
    out = tmp_path / "out"
    command = [*ACCORD, "run", str(path), "--partner", "inst-b", "--out", str(out)]
    command += ["--max-connections", "1", "--json"]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Kill once some samples have finished (polled, not slept: a loaded machine is slow).
    deadline = time.monotonic() + 90
    while _flushed_samples(out) < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert read_manifest(out).status == "running"  # the manifest tells it was cut short
    [crashed] = list(out.glob("*.eval"))
    recovered = recover_eval_log(
        str(crashed), output=str(tmp_path / "recovered.eval"), cleanup=False
    )
    finished = {(s.id, s.epoch): s.uuid for s in recovered.samples or [] if not s.error}
    assert 0 < len(finished) < 48, "the kill should land part-way through the run"

    second = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert second.returncode == 0, second.stderr
    manifest = read_manifest(out)
    assert manifest.status == "complete"
    [record] = manifest.logs
    final = read_eval_log(str(out / record.file))
    assert final.status == "success" and len(final.samples or []) == 48
    uuids = {(s.id, s.epoch): s.uuid for s in final.samples or []}
    # every sample finished before the kill is reused as it was, not run again
    assert {key: uuids[key] for key in finished} == finished
    reran = [s for s in final.samples or [] if (s.id, s.epoch) not in finished]
    assert len(reran) == 48 - len(finished)
