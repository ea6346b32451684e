"""Verifying a hub's ledger from outside: fetch every entry over the API, recompute the chain.

Nothing the hub says about its own ledger is taken on trust: the chain is recomputed here,
the head the hub signed must be in it, and so must every head the caller kept from earlier
(which is what catches a tail cut from the chain). Pin the hub's ledger key with `hub_key`
to know the signed head is really the hub's.
"""

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .._util import OperationError
from ..identity import PublicKeyRecord, key_id_of
from ..store import LedgerEntry, verify_entries
from ._checkpoint import signed_head_valid
from ._client import HubClient

PAGE = 1000


def verify_remote_ledger(
    api: HubClient, expect_heads: list[str], hub_key: str | None = None
) -> dict[str, Any]:
    """Recompute a hub's ledger fetched over HTTP; the outcome as `GET /ledger/verify` gives it.

    Raises:
        OperationError: When the hub's answers are not ledger entries at all.
    """
    head = api.call("GET", "/ledger/head")
    problem = _head_problem(head, hub_key)
    entries: list[LedgerEntry] = []
    after = 0
    while True:
        page = api.call("GET", "/ledger", params={"after": after, "limit": PAGE})
        try:
            entries += [_entry(row) for row in page]
        except (KeyError, TypeError, ValueError) as ex:
            raise OperationError(f"the hub's /ledger answer is not ledger entries: {ex}") from None
        if len(page) < PAGE:
            break
        after = entries[-1].seq
    check = verify_entries(entries, [str(head.get("hash")), *expect_heads])
    ok = check.ok and problem is None
    return {
        "ok": ok,
        "entries": check.entries,
        "head": check.head,
        "first_broken": check.first_broken,
        "reason": check.reason or problem,
        "signed_head": {
            "seq": head.get("seq"),
            "hash": head.get("hash"),
            "key_id": head.get("key_id"),
            "signature_valid": problem is None or "signature" not in problem,
        },
    }


def _head_problem(head: dict[str, Any], hub_key: str | None) -> str | None:
    try:
        raw = base64.b64decode(str(head["public_key"]), validate=True)
        key_id = key_id_of(Ed25519PublicKey.from_public_bytes(raw))
        record = PublicKeyRecord(
            partner="hub",
            key_id=key_id,
            public_key=str(head["public_key"]),
            created=datetime.now(UTC),
        )
    except (KeyError, TypeError, ValueError, binascii.Error):
        return "the hub's signed head carries no valid public key"
    if key_id != head.get("key_id"):
        return f"the signed head names key {head.get('key_id')} but carries {key_id}"
    if hub_key is not None and key_id != hub_key:
        return (
            f"the ledger head is signed by {key_id}, not the pinned hub key {hub_key}: "
            "another hub, or its key was replaced"
        )
    if not signed_head_valid(head, record):
        return "the signature over the ledger head does not verify"
    return None


def _entry(row: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        seq=int(row["seq"]),
        at=datetime.fromisoformat(row["at"]),
        kind=row["kind"],
        subject=row["subject"],
        actor=row["actor"],
        payload=row["payload"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )
