"""Bad input to `accord run`: a clear error, exit code 2, and nothing written."""

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.cli import app
from tests.conftest import ProtocolFactory

runner = CliRunner()


def snapshot(directory: Path) -> dict[str, float]:
    return (
        {str(p): p.stat().st_mtime_ns for p in directory.rglob("*")} if directory.exists() else {}
    )


def run_fails(path: Path, out: Path, partner: str = "inst-a") -> str:
    before = snapshot(out)
    result = runner.invoke(app, ["run", str(path), "--partner", partner, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert snapshot(out) == before
    text: str = result.stderr
    assert text.startswith("error:")
    return " ".join(text.split())


def test_unknown_partner(make_protocol: ProtocolFactory, tmp_path: Path) -> None:
    message = run_fails(make_protocol(), tmp_path / "out", partner="inst-z")
    assert (
        "partner 'inst-z' is not in protocol 'refusal-pilot'; its partners are inst-a, inst-b"
        in message
    )


def test_unresolvable_task(make_protocol: ProtocolFactory, tmp_path: Path) -> None:
    path = make_protocol(lambda d: d["tasks"][0].update(task="gone.py@refusal"))
    message = run_fails(path, tmp_path / "out")
    assert "tasks[0].task" in message and "gone.py does not exist" in message


def test_task_that_fails_to_build(make_protocol: ProtocolFactory, tmp_path: Path) -> None:
    path = make_protocol(lambda d: d["tasks"][0].update(args={"difficulty": "hard"}))
    message = run_fails(path, tmp_path / "out")
    assert (
        "task 'refusal'" in message and "cannot be created" in message and "difficulty" in message
    )


@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        ("nosuchprovider/model-x", "Model API nosuchprovider"),
        ("accord/oracle", "unknown stand-in model 'accord/oracle'"),
    ],
)
def test_unusable_model(
    make_protocol: ProtocolFactory, tmp_path: Path, model: str, fragment: str
) -> None:
    path = make_protocol(lambda d: d["models"][0].update(model=model))
    message = run_fails(path, tmp_path / "out")
    assert f"model 'subject' ({model}) cannot be used here" in message and fragment in message


def test_out_dir_of_another_protocol(make_protocol: ProtocolFactory, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = make_protocol(name="first")
    ok = runner.invoke(
        app, ["run", str(first), "-p", "inst-b", "-o", str(out), "--limit", "1", "--json"]
    )
    assert ok.exit_code == 0, ok.output
    other = make_protocol(lambda d: d.update(name="another"), name="second")
    message = run_fails(other, out, partner="inst-b")
    assert "holds a run of another protocol" in message and "'refusal-pilot'" in message
    message = run_fails(first, out, partner="inst-a")
    assert "holds partner 'inst-b's run of this protocol" in message


def test_out_dir_with_foreign_logs(make_protocol: ProtocolFactory, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "someone-else.eval").write_bytes(b"not ours")
    message = run_fails(make_protocol(), out)
    assert "holds Inspect logs that `accord run` did not write" in message


def test_invalid_protocol_lists_problems(make_protocol: ProtocolFactory, tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["assignments"][0]["partner"] = "nobody"
        d["generate"]["temprature"] = 1

    message = run_fails(make_protocol(edit), tmp_path / "out")
    assert "is not a valid protocol (3 problems)" in message
