"""`accord hub serve --workers 2` on PostgreSQL: a change through one worker is seen by all."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PG
from tests.hub.conftest import Bundles, build_world
from tests.hub.test_api import open_exercise

CONNECTIONS = 8


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the hub stopped while starting"
        try:
            if httpx.get(f"{url}/api/v1/exercises", timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the hub did not answer within 60 s")


@pytest.mark.skipif(not PG, reason="no PostgreSQL server answers at 127.0.0.1:5432 (CI starts one)")
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_workers_share_results_without_stale_caches(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)  # schema, members, keys
    exercise = open_exercise(world, bundles)
    world.hub.engine.dispose()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "accord.cli", "hub", "serve", "--db", database]
    command += ["--data", str(tmp_path / "data"), "--port", str(port), "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    clients: list[httpx.Client] = []
    try:
        wait_until_up(url, process)
        headers = {"Authorization": f"Bearer {world.tokens['a-evaluator']}"}
        # several open connections, accepted by whichever worker was free: both serve some
        clients = [httpx.Client(base_url=url, headers=headers) for _ in range(CONNECTIONS)]
        path = f"/api/v1/exercises/{exercise}/results"

        def read_all() -> list[dict[str, Any]]:
            bodies = []
            for client in clients:
                response = client.get(path)
                assert response.status_code == 200, response.text
                bodies.append(response.json())
            return bodies

        for _ in range(3):  # every worker's cache is warm with "no runs yet"
            assert all(body["runs"] == [] for body in read_all())
        with bundles.a.open("rb") as stream:
            submitted = clients[0].post(
                f"/api/v1/exercises/{exercise}/submissions", files={"bundle": ("a", stream)}
            )
        assert submitted.status_code == 201, submitted.text
        head = clients[1].get("/api/v1/ledger/head").json()["hash"]
        for body in read_all():
            assert {r["institute_id"] for r in body["runs"]} == {"inst-a"}
            assert body["ledger_head"] == head
        checkpoint = (tmp_path / "data" / "ledger-checkpoint.json").read_text()
        assert head in checkpoint  # written by the worker that committed
    finally:
        for client in clients:
            client.close()
        process.send_signal(signal.SIGINT)
        try:
            output = process.communicate(timeout=30)[0].decode()
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0].decode()
    assert "Started parent process" in output or "workers" in output.lower(), output[-2000:]
