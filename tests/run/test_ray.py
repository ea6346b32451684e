"""The Ray executor: a share run as shards on local Ray workers is the same run as in-process.

One local Ray instance (2 CPUs) serves the module and is shut down after it.
"""

import json
import logging
import os
import shutil
import signal
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import read_eval_log
from typer.testing import CliRunner

from accord.cli import app
from accord.identity import write_key_pair
from accord.protocol import load_protocol
from accord.run import (
    RayOptions,
    RunResult,
    compare_runs,
    plan_share,
    read_manifest,
    run_share,
    run_share_ray,
)
from tests.conftest import ProtocolFactory
from tests.run._loopback import LoopbackServer

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'accord[ray]'")
psutil = pytest.importorskip("psutil", reason="psutil (a dev dependency) finds Ray workers")
runner = CliRunner(env={"COLUMNS": "100"})

LIMITER_CALLS_MAX = 48
"""Calls to the connection limiter allowed for the 48 model calls of the cap test."""


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    os.environ.setdefault("LOOPBACK_API_KEY", "test")  # workers inherit it at start
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


def loopback_protocol(make_protocol: ProtocolFactory, server: LoopbackServer) -> Path:
    def edit(data: dict[str, Any]) -> None:
        data["models"][0].update(model="openai-api/loopback/echo", base_url=server.base_url)

    return make_protocol(edit)


def run_ray(path: Path, partner: str, out: Path, **kwargs: Any) -> RunResult:
    address = kwargs.pop("address", None)
    options = RayOptions(address, workers=2, shard_size=kwargs.pop("shard_size", 5))
    return run_share_ray(
        plan_share(load_protocol(path), partner, out), ray_options=options, **kwargs
    )


def run_local(path: Path, partner: str, out: Path, **kwargs: Any) -> RunResult:
    return run_share(plan_share(load_protocol(path), partner, out), display="none", **kwargs)


def samples(result: RunResult, task_id: str, model_id: str) -> dict[tuple[Any, int], Any]:
    record = result.manifest.log(task_id, model_id)
    assert record is not None
    log = read_eval_log(str(result.out_dir / record.file))
    assert log.samples is not None
    return {
        (s.id, s.epoch): (
            s.output.completion,
            {k: v.value for k, v in (s.scores or {}).items()},
        )
        for s in log.samples
    }


def assert_same_run(ray_run: RunResult, local: RunResult) -> None:
    assert ray_run.complete and local.complete
    ignore = {"file", "sha256", "started_at", "completed_at"}
    by_run = {(r.task_id, r.model_id): r for r in local.manifest.logs}
    assert len(ray_run.manifest.logs) == len(local.manifest.logs)
    for record in ray_run.manifest.logs:
        twin = by_run[record.task_id, record.model_id]
        assert record.model_dump(exclude=ignore) == twin.model_dump(exclude=ignore)
        assert samples(ray_run, record.task_id, record.model_id) == samples(
            local, record.task_id, record.model_id
        )
        # The merged log's header is what Inspect writes for the whole run: its metrics,
        # the usage of every shard.
        ray_log, local_log = (
            read_eval_log(str(run.out_dir / r.file), header_only=True)
            for run, r in ((ray_run, record), (local, twin))
        )
        assert ray_log.results is not None and local_log.results is not None
        assert ray_log.results.model_dump() == local_log.results.model_dump()
        assert ray_log.stats.model_usage == local_log.stats.model_usage
    comparison = compare_runs(ray_run.out_dir, local.out_dir)
    assert comparison.comparable and not comparison.differences
    # one log per task x model in the run directory, and no shards left behind
    assert len(list(ray_run.out_dir.glob("*.eval"))) == len(ray_run.manifest.logs)
    assert not (ray_run.out_dir / ".shards").exists()


def test_ray_run_of_stand_ins_equals_the_in_process_run_and_bundles(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    ray_run = run_ray(path, "inst-a", tmp_path / "ray")
    local = run_local(path, "inst-a", tmp_path / "local")
    assert_same_run(ray_run, local)
    merged = read_eval_log(str(ray_run.out_dir / ray_run.manifest.logs[0].file))
    assert merged.status == "success" and merged.eval.dataset.samples == 24
    assert merged.eval.config.sample_id is None  # a log of the whole task, not of a shard
    write_key_pair("inst-a", tmp_path / "keys", datetime.now(UTC) - timedelta(days=1))
    built = runner.invoke(
        app,
        [
            *("bundle", "build", str(ray_run.out_dir), "--protocol", str(path)),
            *("--key", str(tmp_path / "keys" / "inst-a.key"), "-o", str(tmp_path / "a.zip")),
        ],
    )
    assert built.exit_code == 0, built.output


def test_ray_run_on_a_loopback_server_equals_in_process_and_keeps_the_connection_cap(
    make_protocol: ProtocolFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="accord.run")
    with LoopbackServer(latency=0.05) as server:
        path = loopback_protocol(make_protocol, server)
        local = run_local(path, "inst-b", tmp_path / "local")
        server.reset()
        ray_run = run_ray(path, "inst-b", tmp_path / "ray", max_connections=4, shard_size=3)
        stats = server.stats()
    assert_same_run(ray_run, local)
    assert stats["requests"] == 48  # 24 samples x 2 epochs, each asked once
    assert stats["peak"] <= 4, "the share went over its connection cap"
    assert stats["peak"] >= 3, "both workers should have run at once"
    [limiter] = [r.__dict__ for r in caplog.records if "limiter_calls" in r.__dict__]
    assert [s["peak"] <= 4 for s in limiter["limiter_stats"].values()] == [True]
    # Slots are leased and reused: far fewer calls to the actor than the 2 x 48 of a
    # message per slot taken and given back (8 shards of 6 calls here).
    calls = limiter["limiter_calls"]
    assert calls["acquire"] + calls["release"] <= LIMITER_CALLS_MAX, calls


def test_a_killed_worker_resumes_its_shard_without_losing_or_repeating_samples(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    out = tmp_path / "ray"
    with LoopbackServer(latency=0.1) as server:
        path = loopback_protocol(make_protocol, server)
        result: list[RunResult] = []
        thread = threading.Thread(
            target=lambda: result.append(
                run_ray(path, "inst-b", out, max_connections=2, shard_size=12)
            )
        )
        thread.start()
        deadline = time.monotonic() + 60
        while server.stats()["requests"] < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        [worker, *_] = [
            p
            for p in psutil.process_iter(["cmdline"])
            if "ray::ShardWorker" in " ".join(p.info["cmdline"] or [])
        ]
        worker.send_signal(signal.SIGKILL)
        copies = tmp_path / "at-kill"
        shutil.copytree(out / ".shards", copies)
        thread.join(120)
        total = server.stats()["requests"]
    before = dict(item for crashed in copies.glob("*/*/*.eval") for item in flushed(crashed))
    assert result and result[0].complete
    final = read_eval_log(str(out / result[0].manifest.logs[0].file))
    keys = [(s.id, s.epoch) for s in final.samples or []]
    assert len(keys) == len(set(keys)) == 48  # nothing lost, nothing twice
    uuids = {(s.id, s.epoch): s.uuid for s in final.samples or []}
    assert len(before) >= 8, "the kill should land after the shards flushed some samples"
    assert {key: uuids[key] for key in before} == before  # finished samples were reused
    assert total - 48 <= 48 - len(before), "finished samples were asked again"


def test_a_limited_ray_run_has_the_digest_of_the_limited_in_process_run(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    ray_run = run_ray(path, "inst-b", tmp_path / "ray", limit=7, shard_size=2)
    local = run_local(path, "inst-b", tmp_path / "local", limit=7)
    assert_same_run(ray_run, local)
    assert ray_run.manifest.partial and ray_run.manifest.logs[0].samples == 7


def test_workers_without_a_shared_directory_send_their_logs_back(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    # With an address (here the module's running Ray), workers write into their own
    # temporary directories and return each finished shard log to the driver.
    path = make_protocol()
    ray_run = run_ray(path, "inst-b", tmp_path / "ray", address="auto", shard_size=6)
    local = run_local(path, "inst-b", tmp_path / "local")
    assert_same_run(ray_run, local)


def flushed(crashed: Path) -> list[tuple[tuple[Any, int], str]]:
    """(id, epoch) -> uuid of the samples a log cut short had written out."""
    with zipfile.ZipFile(crashed) as archive:
        members = [n for n in archive.namelist() if n.startswith("samples/")]
        data = [json.loads(archive.read(n)) for n in members]
    return [((d["id"], d["epoch"]), d["uuid"]) for d in data if not d.get("error")]


def test_options_that_need_ray_are_refused_without_it(
    make_protocol: ProtocolFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_protocol()
    base = ["run", str(path), "-p", "inst-b", "-o", str(tmp_path / "o")]
    result = runner.invoke(app, [*base, "--workers", "2"])
    assert result.exit_code == 2 and "--workers only applies to --executor ray" in result.output
    monkeypatch.setitem(__import__("sys").modules, "ray", None)  # as if not installed
    result = runner.invoke(app, [*base, "--executor", "ray"])
    assert result.exit_code == 2
    assert "pip install 'accord[ray]'" in result.output
    assert not (tmp_path / "o").exists()  # nothing written


def test_cli_runs_a_share_on_ray_with_json_output(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    out = tmp_path / "o"
    result = runner.invoke(
        app,
        [
            *("run", str(path), "-p", "inst-b", "-o", str(out), "--executor", "ray"),
            *("--json", "--workers", "2", "--shard-size", "6"),
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = read_manifest(out)
    assert manifest.status == "complete"
    [record] = manifest.logs
    assert record.samples == 24 and record.epochs == 2 and record.errors == 0
