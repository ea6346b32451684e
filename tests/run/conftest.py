"""Fixtures of the run tests: the loopback model server."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from accord.protocol import load_protocol
from accord.run import plan_share, run_share
from tests.run._loopback import LoopbackServer


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    """A loopback OpenAI-compatible server, with the key Inspect's provider wants set."""
    monkeypatch.setenv("LOOPBACK_API_KEY", "test")
    with LoopbackServer(latency=0.0) as running:
        yield running


def run_trial(path: Path, partner: str, out: Path, limit: int = 4) -> Path:
    """Run a partner's share on the first `limit` samples, quietly; the run directory."""
    result = run_share(plan_share(load_protocol(path), partner, out), display="none", limit=limit)
    assert result.complete
    return out
