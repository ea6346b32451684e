import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.protocol import Protocol, load_protocol, protocol_id
from tests.conftest import ProtocolFactory

runner = CliRunner(env={"COLUMNS": "200"})


def test_init_writes_a_protocol_that_validates(tmp_path: Path) -> None:
    result = runner.invoke(app, ["protocol", "init", str(tmp_path / "pilot")])
    assert result.exit_code == 0, result.output
    path = tmp_path / "pilot" / "protocol.yaml"
    assert (tmp_path / "pilot" / "refusal_task.py").is_file()
    result = runner.invoke(app, ["protocol", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert protocol_id(load_protocol(path).protocol) in result.stdout


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    assert runner.invoke(app, ["protocol", "init", str(tmp_path)]).exit_code == 0
    (tmp_path / "protocol.yaml").write_text("mine")
    result = runner.invoke(app, ["protocol", "init", str(tmp_path)])
    assert result.exit_code == 2 and "--force" in result.stderr
    assert (tmp_path / "protocol.yaml").read_text() == "mine"
    assert runner.invoke(app, ["protocol", "init", str(tmp_path), "--force"]).exit_code == 0
    assert (tmp_path / "protocol.yaml").read_text() != "mine"


def test_validate_json(make_protocol: ProtocolFactory) -> None:
    path = make_protocol()
    result = runner.invoke(app, ["protocol", "validate", str(path), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["valid"] is True and report["id"] == protocol_id(load_protocol(path).protocol)
    assert report["runs"] == 3 and report["replicated_runs"] == 1


def test_invalid_protocol_exits_2_with_every_problem(make_protocol: ProtocolFactory) -> None:
    path = make_protocol(
        lambda d: (d["assignments"][1].update(partner="x"), d["thresholds"][0].update(when="?"))
    )
    result = runner.invoke(app, ["protocol", "validate", str(path)])
    assert result.exit_code == 2
    assert "assignments[1].partner" in result.stderr and "thresholds[0].when" in result.stderr
    assert result.stdout == ""
    result = runner.invoke(app, ["protocol", "validate", str(path), "--json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert {i["field"] for i in report["issues"]} >= {
        "assignments[1].partner",
        "thresholds[0].when",
    }
    assert all(isinstance(i["line"], int) for i in report["issues"])


def test_show_lists_each_partners_share(make_protocol: ProtocolFactory) -> None:
    path = make_protocol()
    result = runner.invoke(app, ["protocol", "show", str(path), "--json"])
    assert result.exit_code == 0
    shares = json.loads(result.stdout)["shares"]
    assert [(s["partner"], s["task"], s["model"]) for s in shares] == [
        ("inst-a", "refusal", "subject"),
        ("inst-a", "refusal", "ref"),
        ("inst-b", "refusal", "subject"),
    ]
    assert shares[0]["replicated_by"] == ["inst-b"] and shares[1]["replicated_by"] == []
    only_b = runner.invoke(app, ["protocol", "show", str(path), "--partner", "inst-b", "--json"])
    assert only_b.exit_code == 0
    assert [(s["partner"], s["replicated_by"]) for s in json.loads(only_b.stdout)["shares"]] == [
        ("inst-b", ["inst-a"])
    ]
    table = runner.invoke(app, ["protocol", "show", str(path), "--partner", "inst-b"])
    assert table.exit_code == 0 and "refusal_task.py@refusal" in table.stdout
    unknown = runner.invoke(app, ["protocol", "show", str(path), "--partner", "nobody"])
    assert unknown.exit_code == 2 and "its partners are inst-a, inst-b" in unknown.stderr


def test_schema_is_the_protocol_json_schema() -> None:
    result = runner.invoke(app, ["protocol", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema == json.loads(json.dumps(Protocol.model_json_schema()))
    assert set(schema["required"]) >= {
        "accord",
        "name",
        "partners",
        "models",
        "tasks",
        "assignments",
    }


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["protocol"],
        ["protocol", "init"],
        ["protocol", "validate"],
        ["protocol", "show"],
        ["protocol", "schema"],
        ["run"],
        ["run", "share"],
        ["run", "compare"],
        ["demo"],
    ],
)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout
    if command and command[-1] not in ("protocol", "run"):
        assert "Example" in result.stdout


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("accord ")


def test_debug_shows_the_exception(tmp_path: Path) -> None:
    from accord._util import InputError

    result = runner.invoke(app, ["--debug", "protocol", "validate", str(tmp_path / "none.yaml")])
    assert result.exit_code != 0 and isinstance(result.exception, InputError)
