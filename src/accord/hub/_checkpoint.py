"""The hub's signed ledger head, and the checkpoint that catches a removed tail.

A hash chain shows edits, reorderings and removals in its middle, but not a cut end: the
shorter chain is still a valid chain. So the hub signs its head with its own Ed25519 key
and hands it out (in every results response, at `GET /ledger/head`); anyone who kept one
can later ask whether the ledger still contains it (`expect_head`). The hub also keeps its
newest head in a checkpoint file beside the database, which `verify` checks every time.
"""

import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from .._util import canonical_json
from ..identity import PublicKeyRecord, public_record, sign, signature_valid
from ..store import HEAD_INFO

PURPOSE = "accord ledger head v1"
KEY_FILE = "hub-ledger.key"
CHECKPOINT_FILE = "ledger-checkpoint.json"


def head_message(seq: int, head: str) -> bytes:
    """The bytes the hub signs for a ledger head."""
    return canonical_json({"purpose": PURPOSE, "seq": seq, "hash": head})


class LedgerSigner:
    """The hub's ledger key and checkpoint file in its data directory."""

    def __init__(self, data_dir: Path, now: datetime) -> None:
        self.key = _load_or_create(data_dir / KEY_FILE)
        self.record: PublicKeyRecord = public_record(self.key, "hub", now)
        self.checkpoint_path = data_dir / CHECKPOINT_FILE
        self._lock = threading.Lock()

    def signed_head(self, seq: int, head: str) -> dict[str, Any]:
        """A head as handed out: seq, hash, the hub's key and its signature over both."""
        return {
            "seq": seq,
            "hash": head,
            "key_id": self.record.key_id,
            "public_key": self.record.public_key,
            "signature": sign(self.key, head_message(seq, head)),
        }

    def checkpoint(self) -> dict[str, Any] | None:
        """The newest head recorded after a commit, if any."""
        try:
            data: dict[str, Any] = json.loads(self.checkpoint_path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {"seq": -1, "hash": "unreadable checkpoint"}
        return data

    def after_commit(self, session: Session) -> None:
        """Session hook: record the head a committed transaction appended."""
        appended = session.info.pop(HEAD_INFO, None)
        if appended is None:
            return
        seq, head = appended
        # several worker processes may commit at once: a file lock orders them, and each
        # writes its own temporary file
        with self._lock, _locked(self.checkpoint_path.with_suffix(".lock")):
            current = self.checkpoint()
            if current is not None and int(current.get("seq", 0)) >= seq:
                return
            handle, temp = tempfile.mkstemp(dir=self.checkpoint_path.parent, prefix=".checkpoint-")
            with os.fdopen(handle, "w") as stream:
                stream.write(json.dumps(self.signed_head(seq, head)))
            os.replace(temp, self.checkpoint_path)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as stream:
        fcntl.flock(stream, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(stream, fcntl.LOCK_UN)


def signed_head_valid(head: dict[str, Any], record: PublicKeyRecord) -> bool:
    """Whether `head` carries `record`'s signature over its seq and hash."""
    try:
        message = head_message(int(head["seq"]), str(head["hash"]))
        return signature_valid(record, message, str(head["signature"]))
    except (KeyError, TypeError, ValueError):
        return False


def _load_or_create(path: Path) -> Ed25519PrivateKey:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key") from None
        return key
    key = Ed25519PrivateKey.generate()
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return key
