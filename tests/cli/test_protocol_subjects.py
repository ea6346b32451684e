"""`accord protocol show` lists each subject's kind and fingerprint."""

import json
from typing import Any

from typer.testing import CliRunner

from accord.cli import app
from accord.protocol import load_protocol, subject_fingerprint
from tests.conftest import ProtocolFactory

runner = CliRunner()


def test_show_lists_kind_and_fingerprint_of_each_subject(make_protocol: ProtocolFactory) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["models"].append(
            {
                "id": "guarded-system",
                "model": "accord/complier",
                "kind": "system",
                "system_prompt": "Be careful.",
                "input_guards": [{"id": "mod", "model": "accord/guard"}],
            }
        )
        data["assignments"][1]["models"].append("guarded-system")

    path = make_protocol(edit)
    result = runner.invoke(app, ["protocol", "show", str(path), "--json"])
    assert result.exit_code == 0, result.output
    subjects = {s["id"]: s for s in json.loads(result.stdout)["subjects"]}
    assert [(s["kind"], s["role"]) for s in subjects.values()] == [
        ("model", "subject"),
        ("model", "reference"),
        ("system", "subject"),
    ]
    loaded = load_protocol(path)
    system = subject_fingerprint(loaded.protocol.model("guarded-system"), loaded.base_dir)
    assert subjects["guarded-system"]["fingerprint"] == system.digest
    assert set(subjects["guarded-system"]["parts"]) == {"model", "system_prompt", "input_guards"}
    table = runner.invoke(app, ["protocol", "show", str(path)], env={"COLUMNS": "80"})
    assert table.exit_code == 0
    assert system.digest in table.stdout.replace("\n", "").replace(" ", "").replace("│", "")
    assert "system" in table.stdout
