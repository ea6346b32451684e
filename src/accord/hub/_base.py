"""What every hub operation shares: the store, the clock, the policy check and the audit log."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from .._util import InputError
from ..bundle import BundleLimits
from ..protocol import Protocol, parse_protocol
from ..store import (
    AuditEvent,
    BlobStore,
    Exercise,
    ExercisePartner,
    Institute,
    Member,
    session_factory,
    transaction,
)
from . import _policy as policy
from ._auth import Actor, resolve_actor
from ._bookmarks import PageBookmarks
from ._challenge import hub_secret
from ._checkpoint import LedgerSigner
from ._errors import BadRequest, Forbidden, NotFound
from ._review import with_review
from ._upload import remove_stale_uploads

Clock = Callable[[], datetime]

_PARTNERS = select(ExercisePartner.institute_id).where(
    ExercisePartner.exercise_id == bindparam("exercise_id")
)


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


class HubBase:
    """The store, blobs and clock, with the policy check and helpers the operations share."""

    def __init__(self, engine: Engine, data_dir: Path, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = session_factory(engine)
        self.reads: sessionmaker[Session] = session_factory(engine, write=False)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.blobs = BlobStore(data_dir / "blobs")
        self.incoming = data_dir / "incoming"
        self.secret = hub_secret(data_dir)
        self.limits = BundleLimits()
        remove_stale_uploads(self.incoming)
        self.signer = LedgerSigner(data_dir, clock())
        event.listen(self.sessions, "after_commit", self.signer.after_commit)
        self.clock = clock
        # keyed as `_cache` says: (exercise, ledger seq, protocol) and, for results, also the
        # exercise's state and the reader's policy view
        self.analysis_cache: dict[tuple[str, int, str], dict[str, Any]] = {}
        self.results_cache: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.page_bookmarks = PageBookmarks()
        self._request_reads: ContextVar[Session | None] = ContextVar(
            f"accord_hub_reads_{id(self)}", default=None
        )

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session: the request's, if `reading` is already open in this context.

        A read-only request opens one around all its work, so resolving the caller, loading
        the exercise and answering share one connection and transaction: on PostgreSQL that
        saves a pool check-out, BEGIN and COMMIT per part. Requests that write must
        not open one (a SQLite reader keeps the snapshot it started with).
        """
        current = self._request_reads.get()
        if current is not None:
            yield current
            return
        with transaction(self.reads) as session:
            token = self._request_reads.set(session)
            try:
                yield session
            finally:
                self._request_reads.reset(token)

    # identity ----------------------------------------------------------------------------

    def actor(self, authorization: str | None) -> Actor:
        """Resolve a bearer token to an actor."""
        with self.reading() as session:
            return resolve_actor(session, authorization, self.clock())

    def check(self, actor: Actor, decision: policy.Decision, action: str, target: str) -> None:
        """Raise Forbidden for a denial, after writing it to the audit log."""
        if decision.allowed:
            return
        self.audit(actor, action, target, "deny", decision.reason)
        raise Forbidden(f"{action} on {target}: {decision.reason}")

    def hide(self, actor: Actor, view: policy.ExerciseView) -> None:
        """Answer an exercise the actor may not see as missing (404), so ids do not leak."""
        decision = policy.see_exercise(actor, view)
        if not decision.allowed:
            self.audit(actor, "exercise.read", view.id, "deny", decision.reason)
            raise NotFound(f"no exercise '{view.id}'")

    def refresh_statistics(self) -> None:
        """Let PostgreSQL's planner see new score rows now (no-op on SQLite).

        Without fresh statistics it waits for autovacuum and may sort a whole exercise to
        serve one page.
        """
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as connection:
                connection.execute(text("ANALYZE sample_scores"))
                connection.execute(text("ANALYZE runs"))

    def audit(self, actor: Actor, action: str, target: str, outcome: str, detail: str) -> None:
        """Record an audit event in its own transaction."""
        with transaction(self.sessions) as session:
            session.add(
                AuditEvent(
                    at=self.clock(),
                    actor=actor.member_id,
                    institute_id=actor.institute_id,
                    action=action[:80],
                    target=target[:200],  # ids from a URL path are not bounded by then
                    outcome=outcome,
                    detail=detail,
                )
            )

    # helpers -----------------------------------------------------------------------------

    def _parse(self, protocol_yaml: str) -> Protocol:
        try:
            return parse_protocol(protocol_yaml, "the protocol", Path("."), resolve_tasks=False)
        except InputError as ex:  # a ProtocolError, or YAML refused by its limits
            raise BadRequest(str(ex)) from None

    @staticmethod
    def _institute(session: Session, institute_id: str) -> Institute:
        return _get(session, Institute, institute_id, "institute")

    @staticmethod
    def _member(session: Session, member_id: str) -> Member:
        return _get(session, Member, member_id, "member")

    @staticmethod
    def _exercise(session: Session, exercise_id: str) -> Exercise:
        return _get(session, Exercise, exercise_id, "exercise")

    def _view(
        self,
        session: Session,
        exercise: Exercise,
        partners: frozenset[str] | None = None,
        owner: str | None = None,
    ) -> policy.ExerciseView:
        # `partners` and the creator's institute (`owner`) are read here unless given.
        if partners is None:
            partners = frozenset(session.scalars(_PARTNERS, {"exercise_id": exercise.id}))
        if owner is None:
            creator = session.get(Member, exercise.created_by)
            owner = creator.institute_id if creator else ""
        view = policy.ExerciseView(exercise.id, owner, partners, exercise.state == "published")
        return with_review(session, exercise, view, self.clock())


_Row = TypeVar("_Row", Institute, Member, Exercise)


def _get(session: Session, model: type[_Row], key: str, what: str) -> _Row:
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"no {what} '{key}'")
    return row


def as_dict(row: Any, *fields: str) -> dict[str, Any]:
    """Selected attributes of a row, JSON-ready."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(row, name)
        out[name] = value.isoformat() if isinstance(value, datetime | date) else value
    return out
