"""Bad input exits 2 with one line naming the fix; --json errors are JSON; help reads well."""

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from accord.cli import app

runner = CliRunner(env={"COLUMNS": "100", "ACCORD_TOKEN": "", "ACCORD_HUB_URL": ""})


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["bundle", "verify", "missing.accord", "--keyring", "k.json"], "does not exist"),
        (["bundle", "show", "missing.accord"], "does not exist"),
        (["submit", "missing.accord", "--hub", "http://127.0.0.1:9"], "does not exist"),
        (["run", "compare", "no-a", "no-b"], "does not exist"),
        (["exercise", "list", "--hub", "127.0.0.1:8000", "--token", "t"], "has no scheme"),
        (["exercise", "list", "--hub", "http://127.0.0.1:9", "--token", ""], "token is empty"),
        (["protocol", "validate", "missing.yaml"], "does not exist"),
        (["protocol", "validate"], "Missing argument 'PROTOCOL'"),
    ],
)
def test_bad_input_exits_2_with_one_json_line_under_json(
    args: list[str], fragment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    plain = runner.invoke(app, args)
    assert plain.exit_code == 2, plain.output
    assert fragment in plain.stderr
    as_json = runner.invoke(app, [*args, "--json"])
    assert as_json.exit_code == 2
    assert as_json.stdout == ""
    error = json.loads(as_json.stderr)
    assert error["exit_code"] == 2 and fragment in error["error"]


def test_a_malformed_public_key_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pub.json"
    bad.write_text('{"partner": "inst-b"}')
    result = runner.invoke(app, ["keys", "add", str(bad), "--keyring", str(tmp_path / "k.json")])
    assert result.exit_code == 2
    assert "missing: key_id, public_key, created" in result.stderr
    assert "pydantic" not in result.stderr and len(result.stderr.strip().splitlines()) <= 2


def test_a_missing_provider_package_is_one_clean_line(make_protocol, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    def edit(data: dict) -> None:  # type: ignore[type-arg]
        data["models"][0]["model"] = "nosuchprovider/some-model"

    path = make_protocol(edit)
    result = runner.invoke(app, ["run", str(path), "-p", "inst-a", "-o", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "model 'subject' (nosuchprovider/some-model) cannot be used here" in result.stderr
    assert "[bold]" not in result.stderr and "\x1b[" not in result.stderr


def _commands(command: object, path: list[str]) -> list[list[str]]:
    sub = getattr(command, "commands", None)
    if not sub:
        return [path]
    return [path] + [p for name, c in sub.items() for p in _commands(c, [*path, name])]


@pytest.mark.parametrize("path", _commands(typer.main.get_command(app), []), ids=" ".join)
def test_help_reads_as_a_person_reads_it(path: list[str]) -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert not re.search(r"<(bool|str|path|int|list\[)", text, re.IGNORECASE), text
    assert not re.search(r"\{[a-z_]+\}", text), text
    assert not re.search(r"\w \.\s", text), text  # a lost `[default: ...]`
