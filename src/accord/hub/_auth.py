"""Tokens and the identity of a caller."""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import Session

from ..store import ApiToken, Member, Secondment
from ._errors import Unauthenticated

TOKEN_PREFIX = "acc_"
ROLES = ("hub-admin", "institute-admin", "evaluator", "observer", "developer")
INSTITUTE_ROLES = ("institute-admin", "evaluator", "observer", "developer")
SECONDEE_ROLES = ("institute-admin", "evaluator", "observer")  # a developer is never seconded


def new_token() -> str:
    """A random bearer token (shown once, stored only as its hash)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ActiveSecondment:
    """A secondment in force now."""

    host_institute: str
    exercise_id: str | None  # None: all of the host's exercises
    role: str


@dataclass(frozen=True)
class Actor:
    """Who is calling: a member with a role, their scopes and active secondments; or nobody."""

    member_id: str | None = None
    institute_id: str | None = None
    role: str | None = None
    scopes: frozenset[str] = frozenset()
    secondments: tuple[ActiveSecondment, ...] = field(default=())
    token_expires_at: datetime | None = None  # when the caller's own token expires

    @property
    def anonymous(self) -> bool:
        """True for a caller without a token."""
        return self.member_id is None

    @property
    def hub_admin(self) -> bool:
        """True for the hub's administrators."""
        return self.role == "hub-admin"


ANONYMOUS = Actor()


def _caller_by(key: Any) -> Select[Any]:
    # A token, its member and the member's secondments (a row each, or one row without),
    # in one round trip and as plain rows: every authenticated request runs it first.
    token, member, secondment = ApiToken.__table__, Member.__table__, Secondment.__table__
    return (
        select(
            token.c.prefix,
            token.c.scopes,
            token.c.expires_at,
            token.c.revoked_at,
            member.c.id.label("member_id"),
            member.c.institute_id,
            member.c.role,
            secondment.c.host_institute_id.label("host"),
            secondment.c.exercise_id.label("seconded_to"),
            secondment.c.role.label("seconded_as"),
            secondment.c.starts_at.label("seconded_from"),
            secondment.c.ends_at.label("seconded_until"),
            secondment.c.revoked_at.label("secondment_revoked_at"),
        )
        .select_from(
            token.outerjoin(member, member.c.id == token.c.member_id).outerjoin(
                secondment, secondment.c.member_id == member.c.id
            )
        )
        .where(key == bindparam("key"))
    )


# Built once: building a statement costs about as much CPU as running it.
_BY_HASH = _caller_by(ApiToken.__table__.c.token_hash)
_BY_ID = _caller_by(ApiToken.__table__.c.id)


def resolve_actor(session: Session, authorization: str | None, now: datetime) -> Actor:
    """The actor behind an `Authorization: Bearer ...` header (anonymous without one).

    Raises:
        Unauthenticated: For a malformed, unknown, expired or revoked token.
    """
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated(
            "send `Authorization: Bearer acc_...` with a token from `accord hub token <member id>`"
        )
    token = token.strip()
    if len(token) > 200 or not token.isascii():
        raise Unauthenticated("malformed token; create one with `accord hub token <member id>`")
    rows = _caller_rows(session, _BY_HASH, token_hash(token))
    if not rows:
        raise Unauthenticated("unknown token; create one with `accord hub token <member id>`")
    return _actor(rows, now)


def token_actor(session: Session, token_id: str, now: datetime) -> Actor:
    """The actor a stored token stands for (behind a web-interface session).

    Raises:
        Unauthenticated: For an unknown, expired or revoked token, or one of a removed member.
    """
    rows = _caller_rows(session, _BY_ID, token_id)
    if not rows:
        raise Unauthenticated("the session's token no longer exists; sign in again")
    return _actor(rows, now)


def _caller_rows(session: Session, statement: Select[Any], key: str) -> Sequence[Row[Any]]:
    # Core rows on the session's connection: ORM execution cost more than the statement.
    return session.connection().execute(statement, {"key": key}).all()


def _actor(rows: Sequence[Row[Any]], now: datetime) -> Actor:
    token = rows[0]
    if token.revoked_at is not None and token.revoked_at <= now:
        raise Unauthenticated(f"token {token.prefix}... was revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated(f"token {token.prefix}... expired at {token.expires_at.isoformat()}")
    if token.member_id is None:
        raise Unauthenticated(f"token {token.prefix}... belongs to no member")
    secondments = tuple(
        ActiveSecondment(r.host, r.seconded_to, r.seconded_as)
        for r in rows
        if r.host is not None
        and r.seconded_from <= now < r.seconded_until
        and (r.secondment_revoked_at is None or now < r.secondment_revoked_at)
    )
    return Actor(
        token.member_id,
        token.institute_id,
        token.role,
        frozenset(token.scopes),
        secondments,
        token.expires_at,
    )
