"""The README's tour runs as written: every command, in order, in a fresh directory.

Placeholders (`<short-id>`, `<admin token>`, `<member id>`, `<eve's token>`) are filled from
what the commands before printed, as a reader would. `accord hub serve ... &` starts the
real server in a subprocess (on a free port instead of 8000, which may be taken here).
`make demo`, `source` and `inspect view` come before the tour's commands and are covered by
tests/cli/test_demo.py.
"""

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from accord.cli import app
from tests.docs.commands import ROOT, commands, shell_lines

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


class Reader:
    """Runs README lines like a reader at a shell, remembering what they need later."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory, self.port = directory, port
        self.env: dict[str, str] = {"COLUMNS": "80"}
        self.values: dict[str, str] = {}
        self.servers: list[subprocess.Popen[bytes]] = []
        self.transcript: list[tuple[str, int, str]] = []

    def fill(self, line: str) -> str:
        line = line.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{self.port}")
        for name in re.findall(r"<([^>]+)>", line):
            line = line.replace(f"<{name}>", self.value(name))
        return line

    def value(self, name: str) -> str:
        if name == "short-id" and name not in self.values:
            from accord.protocol import load_protocol, protocol_id, short_id

            pid = protocol_id(load_protocol(self.directory / "pilot/protocol.yaml").protocol)
            self.values[name] = short_id(pid)
        return self.values[name]

    def run(self, line: str) -> None:
        line = self.fill(line)
        tokens = shlex.split(line, comments=True)
        if tokens[-1] == "&":
            self.serve(tokens[:-1])
            return
        for args in commands(line):
            if args[0] == "export":
                self.env.update(a.split("=", 1) for a in args[1:])
                continue
            prefix = re.findall(r"^((?:[A-Z_]+=\S+\s+)*)accord\b", line)[0].split()
            env = {**self.env, **dict(p.split("=", 1) for p in prefix)}
            assert args[0] == "accord", f"not an accord command: {line}"
            result = CliRunner(env=env).invoke(app, args[1:])
            self.transcript.append((" ".join(args), result.exit_code, result.output))
            assert result.exit_code == 0, f"`{line}` exited {result.exit_code}:\n{result.output}"
            self.remember(args, result.stdout)

    def remember(self, args: list[str], stdout: str) -> None:
        if args[1:3] == ["hub", "init"]:
            self.values["admin token"] = stdout.strip().splitlines()[-1]
        elif args[1:3] == ["hub", "members"] and "--json" in args:
            self.values["member id"] = json.loads(stdout)["id"]
        elif args[1:3] == ["hub", "token"]:
            self.values["eve's token"] = re.findall(r"acc_\S+", stdout)[0]

    def serve(self, args: list[str]) -> None:
        assert args[:3] == ["accord", "hub", "serve"]
        command = [sys.executable, "-m", "accord.cli", *args[1:], "--port", str(self.port)]
        self.servers.append(
            subprocess.Popen(command, cwd=self.directory, env={**os.environ, **self.env})
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/docs", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("`accord hub serve` did not answer within 60 s")


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
