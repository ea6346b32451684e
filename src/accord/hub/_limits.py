"""A bound on every request body the hub reads before its handler authorizes the caller.

JSON bodies are parsed by the framework before a handler runs, so their size is capped here:
a small bound for every route, a larger one for protocols. Bundle and package uploads are
exempt: their routes authorize first and then stream the body under their own limits.
"""

from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_BODY_LIMIT = 64 << 10
PROTOCOL_BODY_LIMIT = 8 << 20  # a protocol of 1,000,000 characters, JSON-escaped


class BodyLimit:
    """ASGI middleware answering 413 for a body over its route's bound."""

    def __init__(
        self, app: ASGIApp, exempt_suffix: str | tuple[str, ...] = ("/submissions", "/package")
    ) -> None:
        self.app = app
        self.exempt_suffix = exempt_suffix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].endswith(self.exempt_suffix):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = (
            PROTOCOL_BODY_LIMIT if path.rstrip("/").endswith("/exercises") else DEFAULT_BODY_LIMIT
        )
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"the request body exceeds {limit} bytes")
            return message

        await self.app(scope, bounded, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def _too_large(send: Send, limit: int) -> None:
    import json

    body = json.dumps(
        {"error": {"status": 413, "message": f"the request body exceeds {limit} bytes"}}
    ).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
