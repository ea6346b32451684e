"""`accord adopt`: logs made by plain `inspect eval` become a run, or every mismatch is named."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from typer.testing import CliRunner

from accord.cli import app
from accord.run import compare_runs, read_manifest
from tests.conftest import ProtocolFactory

runner = CliRunner(env={"COLUMNS": "200"})
INSPECT = Path(sys.executable).with_name("inspect")
SETTINGS = {"epochs": 2, "temperature": 0.0, "seed": 7, "max_tokens": 256}


def plain_eval(protocol: Path, log_dir: Path, **changes: Any) -> Path:
    """Both of inst-a's runs, made the way a user runs Inspect (in-process `eval`)."""
    settings = {**SETTINGS, **changes}
    models = settings.pop("models", ["accord/guarded", "accord/refuser"])
    cwd = os.getcwd()
    os.chdir(protocol.parent)
    try:
        inspect_eval(
            "refusal_task.py@refusal",
            model=models,
            log_dir=str(log_dir),
            display="none",
            **settings,
        )
    finally:
        os.chdir(cwd)
    return log_dir


def adopt(protocol: Path, out: Path, *logs: Path) -> Any:
    args = ["adopt", str(protocol), "--partner", "inst-a", *map(str, logs), "--out", str(out)]
    return runner.invoke(app, args)


def test_logs_from_the_inspect_command_line_are_adopted(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    logs = tmp_path / "logs"
    command = [str(INSPECT), "eval", "refusal_task.py@refusal"]
    command += ["--model", "accord/guarded,accord/refuser", "--epochs", "2", "--temperature", "0"]
    command += ["--seed", "7", "--max-tokens", "256", "--log-dir", str(logs), "--display", "none"]
    done = subprocess.run(
        command, cwd=path.parent, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    result = adopt(path, tmp_path / "a", logs)
    assert result.exit_code == 0, result.output
    manifest = read_manifest(tmp_path / "a")
    assert manifest.status == "complete" and manifest.adopted and not manifest.partial
    assert {(r.task_id, r.model_id) for r in manifest.logs} == {
        ("refusal", "subject"),
        ("refusal", "ref"),
    }
    for record in manifest.logs:
        assert (tmp_path / "a" / record.file).is_file()
        assert record.generate_config == {"temperature": 0.0, "seed": 7, "max_tokens": 256}
        assert record.samples == 24 and record.epochs == 2
    # From then on it is a run like any other: comparable with one made by `accord run`.
    made = runner.invoke(app, ["run", str(path), "-p", "inst-b", "-o", str(tmp_path / "b")])
    assert made.exit_code == 0, made.output
    comparison = compare_runs(tmp_path / "a", tmp_path / "b")
    assert comparison.comparable, comparison.differences
    data = json.loads(
        runner.invoke(
            app,
            ["adopt", str(path), "-p", "inst-a", str(logs), "-o", str(tmp_path / "c"), "--json"],
        ).stdout
    )
    assert data["adopted"] is True


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"epochs": 1}, "ran 1 epochs, the protocol says 2"),
        ({"temperature": 0.5}, "generate temperature=0.5, the protocol says 0.0"),
        ({"max_tokens": None}, "generate max_tokens=None, the protocol says 256"),
        ({"limit": 4}, "ran on some samples only"),
        (
            {"models": ["accord/guarded"]},
            "refusal x ref: no log of task refusal on model accord/refuser",
        ),
        (
            {"models": ["accord/guarded", "accord/complier"]},
            "logs of the task ran accord/complier, accord/guarded",
        ),
    ],
)
def test_each_mismatch_is_named_and_nothing_is_written(
    make_protocol: ProtocolFactory, tmp_path: Path, changes: dict[str, Any], expected: str
) -> None:
    path = make_protocol()
    logs = plain_eval(path, tmp_path / "logs", **changes)
    result = adopt(path, tmp_path / "a", logs)
    assert result.exit_code == 2, result.output
    assert "not a valid share of inst-a" in result.output
    assert expected in " ".join(result.output.split())
    assert not (tmp_path / "a").exists()


def test_other_data_or_task_version_is_named(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    data = path.parent / "refusal_data.jsonl"
    original = data.read_text()
    data.write_text(original.replace("steal a car", "steal a van", 1))
    task = path.parent / "refusal_task.py"
    task.write_text(task.read_text().replace("version=1", "version=2"))
    logs = plain_eval(path, tmp_path / "logs")
    data.write_text(original)
    task.write_text(task.read_text().replace("version=2", "version=1"))
    result = adopt(path, tmp_path / "a", logs)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "task version 2, the task here is 1" in text
    assert "dataset digest differs" in text


def test_paths_that_are_not_logs_are_named(make_protocol: ProtocolFactory, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "log.json").write_text("{}")
    result = adopt(
        make_protocol(),
        tmp_path / "a",
        tmp_path / "empty",
        tmp_path / "log.json",
        tmp_path / "nope",
    )
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "no .eval logs in this directory" in text
    assert "not an .eval log; convert it with `inspect log convert" in text
    assert "no such file or directory" in text


def test_a_system_subject_is_not_adopted_from_plain_logs(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    def guarded(data: dict[str, Any]) -> None:
        data["models"][0].update(kind="system", system_prompt="Answer with care.")

    path = make_protocol(guarded)
    logs = plain_eval(path, tmp_path / "logs")
    result = adopt(path, tmp_path / "out", logs)
    assert result.exit_code == 2, result.output
    assert "subject subject is a system" in result.output
    assert "run it with `accord run`" in result.output
    assert not (tmp_path / "out").exists()
