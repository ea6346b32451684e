"""Webhooks: notifications to the partners' own systems, from a durable outbox.

A notification is written to the outbox in the same transaction as the ledger entry of
the event it reports, so an event that happened is never left unannounced, whatever
happens to the hub afterwards; a dispatcher POSTs due notifications, retrying failures
with exponential backoff. Each POST carries an HMAC-SHA256 signature made with the
webhook's secret over `<timestamp>.<body>`; receivers check it with `webhook_signature`.
"""

import hashlib
import hmac
import logging
import secrets
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .._util import AccordError, canonical_json
from ..store import (
    Exercise,
    ExercisePartner,
    LedgerEntry,
    Webhook,
    WebhookDelivery,
    transaction,
)
from . import _policy as policy
from ._auth import Actor
from ._base import HubBase, as_dict
from ._errors import BadRequest, NotFound
from ._schemas import _printable

EVENTS = (
    "submission.accepted",
    "submission.rejected",
    "deviation.found",
    "exercise.opened",
    "exercise.closed",
    "exercise.published",
    "embargo.passed",
)
BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)
MAX_ATTEMPTS = 12  # about five hours of retries before giving up
_PENDING = "accord.webhook_entries"
_log = logging.getLogger(__name__)
_DELIVERY_FIELDS = (
    *("id", "webhook_id", "event", "subject", "created_at", "attempts", "next_attempt_at"),
    *("delivered_at", "given_up_at", "last_status", "last_error"),
)


class WebhookIn(BaseModel):
    """`POST /institutes/{id}/webhooks`: where to send which events (default: all)."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(pattern=r"^https?://[^\s]{1,490}$"), AfterValidator(_printable)]
    events: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=lambda: list(EVENTS), min_length=1, max_length=7
    )
    exercise_id: Annotated[str, Field(max_length=200), AfterValidator(_printable)] | None = None


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Accord-Signature` value of a notification: `sha256=<hex HMAC>`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookOps(HubBase):
    """Webhook subscriptions, the outbox hooked to the ledger, and the delivery log."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event.listen(self.sessions, "after_flush", _collect)
        event.listen(self.sessions, "before_commit", self._enqueue)

    def create_webhook(self, actor: Actor, institute_id: str, body: WebhookIn) -> dict[str, Any]:
        """Subscribe an institute's endpoint (its admins); the secret is shown this once."""
        self.check(
            actor, policy.institute_admin(actor, institute_id), "webhook.create", institute_id
        )
        unknown = sorted(set(body.events) - set(EVENTS))
        if unknown:
            raise BadRequest(f"unknown events {', '.join(unknown)}; use {', '.join(EVENTS)}")
        with transaction(self.sessions) as session:
            self._institute(session, institute_id)
            hook = Webhook(
                id=uuid.uuid4().hex,
                institute_id=institute_id,
                exercise_id=body.exercise_id,
                url=body.url,
                secret=secrets.token_hex(32),
                events=sorted(set(body.events)),
                created_by=actor.member_id,
                created_at=self.clock(),
            )
            session.add(hook)
        return {**_hook(hook), "secret": hook.secret, "note": "shown once: store it now"}

    def webhooks(self, actor: Actor, institute_id: str) -> list[dict[str, Any]]:
        """An institute's webhooks (its admins), without their secrets."""
        self.check(actor, policy.institute_admin(actor, institute_id), "webhook.list", institute_id)
        with transaction(self.reads) as session:
            rows = session.scalars(
                select(Webhook)
                .where(Webhook.institute_id == institute_id)
                .order_by(Webhook.created_at)
            )
            return [_hook(w) for w in rows]

    def disable_webhook(self, actor: Actor, institute_id: str, webhook_id: str) -> dict[str, Any]:
        """Stop a webhook (its institute's admins); undelivered notifications are dropped."""
        self.check(
            actor, policy.institute_admin(actor, institute_id), "webhook.disable", institute_id
        )
        with transaction(self.sessions) as session:
            hook = session.get(Webhook, webhook_id)
            if hook is None or hook.institute_id != institute_id:
                raise NotFound(f"no webhook '{webhook_id}' of '{institute_id}'")
            hook.disabled_at = hook.disabled_at or self.clock()
            return _hook(hook)

    def deliveries(self, actor: Actor, institute_id: str, limit: int) -> list[dict[str, Any]]:
        """The delivery log of an institute's webhooks, newest first (its admins)."""
        self.check(actor, policy.institute_admin(actor, institute_id), "webhook.log", institute_id)
        with transaction(self.reads) as session:
            rows = session.scalars(
                select(WebhookDelivery)
                .join(Webhook, WebhookDelivery.webhook_id == Webhook.id)
                .where(Webhook.institute_id == institute_id)
                .order_by(WebhookDelivery.id.desc())
                .limit(limit)
            )
            return [as_dict(d, *_DELIVERY_FIELDS) for d in rows]

    def deliver_due(self, now: datetime | None = None, timeout: float = 5.0) -> int:
        """POST every due notification once; returns how many were delivered.

        Failures are rescheduled with exponential backoff (10 s doubling, at most an hour
        apart) and given up after MAX_ATTEMPTS. Delivery is at least once: receivers should
        ignore an `X-Accord-Delivery` id they have seen.
        """
        now = now or self.clock()
        self._embargoes_passed(now)
        with transaction(self.reads) as session:
            due = session.execute(
                select(WebhookDelivery, Webhook)
                .join(Webhook, WebhookDelivery.webhook_id == Webhook.id)
                .where(
                    WebhookDelivery.delivered_at.is_(None),
                    WebhookDelivery.given_up_at.is_(None),
                    WebhookDelivery.next_attempt_at <= now,
                    Webhook.disabled_at.is_(None),
                )
                .order_by(WebhookDelivery.id)
                .limit(100)
            ).all()
        if not due:  # most rounds: no client (its TLS context costs milliseconds to make)
            return 0
        delivered = 0
        with httpx.Client(timeout=timeout, follow_redirects=False) as http:
            for delivery, hook in due:
                status, error = _post(http, delivery, hook, now)
                delivered += error is None
                self._record(delivery.id, status, error, now)
        return delivered

    # internals ---------------------------------------------------------------------------

    def _record(
        self, delivery_id: int, status: int | None, error: str | None, now: datetime
    ) -> None:
        with transaction(self.sessions) as session:
            row = session.get(WebhookDelivery, delivery_id)
            if row is None:
                return
            row.attempts += 1
            row.last_status, row.last_error = status, error
            if error is None:
                row.delivered_at = now
            elif row.attempts >= MAX_ATTEMPTS:
                row.given_up_at = now
            else:
                row.next_attempt_at = now + min(BASE_DELAY * 2 ** (row.attempts - 1), MAX_DELAY)

    def _enqueue(self, session: Session) -> None:
        entries: list[LedgerEntry] = session.info.pop(_PENDING, [])
        for entry in entries:
            exercise_id, events = _events_of(entry)
            if exercise_id is not None:
                payload = {"ledger_seq": entry.seq, "ledger_hash": entry.hash, **entry.payload}
                _add(session, exercise_id, events, entry.subject, payload, entry.at)

    def _embargoes_passed(self, now: datetime) -> None:
        with transaction(self.sessions) as session:
            for exercise in session.scalars(
                select(Exercise).where(Exercise.embargo_until.is_not(None))
            ):
                assert exercise.embargo_until is not None
                if exercise.embargo_until <= now:
                    payload = {"embargo_until": exercise.embargo_until.isoformat()}
                    _add(
                        session,
                        exercise.id,
                        ["embargo.passed"],
                        exercise.id,
                        payload,
                        now,
                        once=True,
                    )


def _collect(session: Session, _: Any) -> None:
    entries = [o for o in session.new if isinstance(o, LedgerEntry)]
    if entries:
        session.info.setdefault(_PENDING, []).extend(entries)


def _events_of(entry: LedgerEntry) -> tuple[str | None, list[str]]:
    if entry.kind == "submission.accepted":
        deviations = int(entry.payload.get("deviations") or 0)
        events = ["submission.accepted", *(["deviation.found"] if deviations else [])]
        return str(entry.payload.get("exercise")), events
    if entry.kind in (
        "submission.rejected",
        "exercise.opened",
        "exercise.closed",
        "exercise.published",
    ):
        return entry.subject, [entry.kind]
    return None, []


def _add(
    session: Session,
    exercise_id: str,
    events: list[str],
    subject: str,
    payload: dict[str, Any],
    at: datetime,
    *,
    once: bool = False,
) -> None:
    partners = select(ExercisePartner.institute_id).where(
        ExercisePartner.exercise_id == exercise_id
    )
    hooks = session.scalars(
        select(Webhook).where(
            Webhook.institute_id.in_(partners),
            Webhook.disabled_at.is_(None),
            (Webhook.exercise_id.is_(None)) | (Webhook.exercise_id == exercise_id),
        )
    ).all()
    for hook in hooks:
        for name in events:
            if name not in hook.events:
                continue
            if (
                once
                and session.scalars(
                    select(WebhookDelivery.id).where(
                        WebhookDelivery.webhook_id == hook.id,
                        WebhookDelivery.event == name,
                        WebhookDelivery.subject == subject,
                    )
                ).first()
            ):
                continue
            session.add(
                WebhookDelivery(
                    webhook_id=hook.id,
                    event=name,
                    subject=subject,
                    payload={"exercise": exercise_id, **payload},
                    created_at=at,
                    attempts=0,
                    next_attempt_at=at,
                )
            )


def _post(
    http: httpx.Client, delivery: WebhookDelivery, hook: Webhook, now: datetime
) -> tuple[int | None, str | None]:
    body = canonical_json(
        {
            "id": delivery.id,
            "event": delivery.event,
            "subject": delivery.subject,
            "at": delivery.created_at.isoformat(),
            "payload": delivery.payload,
        }
    )
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "X-Accord-Event": delivery.event,
        "X-Accord-Delivery": str(delivery.id),
        "X-Accord-Timestamp": timestamp,
        "X-Accord-Signature": webhook_signature(hook.secret, timestamp, body),
    }
    try:
        response = http.post(hook.url, content=body, headers=headers)
    except httpx.HTTPError as ex:
        return None, f"{type(ex).__name__}: {ex}"[:500]
    if response.is_success:
        return response.status_code, None
    return response.status_code, f"the receiver answered {response.status_code}"


def _hook(hook: Webhook) -> dict[str, Any]:
    return as_dict(
        hook, "id", "institute_id", "exercise_id", "url", "events", "created_at", "disabled_at"
    )


class WebhookDispatcher:
    """Delivers due notifications from a background thread every `interval` seconds."""

    def __init__(self, deliver: Callable[[], int], interval: float = 5.0) -> None:
        self.deliver = deliver
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="accord-webhooks", daemon=True)

    def start(self) -> "WebhookDispatcher":
        """Start delivering."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the current round."""
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver()
            except (SQLAlchemyError, AccordError) as ex:  # the outbox keeps it: retry later
                _log.warning("webhook delivery round failed: %s", ex)
            self._stop.wait(self.interval)
