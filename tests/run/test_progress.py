"""Without a terminal, `accord run` prints one plain progress line per run on stderr."""

from pathlib import Path

from typer.testing import CliRunner

from accord.cli import app
from tests.conftest import ProtocolFactory


def test_plain_progress_lines_when_output_is_not_a_terminal(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    result = CliRunner(env={"COLUMNS": "120"}).invoke(
        app, ["run", str(path), "-p", "inst-a", "-o", str(tmp_path / "a"), "--limit", "2"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert "finished refusal x subject: success" in lines
    assert "finished refusal x ref: success" in lines
    assert "\x1b[" not in result.stderr
    assert "refusal x subject" not in result.stdout.split("manifest:")[-1]


def test_no_progress_lines_with_json_or_display_none(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    runner = CliRunner()
    for extra, out in ((["--json"], "j"), (["--display", "none"], "n")):
        args = ["run", str(path), "-p", "inst-b", "-o", str(tmp_path / out), "--limit", "1"]
        result = runner.invoke(app, [*args, *extra])
        assert result.exit_code == 0, result.output
        assert "finished" not in result.stderr, extra
