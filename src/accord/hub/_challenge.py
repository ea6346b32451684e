"""Key-registration challenges: stateless, bound to an institute, valid for a short time."""

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

CHALLENGE_TTL = timedelta(minutes=15)


def hub_secret(data_dir: Path) -> bytes:
    """The hub's private MAC key (`hub-secret`, mode 0600), created on first use."""
    path = data_dir / "hub-secret"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(secrets.token_bytes(32))
    return path.read_bytes()


def _mac(secret: bytes, institute: str, issued: int) -> str:
    message = f"{institute}|{issued}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def issue_challenge(secret: bytes, institute: str, now: datetime) -> str:
    """A challenge for registering a key of `institute`: `v1.<unix time>.<mac>`."""
    issued = int(now.timestamp())
    return f"v1.{issued}.{_mac(secret, institute, issued)}"


def challenge_problem(secret: bytes, institute: str, challenge: str, now: datetime) -> str | None:
    """Why `challenge` is not a live challenge of this hub for `institute` (None if it is)."""
    version, _, rest = challenge.partition(".")
    issued_text, _, mac = rest.partition(".")
    if version != "v1" or not issued_text.isdigit() or len(issued_text) > 12:
        return "the challenge is malformed; get one from GET .../keys/challenge"
    issued = int(issued_text)
    if not hmac.compare_digest(mac, _mac(secret, institute, issued)):
        return f"the challenge was not issued by this hub for '{institute}'"
    age = now.timestamp() - issued
    if not 0 <= age <= CHALLENGE_TTL.total_seconds():
        return "the challenge has expired; get a new one (they last 15 minutes)"
    return None
