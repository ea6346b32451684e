"""The README's tour runs as written: every command, in order, in a fresh directory.

Placeholders (`<short-id>`, `<admin token>`, `<member id>`, `<eve's token>`) are filled from
what the commands before printed, as a reader would. `accord hub serve ... &` starts the
real server in a subprocess (on a free port instead of 8000, which may be taken here).
`make demo`, `source` and `inspect view` come before the tour's commands and are covered by
tests/cli/test_demo.py.
"""

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.commands import ROOT, shell_lines
from tests.docs.reader import Reader

TOUR_START = "Write your own protocol, check it, and see who owes what:"


def tour_lines() -> list[str]:
    text = (ROOT / "README.md").read_text()
    assert TOUR_START in text
    return shell_lines(text[text.index(TOUR_START) :])


@pytest.fixture
def server_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def reader(tmp_path: Path, server_port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Reader]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ACCORD_CONFIG", str(tmp_path / "no-hub.toml"))
    for name in ("ACCORD_HUB_URL", "ACCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    reader = Reader(tmp_path, server_port)
    yield reader
    for server in reader.servers:
        server.terminate()
        server.wait(timeout=30)


def test_the_readme_tour_runs_as_written(reader: Reader) -> None:
    lines = tour_lines()
    assert any("accord submit" in line for line in lines)
    for line in lines:
        reader.run(line)
    outputs = {command: output for command, _, output in reader.transcript}
    compare = next(o for c, o in outputs.items() if c.startswith("accord run compare"))
    assert "comparable" in compare and "not comparable" not in compare
    verify = next(o for c, o in outputs.items() if c.startswith("accord bundle verify"))
    assert "verified" in verify
    results = next(o for c, o in outputs.items() if c.startswith("accord results"))
    assert "inst-a" in results
    if os.environ.get("ACCORD_TOUR_TRANSCRIPT"):  # what a newcomer sees, step by step
        Path(os.environ["ACCORD_TOUR_TRANSCRIPT"]).write_text(
            "".join(f"$ {c}\n[exit {code}]\n{o}\n" for c, code, o in reader.transcript)
        )
