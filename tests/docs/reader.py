"""Running documented shell lines like a reader: placeholders filled from earlier output."""

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from accord.cli import app
from tests.docs.commands import commands


class Reader:
    """Runs README lines like a reader at a shell, remembering what they need later."""

    def __init__(self, directory: Path, port: int, protocol: str = "pilot/protocol.yaml") -> None:
        self.directory, self.port, self.protocol = directory, port, protocol
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

            pid = protocol_id(load_protocol(self.directory / self.protocol).protocol)
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
