"""The append-only ledger: each entry's hash covers the previous entry's hash."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .._util import sha256_digest
from ._models import LedgerEntry

GENESIS = "sha256:" + "0" * 64
HEAD_INFO = "accord.ledger_head"
_LOCK_KEY = 7_272_024


def entry_hash(
    seq: int, at: datetime, kind: str, subject: str, actor: str | None, payload: Any, prev: str
) -> str:
    """The hash of an entry: SHA-256 of the canonical JSON of all its fields and prev_hash."""
    return sha256_digest(
        {
            "seq": seq,
            "at": at.isoformat(),
            "kind": kind,
            "subject": subject,
            "actor": actor,
            "payload": payload,
            "prev_hash": prev,
        }
    )


def append(
    session: Session,
    kind: str,
    subject: str,
    actor: str | None,
    payload: dict[str, Any],
    at: datetime,
) -> LedgerEntry:
    """Append an entry in the session's transaction (serialised across writers)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    head = session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1)).first()
    seq = head.seq + 1 if head else 1
    prev = head.hash if head else GENESIS
    entry = LedgerEntry(
        seq=seq,
        at=at,
        kind=kind,
        subject=subject,
        actor=actor,
        payload=payload,
        prev_hash=prev,
        hash=entry_hash(seq, at, kind, subject, actor, payload, prev),
    )
    session.add(entry)
    session.flush()
    session.info[HEAD_INFO] = (seq, entry.hash)  # for whoever checkpoints after the commit
    return entry


@dataclass(frozen=True)
class LedgerCheck:
    """The outcome of recomputing the chain."""

    ok: bool
    entries: int
    head: str
    first_broken: int | None = None
    reason: str | None = None


def head_hash(session: Session) -> str:
    """The hash of the newest entry (the genesis hash for an empty ledger)."""
    head = session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1)).first()
    return head.hash if head else GENESIS


def verify_ledger(session: Session, expect: Collection[str] = ()) -> LedgerCheck:
    """Recompute every hash in order; name the first entry that does not fit the chain.

    The chain alone cannot show that entries were cut from its end. `expect` holds head
    hashes seen earlier (a signed checkpoint, a head a partner recorded): each must still be
    in the chain, or its tail was removed.
    """
    return verify_entries(session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)), expect)


def verify_entries(entries: Iterable[LedgerEntry], expect: Collection[str] = ()) -> LedgerCheck:
    """`verify_ledger` over entries in sequence order from anywhere (e.g. a hub's API)."""
    prev, expected_seq, count = GENESIS, 1, 0
    wanted = set(expect) - {GENESIS}
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            return LedgerCheck(
                False,
                count,
                prev,
                entry.seq,
                f"expected entry {expected_seq}, found {entry.seq} (deleted or renumbered)",
            )
        if entry.prev_hash != prev:
            return LedgerCheck(
                False,
                count,
                prev,
                entry.seq,
                "its prev_hash is not the previous entry's hash (entries removed or reordered)",
            )
        recomputed = entry_hash(
            entry.seq,
            entry.at,
            entry.kind,
            entry.subject,
            entry.actor,
            entry.payload,
            entry.prev_hash,
        )
        if recomputed != entry.hash:
            return LedgerCheck(
                False, count, prev, entry.seq, "its content does not match its hash (it was edited)"
            )
        wanted.discard(entry.hash)
        prev, expected_seq = entry.hash, expected_seq + 1
    if wanted:
        return LedgerCheck(
            False,
            count,
            prev,
            expected_seq,
            f"the chain ends at entry {count} and lacks the expected head "
            f"{sorted(wanted)[0]}: entries were removed from its end (or that head is from "
            "another ledger)",
        )
    return LedgerCheck(True, count, prev)
