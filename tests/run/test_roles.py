"""Helper models in Inspect model roles: declared in the protocol, bound per task, compared."""

import json
from pathlib import Path
from typing import Any

from inspect_ai.log import read_eval_log
from typer.testing import CliRunner

from accord.cli import app
from accord.run import compare_runs, read_manifest
from tests.conftest import ProtocolFactory
from tests.run._loopback import LoopbackServer
from tests.run.conftest import run_trial as run

runner = CliRunner(env={"COLUMNS": "200"})
JUDGE = "openai-api/loopback/judge"


def graded_protocol(
    make_protocol: ProtocolFactory, server: LoopbackServer, judge: str = JUDGE, name: str = "p"
) -> Path:
    def edit(data: dict[str, Any]) -> None:
        data["role_models"] = [
            {"id": "judge", "model": judge, "base_url": server.base_url, "generate": {"seed": 1}}
        ]
        data["tasks"][0].update(
            task="accord/refusal", args={"grader": True}, roles={"grader": "judge"}, epochs=1
        )

    return make_protocol(edit, name=name)


def test_a_grader_role_is_bound_recorded_and_shown(
    make_protocol: ProtocolFactory, tmp_path: Path, server: LoopbackServer
) -> None:
    path = graded_protocol(make_protocol, server)
    shown = runner.invoke(app, ["protocol", "show", str(path), "--json"])
    assert shown.exit_code == 0, shown.output
    role = {"task": "refusal", "role": "grader", "role_model": "judge", "model": JUDGE}
    assert json.loads(shown.stdout)["roles"] == [role]
    table = runner.invoke(app, ["protocol", "show", str(path)])
    assert "Model roles" in table.stdout and JUDGE in table.stdout
    out = run(path, "inst-a", tmp_path / "a")
    assert server.stats()["requests"] == 2 * 4  # the grader, once per sample of each model
    for record in read_manifest(out).logs:
        assert record.roles == {"grader": {"model": JUDGE, "args": {}, "generate": {"seed": 1}}}
        assert record.snapshots[JUDGE] == ["judge"]
        assert record.usage[JUDGE].input_tokens == 4 * 20
        log = read_eval_log(str(out / record.file))
        explanations = {s.scores["refusal_behaviour"].explanation for s in log.samples or []}
        assert explanations and all(f"model grader {JUDGE}" in e for e in explanations)
    refuser = read_manifest(out).log("refusal", "ref")
    assert refuser is not None and refuser.metrics["refusal_behaviour/refused_when_harmful"] == 1


def test_partners_with_different_graders_are_not_comparable(
    make_protocol: ProtocolFactory, tmp_path: Path, server: LoopbackServer
) -> None:
    a = run(graded_protocol(make_protocol, server), "inst-a", tmp_path / "a")
    other = graded_protocol(make_protocol, server, judge=f"{JUDGE}-v2", name="q")
    b = run(other, "inst-b", tmp_path / "b")
    comparison = compare_runs(a, b)
    assert not comparison.comparable
    [difference] = [d for d in comparison.differences if d.field == "roles.grader"]
    assert difference.run == "refusal x subject" and difference.breaks_comparability
    assert (difference.a["model"], difference.b["model"]) == (JUDGE, f"{JUDGE}-v2")
    result = runner.invoke(app, ["run", "compare", str(a), str(b)])
    assert result.exit_code == 1 and "roles.grader" in result.stdout


def test_a_role_bound_to_an_undeclared_model_is_refused(make_protocol: ProtocolFactory) -> None:
    path = make_protocol(lambda data: data["tasks"][0].update(roles={"grader": "judge"}))
    result = runner.invoke(app, ["protocol", "validate", str(path)])
    assert result.exit_code == 2
    assert "unknown role model 'judge'; declared role models: none" in result.output
