"""The store: the hub's database (SQLAlchemy 2, Alembic; SQLite or PostgreSQL) and blobs."""

from ._blobs import BlobStore
from ._db import alembic_config, database_url, make_engine, migrate, session_factory, transaction
from ._ledger import GENESIS, HEAD_INFO, LedgerCheck, append, entry_hash, head_hash, verify_ledger
from ._models import (
    ApiToken,
    AuditEvent,
    Base,
    Deviation,
    Exercise,
    ExercisePartner,
    Institute,
    InstituteKey,
    LedgerEntry,
    Member,
    Run,
    SampleScore,
    Secondment,
    Submission,
    UiSession,
)

__all__ = [
    "GENESIS",
    "HEAD_INFO",
    "ApiToken",
    "AuditEvent",
    "Base",
    "BlobStore",
    "Deviation",
    "Exercise",
    "ExercisePartner",
    "Institute",
    "InstituteKey",
    "LedgerCheck",
    "LedgerEntry",
    "Member",
    "Run",
    "SampleScore",
    "Secondment",
    "Submission",
    "UiSession",
    "alembic_config",
    "append",
    "database_url",
    "entry_hash",
    "head_hash",
    "make_engine",
    "migrate",
    "session_factory",
    "transaction",
    "verify_ledger",
]
