"""The store: the hub's database (SQLAlchemy 2, Alembic; SQLite or PostgreSQL) and blobs."""

from ._blobs import BlobStore
from ._column_models import RunScoreColumns
from ._db import alembic_config, database_url, make_engine, migrate, session_factory, transaction
from ._ledger import (
    GENESIS,
    HEAD_INFO,
    LedgerCheck,
    append,
    entry_hash,
    head_hash,
    verify_entries,
    verify_ledger,
)
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
from ._package_models import ExercisePackage
from ._webhook_models import Webhook, WebhookDelivery

__all__ = [
    "GENESIS",
    "HEAD_INFO",
    "ApiToken",
    "AuditEvent",
    "Base",
    "BlobStore",
    "Deviation",
    "Exercise",
    "ExercisePackage",
    "ExercisePartner",
    "Institute",
    "InstituteKey",
    "LedgerCheck",
    "LedgerEntry",
    "Member",
    "Run",
    "RunScoreColumns",
    "SampleScore",
    "Secondment",
    "Submission",
    "UiSession",
    "Webhook",
    "WebhookDelivery",
    "alembic_config",
    "append",
    "database_url",
    "entry_hash",
    "head_hash",
    "make_engine",
    "migrate",
    "session_factory",
    "transaction",
    "verify_entries",
    "verify_ledger",
]
