"""Web-interface sessions: signing in with a token, server-side sessions, failed-attempt limits.

The browser holds only a random session id (the hub stores its SHA-256) and never the token.
A session acts with the token that opened it, so the token's scopes, expiry and revocation
apply; it also ends after `idle` without use and `absolute` after sign-in, whichever is first.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from ..store import ApiToken, AuditEvent, UiSession, transaction
from ._auth import Actor, resolve_actor, token_actor, token_hash
from ._base import HubBase
from ._errors import TooManyRequests, Unauthenticated

SIGNIN_ACTION = "ui.signin"


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions last and how many failed sign-ins a client gets."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    max_failures: int = 5
    failure_window: timedelta = timedelta(minutes=15)
    touch_every: timedelta = timedelta(seconds=60)  # last-seen writes at most this often


@dataclass(frozen=True)
class OpenedSession:
    """A new session: `secret` goes in the cookie (this once), `csrf` in every form."""

    secret: str
    csrf: str
    actor: Actor


@dataclass(frozen=True)
class ActiveSession:
    """A session in force: who it acts for and its CSRF token."""

    actor: Actor
    csrf: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class SessionOps(HubBase):
    """Sign-in, sign-out and session lookup for the web interface."""

    session_policy = SessionPolicy()

    def sign_in(self, token: str, client: str) -> OpenedSession:
        """Open a session for a bearer token pasted by `client` (an address, for limits).

        Raises:
            TooManyRequests: After too many failed attempts from `client` in the window.
            Unauthenticated: For an unknown, malformed, expired or revoked token (audited).
        """
        rules = self.session_policy
        now = self.clock()
        target = f"client {client}"[:200]
        with transaction(self.reads) as session:
            failures = int(
                session.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(
                        AuditEvent.action == SIGNIN_ACTION,
                        AuditEvent.outcome == "deny",
                        AuditEvent.target == target,
                        AuditEvent.at >= now - rules.failure_window,
                    )
                )
                or 0
            )
        anonymous = Actor()
        if failures >= rules.max_failures:
            minutes = int(rules.failure_window.total_seconds() // 60)
            self.audit(anonymous, SIGNIN_ACTION, target, "limit", f"{failures} failures")
            raise TooManyRequests(
                f"{failures} failed sign-ins from this address in the last {minutes} minutes; "
                f"wait {minutes} minutes and try again with a valid token"
            )
        try:
            with transaction(self.sessions) as session:
                actor = resolve_actor(session, f"Bearer {token.strip()}", now)
                token_row = session.scalars(
                    select(ApiToken).where(ApiToken.token_hash == token_hash(token.strip()))
                ).one()
                self._purge(session, now)
                secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                session.add(
                    UiSession(
                        id=_digest(secret),
                        token_id=token_row.id,
                        member_id=actor.member_id or "",
                        csrf=csrf,
                        created_at=now,
                        last_seen_at=now,
                        expires_at=now + rules.absolute,
                    )
                )
        except Unauthenticated as ex:
            self.audit(anonymous, SIGNIN_ACTION, target, "deny", str(ex))
            raise
        self.audit(actor, SIGNIN_ACTION, target, "allow", f"token {token_row.prefix}...")
        return OpenedSession(secret, csrf, actor)

    def session(self, secret: str | None) -> ActiveSession | None:
        """The session behind a cookie value, or None when absent, ended or expired.

        Reads only; it writes (in a short transaction of its own) just to record use at most
        once per `touch_every`, or to end a session found expired.
        """
        if not secret or len(secret) > 100:
            return None
        now, rules, key = self.clock(), self.session_policy, _digest(secret)
        found: ActiveSession | None = None
        with transaction(self.reads) as session:
            row = session.get(UiSession, key)
            if row is None or row.ended_at is not None:
                return None
            live = now < row.expires_at and now < row.last_seen_at + rules.idle
            if live:
                try:
                    found = ActiveSession(token_actor(session, row.token_id, now), row.csrf)
                except Unauthenticated:
                    found = None
            stale = now - row.last_seen_at >= rules.touch_every
        if found is None or stale:
            change = {"last_seen_at": now} if found is not None else {"ended_at": now}
            with transaction(self.sessions) as session:
                session.execute(update(UiSession).where(UiSession.id == key).values(**change))
        return found

    def sign_out(self, secret: str | None) -> None:
        """End the session behind a cookie value (if any)."""
        if not secret:
            return
        with transaction(self.sessions) as session:
            row = session.get(UiSession, _digest(secret))
            if row is not None and row.ended_at is None:
                row.ended_at = self.clock()

    def _purge(self, session: Session, now: datetime) -> None:
        """Forget sessions that ended or expired over a day ago."""
        cutoff = now - timedelta(days=1)
        session.execute(
            delete(UiSession).where(
                or_(
                    UiSession.expires_at < cutoff,
                    UiSession.ended_at < cutoff,
                    UiSession.last_seen_at < cutoff - self.session_policy.idle,
                )
            )
        )
