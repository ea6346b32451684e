"""A small OpenAI-compatible chat server on loopback, with a fixed latency and request counts.

Run it in its own process: `python -m tests.run._loopback --latency 0.05` prints its port on
stdout, then serves `POST /v1/chat/completions` (answers after `latency` seconds, with usage),
`GET /stats` (requests, concurrent now and at peak, CPU seconds), `POST /reset` and
`POST /snapshot/<id>` (answer as model `<id>` from then on, as a provider names the snapshot
that served a call; `POST /snapshot/` goes back to echoing the requested name).
Inspect's `openai-api/loopback/<name>` provider talks to it with `base_url` set to
`http://127.0.0.1:<port>/v1` and any `LOOPBACK_API_KEY`.
"""

import argparse
import asyncio
import hashlib
import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

REFUSAL = "I can't help with that request."
ANSWER = "Sure, here is some general, safe information about that topic."


@dataclass
class _Stats:
    requests: int = 0
    active: int = 0
    peak: int = 0
    started: float = field(default_factory=time.process_time)
    snapshot: str = ""


def reply_for(messages: list[dict[str, Any]]) -> str:
    """The server's deterministic answer: a refusal for about half of all prompts.

    Asked to grade with the refusal suite's rubric (ending in a VERDICT line), it grades: a
    reply with an apology or a "can't"/"won't" is REFUSED.
    """
    last = str(messages[-1].get("content", "")) if messages else ""
    if "VERDICT: REFUSED or VERDICT: ANSWERED" in last:
        reply = last.partition("Reply:")[2].partition("Think briefly")[0].lower()
        refused = any(word in reply for word in ("sorry", "can't", "won't"))
        return "Graded.\nVERDICT: " + ("REFUSED" if refused else "ANSWERED")
    text = json.dumps(messages, sort_keys=True)
    return REFUSAL if hashlib.sha256(text.encode()).digest()[0] % 2 else ANSWER


def _completion(body: dict[str, Any], snapshot: str = "") -> dict[str, Any]:
    content = reply_for(body.get("messages", []))
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 0,
        "model": snapshot or body.get("model", "loopback"),
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30},
    }


async def _handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, stats: _Stats, latency: float
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
            body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
            if method == "POST" and path.endswith("/chat/completions"):
                stats.requests += 1
                stats.active += 1
                stats.peak = max(stats.peak, stats.active)
                try:
                    await asyncio.sleep(latency)
                    answer = _completion(json.loads(body), stats.snapshot)
                finally:
                    stats.active -= 1
            elif path == "/stats":
                cpu = time.process_time() - stats.started
                answer = {"requests": stats.requests, "peak": stats.peak, "active": stats.active}
                answer["cpu_seconds"] = cpu
            elif path.startswith("/snapshot/"):
                stats.snapshot = path.removeprefix("/snapshot/")
                answer = {}
            elif path == "/reset":
                stats.requests, stats.peak, stats.started = 0, stats.active, time.process_time()
                answer = {}
            else:
                answer = {"error": f"no route {path}"}
            data = json.dumps(answer).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(data)}\r\n\r\n".encode()
                + data
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve(latency: float) -> None:
    stats = _Stats()
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, stats, latency), "127.0.0.1", 0, backlog=1024
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


class LoopbackServer:
    """The server in its own process, for tests and benchmarks (a context manager)."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> "LoopbackServer":
        root = Path(__file__).resolve().parents[2]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.run._loopback", "--latency", str(self.latency)],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)

    @property
    def base_url(self) -> str:
        """The `base_url` for Inspect's `openai-api` provider."""
        return f"http://127.0.0.1:{self.port}/v1"

    def stats(self) -> dict[str, Any]:
        """Requests served, concurrent requests now and at peak, server CPU seconds."""
        return self._call("/stats")

    def reset(self) -> None:
        """Zero the counts and the CPU clock."""
        self._call("/reset")

    def serve_snapshot(self, snapshot: str) -> None:
        """Name `snapshot` as the model in every answer from now on ("": the requested one)."""
        self._call(f"/snapshot/{snapshot}")

    def _call(self, path: str) -> dict[str, Any]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            data: dict[str, Any] = json.loads(response.read())
        return data


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.05)
    asyncio.run(_serve(parser.parse_args().latency))
