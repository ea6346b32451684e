"""Documented command sequences of the docs pages run as written (those that run offline)."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from tests.docs.commands import ROOT, shell_lines
from tests.docs.reader import Reader

ACCORD_LINE = re.compile(r"([A-Z_]+=\S+\s+)*accord\b")


def test_the_runs_page_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(app, ["protocol", "init", "."]).exit_code == 0
    text = (ROOT / "docs" / "runs.md").read_text()
    reader = Reader(tmp_path, port=0, protocol="protocol.yaml")
    lines = [line for line in shell_lines(text) if ACCORD_LINE.match(line)]
    assert any(line.startswith("accord run compare") for line in lines)
    for line in lines:
        reader.run(line)
    compare = reader.transcript[-1][2]
    assert "comparable" in compare and "not comparable" not in compare
    [python] = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    printed: list[object] = []
    exec(python, {"print": lambda *args: printed.append(args)})  # the page's own example
    assert printed and printed[0][0] is True  # result.complete
