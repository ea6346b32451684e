"""Secrets never leave: a build that would ship a credential is refused, naming the place."""

import shutil
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log, write_eval_log
from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, ModelUsage, get_model
from inspect_ai.tool import ToolChoice, ToolInfo

from accord._util import OperationError
from accord.bundle import build_bundle
from accord.protocol import load_protocol
from accord.run import file_digest, plan_share, read_manifest, run_share
from accord.run._manifest import write_manifest
from tests.bundle.conftest import Exercise
from tests.conftest import ProtocolFactory

PLANTED = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"


def plant(exercise: Exercise, tmp_path: Path, task_id: str) -> Path:
    """A copy of the run whose first sample of `task_id` carries an API key in its metadata."""
    run_dir = tmp_path / "run"
    shutil.copytree(exercise.run_dir, run_dir)
    manifest = read_manifest(run_dir)
    record = manifest.log(task_id, "subject")
    assert record is not None
    log = read_eval_log(str(run_dir / record.file))
    assert log.samples
    log.samples[0].metadata["note"] = f"temporary key {PLANTED}"
    write_eval_log(log, str(run_dir / record.file))
    logs = [r.model_copy(update={"sha256": file_digest(run_dir / r.file)}) for r in manifest.logs]
    write_manifest(run_dir, manifest.model_copy(update={"logs": logs}))
    return run_dir


def test_planted_key_in_a_shipped_log_refuses_the_build(exercise: Exercise, tmp_path: Path) -> None:
    run_dir = plant(exercise, tmp_path, "refusal-samples")
    target = tmp_path / "out.accord"
    with pytest.raises(
        OperationError,
        match=r"refusing to build: (?s:.*)\n  logs/[^ ]*\.eval: samples/[^ ]*_epoch_1\.json: metadata\.note \(an OpenAI-style API key\)\n",
    ):
        build_bundle(run_dir, exercise.protocol, exercise.key, target)
    assert not target.exists()


def test_planted_key_that_scores_level_removes_does_not_block(
    exercise: Exercise, tmp_path: Path
) -> None:
    run_dir = plant(exercise, tmp_path, "refusal-scores")  # "note" is not shared metadata
    built = build_bundle(run_dir, exercise.protocol, exercise.key, tmp_path / "out.accord")
    assert PLANTED.encode() not in built.path.read_bytes()


def test_changed_log_is_refused(exercise: Exercise, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(exercise.run_dir, run_dir)
    record = read_manifest(run_dir).logs[0]
    with (run_dir / record.file).open("ab") as stream:
        stream.write(b"\0")
    with pytest.raises(OperationError, match="changed since the run"):
        build_bundle(run_dir, exercise.protocol, exercise.key, tmp_path / "out.accord")


def _outputs(
    messages: list[ChatMessage], tools: list[ToolInfo], choice: ToolChoice, config: GenerateConfig
) -> ModelOutput:
    output = ModelOutput.from_content("mockllm/model", "fine")
    output.usage = ModelUsage(input_tokens=3, output_tokens=1, total_tokens=4)
    return output


def test_api_key_in_model_args_refuses_the_build(
    make_protocol: ProtocolFactory, exercise: Exercise, tmp_path: Path
) -> None:
    def edit(data: dict) -> None:  # type: ignore[type-arg]
        data["models"] = [{"id": "mock", "model": "mockllm/model"}]
        data["assignments"] = [
            {"partner": p, "tasks": ["refusal"], "models": ["mock"]} for p in ("inst-a", "inst-b")
        ]
        data["analysis"]["comparisons"], data["thresholds"] = [], []

    protocol = load_protocol(make_protocol(edit))
    model = get_model("mockllm/model", custom_outputs=_outputs, service_token=PLANTED)
    result = run_share(
        plan_share(protocol, "inst-a", tmp_path / "run"),
        display="none",
        limit=2,
        models={"mock": model},
    )
    assert result.complete
    with pytest.raises(OperationError, match=r"eval\.model_args\.service_token"):
        build_bundle(
            result.out_dir, protocol, exercise.key, tmp_path / "out.accord", allow_partial=True
        )
