"""`.env` is read from the working directory upward, as `inspect eval` reads it."""

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.run import load_dotenv_file, read_manifest
from tests.conftest import ProtocolFactory
from tests.run._loopback import LoopbackServer

runner = CliRunner()


@pytest.fixture
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # setenv first, so the teardown removes whatever the .env file put there.
    for name in ("LOOPBACK_API_KEY", "ACCORD_DOTENV_PROBE"):
        monkeypatch.setenv(name, "x")
        monkeypatch.delenv(name)


def loopback_protocol(make_protocol: ProtocolFactory, server: LoopbackServer) -> Path:
    def edit(data: dict[str, Any]) -> None:
        data["models"][0].update(model="openai-api/loopback/echo", base_url=server.base_url)

    return make_protocol(edit)


@pytest.mark.usefixtures("no_key")
def test_a_key_in_a_parent_dotenv_is_used(
    make_protocol: ProtocolFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(project / "deep" / "er")
    with LoopbackServer(latency=0.0) as server:
        path = loopback_protocol(make_protocol, server)
        args = ["run", str(path), "-p", "inst-b", "-o", str(tmp_path / "out"), "--limit", "2"]
        missing = runner.invoke(app, args)
        assert missing.exit_code == 2
        assert "LOOPBACK_API_KEY" in missing.output
        (project / ".env").write_text("# credentials\nLOOPBACK_API_KEY=from-dotenv\n")
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert server.stats()["requests"] == 2 * 2  # samples x epochs
    assert os.environ["LOOPBACK_API_KEY"] == "from-dotenv"
    assert read_manifest(tmp_path / "out").status == "complete"


@pytest.mark.usefixtures("no_key")
def test_the_environment_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("LOOPBACK_API_KEY=file\nACCORD_DOTENV_PROBE=file\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOOPBACK_API_KEY", "shell")
    assert load_dotenv_file() == tmp_path / ".env"
    assert os.environ["LOOPBACK_API_KEY"] == "shell"
    assert os.environ["ACCORD_DOTENV_PROBE"] == "file"


def test_no_dotenv_file_loads_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    found = load_dotenv_file()
    # The search goes up to /, so only a file above tmp_path (none on a clean machine) is found.
    assert found is None or tmp_path not in found.parents
