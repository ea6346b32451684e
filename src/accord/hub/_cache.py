"""Read caches of the hub, correct across worker processes.

A cached payload is keyed by the ledger's newest sequence number, read from the database on
every request: each change that can alter results (an accepted or superseding submission,
an amendment, a key revocation, a governance act, a transition) appends to the ledger in
its own transaction, so any worker sees a new key after it and never serves the old
payload. The reader's policy view is part of every key, so a payload built for one view is
never handed to another.
"""

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store import GENESIS, LedgerEntry

MAX_ENTRIES = 256
"""Entries per cache; the oldest go first."""

_Key = TypeVar("_Key")


_HEAD = select(LedgerEntry.seq, LedgerEntry.hash).order_by(LedgerEntry.seq.desc()).limit(1)
"""Built once: read on every results request (building it costs as much as running it)."""


def ledger_head(session: Session) -> tuple[int, str]:
    """The newest ledger entry's (seq, hash), read in one statement; (0, genesis) if empty."""
    row = session.connection().execute(_HEAD).first()  # Core: no ORM execution cost
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def remember(cache: dict[_Key, dict[str, Any]], key: _Key, value: dict[str, Any]) -> None:
    """Store `value`, dropping the oldest entries beyond `MAX_ENTRIES`."""
    cache[key] = value
    while len(cache) > MAX_ENTRIES:
        del cache[next(iter(cache))]
