"""The hub's schema: SQLAlchemy 2 models, the same on SQLite and PostgreSQL."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend, stored as UTC.

    Any offset is converted to UTC before storing: SQLite keeps no offset, so a `+10:00`
    time stored as written would be read back ten hours off.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime; use timezone-aware UTC")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


class Base(DeclarativeBase):
    """Base of every table."""


class Institute(Base):
    """An organisation taking part; its id is its partner id in protocols."""

    __tablename__ = "institutes"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Member(Base):
    """A person at an institute, with one role there."""

    __tablename__ = "members"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    institute_id: Mapped[str] = mapped_column(ForeignKey("institutes.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiToken(Base):
    """A bearer token, stored only as its SHA-256."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class InstituteKey(Base):
    """An institute's public signing key, with its validity and revocation."""

    __tablename__ = "institute_keys"
    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    institute_id: Mapped[str] = mapped_column(ForeignKey("institutes.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(100))
    created: Mapped[datetime] = mapped_column(UtcDateTime)
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revocation_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Exercise(Base):
    """One protocol being carried out on the hub."""

    __tablename__ = "exercises"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    protocol_id: Mapped[str] = mapped_column(String(71), index=True)
    protocol_yaml: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    embargo_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ExercisePartner(Base):
    """An institute that is a partner in an exercise's protocol."""

    __tablename__ = "exercise_partners"
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id"), primary_key=True)
    institute_id: Mapped[str] = mapped_column(ForeignKey("institutes.id"), primary_key=True)


class Secondment(Base):
    """A member given time-limited access to a host institute's exercise(s)."""

    __tablename__ = "secondments"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    host_institute_id: Mapped[str] = mapped_column(ForeignKey("institutes.id"), index=True)
    exercise_id: Mapped[str | None] = mapped_column(ForeignKey("exercises.id"), nullable=True)
    role: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("members.id"))


class Submission(Base):
    """An accepted bundle (rejections live only in the ledger and the audit log)."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("exercise_id", "bundle_sha256"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id"), index=True)
    institute_id: Mapped[str] = mapped_column(ForeignKey("institutes.id"))
    bundle_sha256: Mapped[str] = mapped_column(String(71))
    key_id: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitter_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    verification: Mapped[dict[str, Any]] = mapped_column(JSON)


class Run(Base):
    """One task x model log of a submission.

    A later submission of the same partner, task and model supersedes it: the run is kept
    (with `superseded_by`, the run that replaced it) but no longer counts in results.
    """

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_current", "exercise_id", "institute_id", "task_id", "model_id"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id"), index=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    institute_id: Mapped[str] = mapped_column(ForeignKey("institutes.id"))
    task_id: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(64))
    log_sha256: Mapped[str] = mapped_column(String(71))
    dataset_digest: Mapped[str] = mapped_column(String(71))
    task_version: Mapped[str] = mapped_column(String(64))
    generate_config: Mapped[dict[str, Any]] = mapped_column(JSON)
    disclosure: Mapped[str] = mapped_column(String(16))
    samples: Mapped[int] = mapped_column(Integer)
    superseded_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SampleScore(Base):
    """One score of one sample in one epoch; content only where disclosure allows."""

    __tablename__ = "sample_scores"
    # (run, id) serves per-run pages in id order and whole-run reads alike.
    __table_args__ = (Index("ix_sample_scores_run_id", "run_id", "id"),)
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    sample_id: Mapped[str] = mapped_column(String(200))
    epoch: Mapped[int] = mapped_column(Integer)
    scorer: Mapped[str] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float)
    cluster: Mapped[str | None] = mapped_column(String(200), nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    explanation: Mapped[str | None] = mapped_column(Text, nullable=True)


class Deviation(Base):
    """A methodology deviation found at submission (e.g. disagreeing dataset digests)."""

    __tablename__ = "deviations"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id"), index=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    found_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LedgerEntry(Base):
    """An append-only, hash-chained record of a state change that matters."""

    __tablename__ = "ledger"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str | None] = mapped_column(String(40), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(71))
    hash: Mapped[str] = mapped_column(String(71), unique=True)


class AuditEvent(Base):
    """Who did (or was refused) what, where."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    institute_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(Text)


class UiSession(Base):
    """A web-interface session: the browser holds a random id, the hub only its SHA-256.

    The session acts with the API token that signed it in (never stored in the browser), so
    revoking or expiring that token ends the session too.
    """

    __tablename__ = "ui_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie
    token_id: Mapped[str] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
