"""Inspect's run controls: passed through to Inspect, recorded, and compared when they matter."""

import json
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import read_eval_log
from typer.testing import CliRunner

from accord.cli import app
from accord.run import (
    OPERATIONAL_OPTIONS,
    RESULT_OPTIONS,
    InspectOptions,
    compare_manifests,
    read_manifest,
)
from tests.conftest import ProtocolFactory
from tests.run._loopback import LoopbackServer

runner = CliRunner(env={"COLUMNS": "120"})


def run(path: Path, out: Path, *extra: str, partner: str = "inst-b") -> Any:
    return runner.invoke(app, ["run", str(path), "-p", partner, "-o", str(out), *extra])


def test_every_option_is_classified_once() -> None:
    assert set(OPERATIONAL_OPTIONS) | set(RESULT_OPTIONS) == set(InspectOptions.model_fields)
    assert not set(OPERATIONAL_OPTIONS) & set(RESULT_OPTIONS)


def test_operational_options_reach_inspect_and_the_manifest(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run(
        make_protocol(),
        out,
        *("--limit", "3", "--max-samples", "2", "--max-tasks", "1"),
        *("--max-subprocesses", "2", "--max-sandboxes", "3", "--retry-attempts", "4"),
        *("--retry-wait", "0.5", "--retry-connections", "0.25", "--log-level", "WARNING"),
        *("--tags", "nightly, gpu-pool", "--log-dir-allow-dirty"),
    )
    assert result.exit_code == 0, result.output
    options = read_manifest(out).options.inspect
    assert options == InspectOptions(
        max_samples=2,
        max_tasks=1,
        max_subprocesses=2,
        max_sandboxes=3,
        retry_attempts=4,
        retry_wait=0.5,
        retry_connections=0.25,
        log_level="warning",
        tags=["nightly", "gpu-pool"],
        log_dir_allow_dirty=True,
        fail_on_error=True,  # not given: the default Inspect ran with, as its logs record
    )
    [record] = read_manifest(out).logs
    log = read_eval_log(str(out / record.file), header_only=True)
    assert sorted(log.eval.tags or []) == ["gpu-pool", "nightly"]
    config = log.eval.config
    assert (config.max_samples, config.max_tasks) == (2, 1)
    assert (config.max_subprocesses, config.max_sandboxes) == (2, 3)


@pytest.mark.parametrize(("max_samples", "peak"), [(1, 1), (6, 6)])
def test_max_samples_bounds_concurrent_requests(
    make_protocol: ProtocolFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    max_samples: int,
    peak: int,
) -> None:
    monkeypatch.setenv("LOOPBACK_API_KEY", "test")
    with LoopbackServer(latency=0.2) as server:

        def edit(data: dict[str, Any]) -> None:
            data["models"][0].update(model="openai-api/loopback/echo", base_url=server.base_url)
            data["tasks"][0]["epochs"] = 1

        path = make_protocol(edit)
        extra = ("--limit", "6", "--max-connections", "20", "--max-samples", str(max_samples))
        result = run(path, tmp_path / "out", *extra)
        assert result.exit_code == 0, result.output
        assert server.stats()["peak"] == peak
    assert read_manifest(tmp_path / "out").options.inspect.max_samples == max_samples


def test_sample_id_is_a_trial_of_those_samples(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    ids = "theft-1-harmful,theft-1-benign"
    trial = run(path, tmp_path / "b", "--sample-id", ids)
    assert trial.exit_code == 0, trial.output
    assert "trial run" in trial.stderr and "(trial: --sample-id" in trial.stdout
    manifest = read_manifest(tmp_path / "b")
    assert manifest.partial and manifest.options.inspect.sample_id == sorted(ids.split(","))
    [record] = manifest.logs
    log = read_eval_log(str(tmp_path / "b" / record.file))
    assert sorted(str(s.id) for s in log.samples or []) == sorted(ids.split(",") * 2)
    full = run(path, tmp_path / "a", partner="inst-a")
    assert full.exit_code == 0, full.output
    compared = runner.invoke(app, ["run", "compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert compared.exit_code == 1
    assert "inst-b ran with --sample-id theft-1-benign,theft-1-harmful" in compared.stdout
    data = json.loads(
        runner.invoke(
            app, ["run", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"]
        ).stdout
    )
    fields = {d["field"]: d for d in data["differences"]}
    assert fields["options.inspect.sample_id"]["breaks_comparability"]


def test_fail_on_error_is_recorded_and_a_difference_breaks_comparability(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    a = run(path, tmp_path / "a", "--limit", "2", "--fail-on-error", "0.1", partner="inst-a")
    b = run(path, tmp_path / "b", "--limit", "2", "--fail-on-error", "true")
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    assert read_manifest(tmp_path / "a").options.inspect.fail_on_error == 0.1
    assert read_manifest(tmp_path / "b").options.inspect.fail_on_error is True
    data = json.loads(
        runner.invoke(
            app, ["run", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"]
        ).stdout
    )
    [difference] = [d for d in data["differences"] if d["field"] == "options.inspect.fail_on_error"]
    assert (difference["a"], difference["b"], difference["breaks_comparability"]) == (
        0.1,
        True,
        True,
    )
    # A manifest written before fail_on_error was recorded: the difference is only noted.
    new = read_manifest(tmp_path / "b")
    old = new.model_copy(
        update={"options": new.options.model_copy(update={"inspect": InspectOptions()})}
    )
    [noted] = compare_manifests(new, old).differences
    assert noted.field == "options.inspect.fail_on_error" and not noted.breaks_comparability


def test_the_protocols_fail_on_error_applies_and_cannot_be_contradicted(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol(lambda data: data.update(fail_on_error=5))
    refused = run(path, tmp_path / "x", "--fail-on-error", "false")
    assert refused.exit_code == 2
    assert "--fail-on-error false contradicts the protocol (fail_on_error: 5)" in refused.output
    assert not (tmp_path / "x").exists()
    done = run(path, tmp_path / "b", "--limit", "2")
    assert done.exit_code == 0, done.output
    assert read_manifest(tmp_path / "b").options.inspect.fail_on_error == 5
    [record] = read_manifest(tmp_path / "b").logs
    log = read_eval_log(str(tmp_path / "b" / record.file), header_only=True)
    assert log.eval.config.fail_on_error == 5


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--fail-on-error", "often"), "--fail-on-error takes true, false"),
        (("--fail-on-error", "2.5"), "--fail-on-error takes true, false"),
        (("--log-level", "loud"), "--log-level takes one of"),
        (("--sample-id", " , "), "--sample-id needs at least one id"),
        (("--limit", "2", "--sample-id", "a"), "--limit and --sample-id"),
        (("--executor", "ray", "--max-samples", "2"), "--max-samples not yet supported"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(
    make_protocol: ProtocolFactory, tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    result = run(make_protocol(), tmp_path / "out", *extra)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_a_protocols_fail_on_error_is_not_silently_dropped_on_ray(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol(lambda data: data.update(fail_on_error=0.1))
    result = run(path, tmp_path / "out", "--executor", "ray")
    assert result.exit_code == 2, result.output
    assert "the protocol sets fail_on_error" in result.output
