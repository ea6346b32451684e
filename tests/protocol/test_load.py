from pathlib import Path
from typing import Any

import pytest

from accord.protocol import ProtocolError, load_protocol, parse_protocol, protocol_template
from accord.protocol import protocol_id as pid
from tests.conftest import ProtocolFactory


def issues_of(path: Path) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    return [(i.field, i.line, i.message) for i in caught.value.issues]


def test_template_validates_with_its_example_task(tmp_path: Path) -> None:
    from accord.protocol import write_example

    loaded = load_protocol(write_example(tmp_path))
    protocol = loaded.protocol
    assert protocol.name == "refusal-pilot"
    assert [p.id for p in protocol.partners] == ["inst-a", "inst-b"]
    assert protocol.disclosure.level("refusal") == "samples"
    assert protocol.tasks[0].epochs == 2
    assert str(protocol.embargo_until) == "2027-01-31"
    assert pid(protocol).startswith("sha256:") and len(pid(protocol)) == 71


def test_template_text_is_commented() -> None:
    assert protocol_template().count("#") > 10


@pytest.mark.parametrize(
    ("edit", "field", "fragment"),
    [
        (
            lambda d: d["assignments"][1].update(partner="inst-c"),
            "assignments[1].partner",
            "unknown partner 'inst-c'",
        ),
        (
            lambda d: d["assignments"][0].update(tasks=["nope"]),
            "assignments[0].tasks[0]",
            "unknown task 'nope'",
        ),
        (
            lambda d: d["assignments"][0].update(models=["subject", "gpt"]),
            "assignments[0].models[1]",
            "unknown model 'gpt'",
        ),
        (
            lambda d: d["analysis"].update(comparisons=[["subject", "missing"]]),
            "analysis.comparisons[0][1]",
            "unknown model 'missing'",
        ),
        (
            lambda d: d["analysis"].update(comparisons=[["subject", "subject"]]),
            "analysis.comparisons[0]",
            "with itself",
        ),
        (
            lambda d: d["thresholds"][0].update(compare_to="zzz"),
            "thresholds[0].compare_to",
            "unknown model 'zzz'",
        ),
        (
            lambda d: d["thresholds"][0].update(task="other"),
            "thresholds[0].task",
            "unknown task 'other'",
        ),
        (
            lambda d: d["thresholds"][0].update(when="delta <"),
            "thresholds[0].when",
            "malformed expression",
        ),
        (
            lambda d: d["thresholds"][0].update(when="import_os() < 1"),
            "thresholds[0].when",
            "malformed expression",
        ),
        (
            lambda d: d["thresholds"][0].update(when="speed < 3"),
            "thresholds[0].when",
            "unknown variable(s) speed",
        ),
        (
            lambda d: d["disclosure"]["tasks"].update(ghost="scores"),
            "disclosure.tasks.ghost",
            "unknown task 'ghost'",
        ),
        (
            lambda d: d["disclosure"].update(default="everything"),
            "disclosure.default",
            "'scores', 'samples' or 'transcripts'",
        ),
        (
            lambda d: d["partners"].append({"id": "inst-c", "name": "C"}),
            "partners[2]",
            "has no share",
        ),
        (
            lambda d: d["partners"].append({"id": "inst-a", "name": "Again"}),
            "partners[2].id",
            "duplicate id 'inst-a'",
        ),
        (
            lambda d: d["tasks"][0].update(task="missing.py@refusal"),
            "tasks[0].task",
            "does not exist",
        ),
        (
            lambda d: d["tasks"][0].update(task="refusal_task.py@nothing"),
            "tasks[0].task",
            "defines no function 'nothing'",
        ),
        (
            lambda d: d["tasks"][0].update(task="refusal_task.py@refusal_judge"),
            "tasks[0].task",
            "not decorated with @task",
        ),
        (
            lambda d: d["tasks"][0].update(task="no_such_pkg/task"),
            "tasks[0].task",
            "no installed package provides Inspect tasks under 'no_such_pkg/'",
        ),
        (
            lambda d: d["tasks"][0].update(task="refusal_task.py"),
            "tasks[0].task",
            "names a file but no task",
        ),
        (lambda d: d["tasks"][0].update(epochs=0), "tasks[0].epochs", "greater than or equal"),
        (lambda d: d["models"][0].update(model="gpt-4o"), "models[0].model", "provider/name"),
        (
            lambda d: d["generate"].update(temprature=0.5),
            "generate.temprature",
            "not an Inspect generate setting",
        ),
        (lambda d: d.update(colour="blue"), "colour", "unknown field"),
        (lambda d: d.pop("partners"), "partners", "required field is missing"),
        (lambda d: d.update(accord=2), "accord", "this version of Accord reads `accord: 1`"),
        (lambda d: d.update(name="has spaces"), "name", "must be an id"),
        (lambda d: d["analysis"].update(alpha=0.9), "analysis.alpha", "less than 0.5"),
        (
            lambda d: d.update(embargo_until="2027-01-31T10:00:00"),
            "embargo_until",
            "without a time",
        ),
    ],
)
def test_each_kind_of_error_is_reported_at_its_field(
    make_protocol: ProtocolFactory, edit: Any, field: str, fragment: str
) -> None:
    issues = issues_of(make_protocol(edit))
    assert any(f == field and fragment in m for f, _, m in issues), issues


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        ({"api_key": "anything-at-all"}, "credential key 'api_key'"),
        ({"headers": "Bearer abcdefghijklmnopqrstuvwxyz"}, "bearer token"),
        ({"note": "sk-proj-abcdefghijklmnopqrstuvwx"}, "OpenAI-style API key"),
    ],
)
def test_credentials_in_a_protocol_are_refused(
    make_protocol: ProtocolFactory, args: dict[str, str], kind: str
) -> None:
    path = make_protocol(lambda d: d["models"][0].update(model_args=args))
    issues = issues_of(path)
    key = next(iter(args))
    assert any(
        f == f"models[0].model_args.{key}" and kind in m and "environment" in m
        for f, _, m in issues
    ), issues


def test_url_with_credentials_is_refused(make_protocol: ProtocolFactory) -> None:
    path = make_protocol(lambda d: d["models"][0].update(base_url="https://u:pw@example.org/v1"))
    issues = issues_of(path)
    assert any(f == "models[0].base_url" and "URL with credentials" in m for f, _, m in issues)


def test_errors_carry_yaml_lines_and_all_problems_at_once(tmp_path: Path) -> None:
    text = (Path(__file__).parent / "data" / "two_errors.yaml").read_text()
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, "two_errors.yaml", tmp_path, resolve_tasks=False)
    found = {(i.field, i.line) for i in caught.value.issues}
    assert ("assignments[1].partner", 13) in found
    assert ("thresholds[0].when", 17) in found
    message = str(caught.value)
    assert "3 problems" in message and "(line 13)" in message
    assert "accord protocol validate" in message
    assert ("partners[1]", 6) in found  # b owes nothing either


def test_duplicate_yaml_keys_are_reported(tmp_path: Path) -> None:
    text = (Path(__file__).parent / "data" / "two_errors.yaml").read_text()
    text = text.replace("description: x\n", "description: x\ndescription: y\n")
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, "dup.yaml", tmp_path, resolve_tasks=False)
    assert any(
        i.field == "description" and "duplicate key" in i.message for i in caught.value.issues
    )


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    from accord._util import InputError

    with pytest.raises(InputError, match=r"bad.yaml, line 3: not valid YAML"):
        parse_protocol("accord: 1\nname: x\n\tbad: 1\n", "bad.yaml", tmp_path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    from accord._util import InputError

    with pytest.raises(InputError, match="does not exist; check the path"):
        load_protocol(tmp_path / "nope.yaml")


def test_document_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="must be a YAML mapping"):
        parse_protocol("- just\n- a list\n", "list.yaml", tmp_path)


def _with_task(reference: str) -> Any:
    def edit(data: dict[str, Any]) -> None:
        data["tasks"][0]["task"] = reference

    return edit


def test_a_misspelt_registry_task_is_found_with_a_suggestion(
    make_protocol: ProtocolFactory,
) -> None:
    [(field, line, message)] = issues_of(make_protocol(_with_task("accord/refusl")))
    assert field == "tasks[0].task" and line is not None
    assert "package 'accord' has no task 'accord/refusl'" in message
    assert "did you mean accord/refusal" in message


def test_a_registry_task_of_an_installed_package_resolves(make_protocol: ProtocolFactory) -> None:
    from accord.protocol import check_task_ref, parse_task_ref

    loaded = load_protocol(make_protocol(_with_task("accord/jailbreak")))
    assert loaded.protocol.tasks[0].task == "accord/jailbreak"
    assert check_task_ref(parse_task_ref("accord/jailbreak", Path("."))).status == "resolved"


def test_a_task_whose_package_cannot_be_imported_is_reported_as_not_checked(
    make_protocol: ProtocolFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from accord.cli import app

    site = tmp_path / "site"
    (site / "brokenevals-1.0.dist-info").mkdir(parents=True)
    (site / "brokenevals-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: brokenevals\nVersion: 1.0\n"
    )
    (site / "brokenevals-1.0.dist-info" / "entry_points.txt").write_text(
        "[inspect_ai]\nbrokenevals = brokenevals_registry\n"
    )
    (site / "brokenevals_registry.py").write_text("raise RuntimeError('needs a GPU')\n")
    monkeypatch.syspath_prepend(str(site))
    path = make_protocol(_with_task("brokenevals/hard_task"))
    loaded = load_protocol(path)  # not a problem: it is checked again when it runs
    assert loaded.protocol.tasks[0].task == "brokenevals/hard_task"
    runner = CliRunner(env={"COLUMNS": "200"})
    report = json.loads(runner.invoke(app, ["protocol", "validate", str(path), "--json"]).stdout)
    [task] = report["tasks"]
    assert task["check"]["status"] == "unchecked"
    assert "RuntimeError: needs a GPU" in task["check"]["detail"]
    human = runner.invoke(app, ["protocol", "validate", str(path)])
    assert human.exit_code == 0
    assert "not checked: task refusal (brokenevals/hard_task)" in human.stderr


def test_validate_json_is_structured(make_protocol: ProtocolFactory) -> None:
    import json

    from typer.testing import CliRunner

    from accord.cli import app

    result = CliRunner().invoke(app, ["protocol", "validate", str(make_protocol()), "--json"])
    report = json.loads(result.stdout)
    assert report["models"][0] == {"id": "subject", "model": "accord/guarded", "role": "subject"}
    assert report["tasks"][0]["epochs"] == 2
    assert report["tasks"][0]["check"] == {"status": "resolved", "detail": None}
    assert report["comparisons"] == [{"model": "subject", "reference": "ref"}]
