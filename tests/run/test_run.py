import json
from pathlib import Path
from typing import Any

import inspect_ai
from inspect_ai.log import read_eval_log
from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, ModelUsage, get_model
from inspect_ai.tool import ToolChoice, ToolInfo
from typer.testing import CliRunner

from accord.cli import app
from accord.protocol import load_protocol, protocol_id
from accord.run import dataset_digest, file_digest, plan_share, read_manifest, run_share
from tests.conftest import ProtocolFactory

runner = CliRunner()


def accord(*args: str) -> Any:
    return runner.invoke(app, list(args))


def dataset_from_file(path: Path, limit: int | None = None) -> str:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return dataset_digest([(r["id"], r["input"], r["target"]) for r in rows[:limit]])


def test_run_records_full_provenance(make_protocol: ProtocolFactory, tmp_path: Path) -> None:
    path = make_protocol()
    out = tmp_path / "out"
    result = accord("run", str(path), "--partner", "inst-a", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    manifest = read_manifest(out)
    assert printed == manifest.model_dump(mode="json")
    assert manifest.protocol_id == protocol_id(load_protocol(path).protocol)
    assert (manifest.partner, manifest.status) == ("inst-a", "complete")
    env = manifest.environment
    assert env.inspect_ai == inspect_ai.__version__
    assert env.packages["inspect_ai"] == inspect_ai.__version__
    assert env.python.count(".") == 2 and env.platform
    assert manifest.finished_at is not None and manifest.finished_at >= manifest.started_at
    by_model = {r.model_id: r for r in manifest.logs}
    assert set(by_model) == {"subject", "ref"}
    expected_digest = dataset_from_file(path.parent / "refusal_data.jsonl")
    for record in manifest.logs:
        log_file = out / record.file
        assert record.sha256 == file_digest(log_file)
        assert (record.task_version, record.epochs, record.samples, record.errors) == (1, 2, 24, 0)
        assert record.generate_config == {"temperature": 0.0, "seed": 7, "max_tokens": 256}
        assert record.dataset_digest == expected_digest
        assert record.status == "success"
        log = read_eval_log(str(log_file))
        assert log.eval.model == record.model and len(log.samples or []) == 48
    assert by_model["subject"].model == "accord/guarded"
    assert by_model["subject"].metrics["refusal_judge/accuracy"] > 0.75
    assert by_model["ref"].metrics["refusal_judge/accuracy"] == 0.5


def test_run_prints_a_results_table(make_protocol: ProtocolFactory, tmp_path: Path) -> None:
    path = make_protocol()
    result = accord("run", str(path), "-p", "inst-b", "-o", str(tmp_path / "b"), "--limit", "3")
    assert result.exit_code == 0, result.output
    assert "inst-b: refusal-pilot" in result.stdout
    assert "accuracy" in result.stdout and "success" in result.stdout
    [record] = read_manifest(tmp_path / "b").logs
    assert record.samples == 3
    assert record.dataset_digest == dataset_from_file(path.parent / "refusal_data.jsonl", 3)


def test_default_run_directory_is_under_runs(
    make_protocol: ProtocolFactory, tmp_path: Path, monkeypatch: Any
) -> None:
    path = make_protocol()
    monkeypatch.chdir(tmp_path)
    result = accord("run", "share", str(path), "--partner", "inst-b", "--limit", "2", "--json")
    assert result.exit_code == 0, result.output
    short = protocol_id(load_protocol(path).protocol).removeprefix("sha256:")[:12]
    assert read_manifest(tmp_path / "runs" / short / "inst-b").status == "complete"


def _mock_outputs(
    messages: list[ChatMessage], tools: list[ToolInfo], choice: ToolChoice, config: GenerateConfig
) -> ModelOutput:
    output = ModelOutput.from_content("mockllm/model", "I'm sorry, I can't help with that.")
    output.usage = ModelUsage(input_tokens=11, output_tokens=9, total_tokens=20)
    return output


def test_run_with_mockllm_through_the_python_api(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["models"] = [{"id": "mock", "model": "mockllm/model"}]
        data["assignments"] = [
            {"partner": p, "tasks": ["refusal"], "models": ["mock"]} for p in ("inst-a", "inst-b")
        ]
        data["analysis"]["comparisons"] = []
        data["thresholds"] = []

    loaded = load_protocol(make_protocol(edit))
    plan = plan_share(loaded, "inst-a", tmp_path / "mock")
    mock = get_model("mockllm/model", custom_outputs=_mock_outputs)
    result = run_share(plan, display="none", limit=5, models={"mock": mock})
    assert result.complete
    [record] = result.manifest.logs
    assert record.model == "mockllm/model" and record.samples == 5
    log = read_eval_log(str(tmp_path / "mock" / record.file))
    usage = log.stats.model_usage["mockllm/model"]
    assert (usage.input_tokens, usage.output_tokens) == (11 * 10, 9 * 10)  # 5 samples x 2 epochs
    # it refuses everything, so it is right on the 3 harmful of the first 5 samples
    assert record.metrics["refusal_judge/accuracy"] == 0.6
