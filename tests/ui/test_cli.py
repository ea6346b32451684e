"""`accord hub serve` prints the web interface's address, and the pages answer there."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def test_hub_serve_prints_the_web_interface_url(tmp_path: Path) -> None:
    accord = [str(Path(sys.executable).parent / "accord")]
    db, data = str(tmp_path / "hub.db"), str(tmp_path / "data")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    init = subprocess.run(
        [*accord, "hub", "init", "--db", db, "--data", data],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    token = init.stdout.strip()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*accord, "hub", "serve", "--db", db, "--data", data, "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        assert f"web interface: http://127.0.0.1:{port}/" in line, line
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/signin", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the hub did not come up"
                time.sleep(0.2)
        assert page.status_code == 200 and 'id="token"' in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health").json()["ok"] is True
        assert token.startswith("acc_")
    finally:
        server.terminate()
        server.wait(timeout=30)
