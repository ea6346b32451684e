"""Tokens and the identity of a caller."""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
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

# Built once: on every request, building a statement costs about as much CPU as running it.
_TOKEN_AND_MEMBER = (  # the member too, in the same round trip (for `token_actor`)
    select(ApiToken, Member)
    .outerjoin(Member, Member.id == ApiToken.member_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)
_SECONDMENTS = select(Secondment).where(Secondment.member_id == bindparam("member_id"))


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
    found = session.execute(_TOKEN_AND_MEMBER, {"token_hash": token_hash(token)}).first()
    row = found[0] if found else None
    if row is None:
        raise Unauthenticated("unknown token; create one with `accord hub token <member id>`")
    return token_actor(session, row, now)


def token_actor(session: Session, row: ApiToken, now: datetime) -> Actor:
    """The actor a stored token stands for (also behind a web-interface session).

    Raises:
        Unauthenticated: For an expired or revoked token, or one of a removed member.
    """
    if row.revoked_at is not None and row.revoked_at <= now:
        raise Unauthenticated(f"token {row.prefix}... was revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated(f"token {row.prefix}... expired at {row.expires_at.isoformat()}")
    member = session.get(Member, row.member_id)
    if member is None:
        raise Unauthenticated(f"token {row.prefix}... belongs to no member")
    secondments = tuple(
        ActiveSecondment(s.host_institute_id, s.exercise_id, s.role)
        for s in session.scalars(_SECONDMENTS, {"member_id": member.id})
        if s.starts_at <= now < s.ends_at and (s.revoked_at is None or now < s.revoked_at)
    )
    return Actor(
        member.id,
        member.institute_id,
        member.role,
        frozenset(row.scopes),
        secondments,
        row.expires_at,
    )
