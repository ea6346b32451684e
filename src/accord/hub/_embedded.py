"""Serving a hub on a loopback port from a background thread (the demo, tests, benchmarks)."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from .._util import OperationError


@contextmanager
def serve_in_background(app: FastAPI, host: str = "127.0.0.1") -> Iterator[str]:
    """Run `app` with uvicorn on a free port of `host`; yields its base URL, stops on exit."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="accord-hub", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise OperationError(f"the embedded hub did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
