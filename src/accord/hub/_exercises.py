"""Exercises and submissions."""

from datetime import UTC, datetime, time
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..protocol import protocol_id
from ..run import file_digest
from ..store import (
    Exercise,
    ExercisePartner,
    Institute,
    Member,
    Submission,
    append,
    transaction,
)
from . import _policy as policy
from ._agreement import check_transition, read_agreement
from ._auth import Actor
from ._base import HubBase
from ._errors import BadRequest, Conflict, NotFound, Rejected, Unauthenticated
from ._ingest import bundle_partner, store_submission, verify_submission

# Built once (building a statement costs about as much CPU as running it). The creator's
# institute (the exercise's owner, for `_view`) joins in, and for one exercise its partners
# too (a row per partner): one round trip.
_OWNER = Member.institute_id.label("owner")
_WITH_OWNERS = select(Exercise, _OWNER).outerjoin(Member, Member.id == Exercise.created_by)
_WITH_OWNER_AND_PARTNERS = (
    select(Exercise, _OWNER, ExercisePartner.institute_id.label("partner"))
    .outerjoin(Member, Member.id == Exercise.created_by)
    .outerjoin(ExercisePartner, ExercisePartner.exercise_id == Exercise.id)
    .where(Exercise.id == bindparam("exercise_id"))
)


class ExerciseOps(HubBase):
    """Operations on exercises and their submissions."""

    # exercises ---------------------------------------------------------------------------

    def create_exercise(self, actor: Actor, protocol_yaml: str) -> Exercise:
        """Create an exercise (draft) from a protocol document (parsed only for admins)."""
        self.check(actor, policy.create_exercise(actor, None), "exercise.create", "exercises")
        protocol = self._parse(protocol_yaml)
        partners = frozenset(p.id for p in protocol.partners)
        self.check(actor, policy.create_exercise(actor, partners), "exercise.create", protocol.name)
        pid = protocol_id(protocol)
        with transaction(self.sessions) as session:
            missing = sorted(p for p in partners if session.get(Institute, p) is None)
            if missing:
                raise BadRequest(
                    f"partners {', '.join(missing)} are not registered institutes; add them first"
                )
            if session.get(Exercise, protocol.name):
                raise Conflict(f"an exercise named '{protocol.name}' exists")
            embargo = (
                datetime.combine(protocol.embargo_until, time(), UTC)
                if protocol.embargo_until
                else None
            )
            owner = actor.member_id or ""
            exercise = Exercise(
                id=protocol.name,
                name=protocol.name,
                protocol_id=pid,
                protocol_yaml=protocol_yaml,
                state="draft",
                embargo_until=embargo,
                created_by=owner,
                created_at=self.clock(),
            )
            session.add(exercise)
            session.add_all(
                ExercisePartner(exercise_id=exercise.id, institute_id=p) for p in sorted(partners)
            )
            append(
                session,
                "exercise.created",
                exercise.id,
                actor.member_id,
                {"protocol_id": pid},
                self.clock(),
            )
            return exercise

    def exercises(self, actor: Actor) -> list[Exercise]:
        """The exercises the actor may see."""
        with self.reading() as session:
            found = session.execute(_WITH_OWNERS.order_by(Exercise.created_at)).all()
            partners: dict[str, set[str]] = {}
            for exercise_id, institute_id in session.connection().execute(
                select(ExercisePartner.exercise_id, ExercisePartner.institute_id)
            ):
                partners.setdefault(exercise_id, set()).add(institute_id)
            return [
                exercise
                for exercise, owner in found
                if policy.see_exercise(
                    actor,
                    self._view(session, exercise, frozenset(partners.get(exercise.id, ())), owner),
                ).allowed
            ]

    def exercise(self, actor: Actor, exercise_id: str) -> tuple[Exercise, policy.ExerciseView]:
        """One exercise, if the actor may see it."""
        with self.reading() as session:
            rows = session.execute(_WITH_OWNER_AND_PARTNERS, {"exercise_id": exercise_id}).all()
            if not rows:
                raise NotFound(f"no exercise '{exercise_id}'")
            exercise, owner = rows[0][0], rows[0].owner
            partners = frozenset(row.partner for row in rows if row.partner is not None)
            view = self._view(session, exercise, partners, owner)
        self.hide(actor, view)
        return exercise, view

    def transition(self, actor: Actor, exercise_id: str, target: str) -> Exercise:
        """Move an exercise draft -> open -> closed -> published."""
        with transaction(self.reads) as session:
            exercise = self._exercise(session, exercise_id)
            view = self._view(session, exercise)
        self.check(actor, policy.manage_exercise(actor, view), f"exercise.{target}", exercise_id)
        order = {"open": "draft", "closed": "open", "published": "closed"}
        with transaction(self.sessions) as session:
            exercise = self._exercise(session, exercise_id)
            if exercise.state != order[target]:
                raise Conflict(
                    f"exercise '{exercise_id}' is {exercise.state}; "
                    f"only a {order[target]} exercise can become {target}"
                )
            now = self.clock()
            if target == "published" and exercise.embargo_until and now < exercise.embargo_until:
                raise Conflict(
                    f"exercise '{exercise_id}' is under embargo until "
                    f"{exercise.embargo_until.date().isoformat()}"
                )
            quorum = self._parse(exercise.protocol_yaml).governance.quorum
            check_transition(read_agreement(session, exercise, quorum), exercise_id, target)
            exercise.state = target
            if target == "published":
                exercise.published_at = now
            append(
                session,
                f"exercise.{'opened' if target == 'open' else target}",
                exercise_id,
                actor.member_id,
                {},
                now,
            )
            return exercise

    # submissions -------------------------------------------------------------------------

    def submit(
        self, actor: Actor, exercise_id: str, bundle: Path
    ) -> tuple[Submission, bool, list[str]]:
        """Verify and ingest a bundle; returns (submission, newly stored, deviations).

        The same bundle again returns the stored submission. A bundle that fails any check is
        rejected with the reason, leaves no rows behind, and the rejection goes to the ledger.
        """
        outcome = self._submit(actor, exercise_id, bundle)
        if outcome[1]:
            self.refresh_statistics()
        return outcome

    def authorize_upload(self, actor: Actor, exercise_id: str) -> None:
        """Refuse, before any of the body is read, a caller who may not submit here at all.

        Which partner the bundle is for is checked again once it has arrived.
        """
        self._gate(actor, exercise_id, None)

    def _gate(self, actor: Actor, exercise_id: str, partner: str | None) -> Exercise:
        if actor.anonymous:
            self.audit(actor, "submission.create", exercise_id, "deny", "no token")
            raise Unauthenticated("submitting needs a bearer token: send `Authorization: Bearer`")
        with transaction(self.reads) as session:
            exercise = self._exercise(session, exercise_id)
            view = self._view(session, exercise)
        self.hide(actor, view)
        self.check(actor, policy.submit(actor, view, partner), "submission.create", exercise_id)
        if exercise.state != "open":
            raise Conflict(
                f"exercise '{exercise_id}' is {exercise.state}; submissions need an open exercise"
            )
        return exercise

    def _submit(
        self, actor: Actor, exercise_id: str, bundle: Path
    ) -> tuple[Submission, bool, list[str]]:
        exercise = self._gate(actor, exercise_id, bundle_partner(bundle, self.limits))
        digest = file_digest(bundle)
        protocol = self._parse(exercise.protocol_yaml)
        try:
            with transaction(self.sessions) as session:
                existing = self._existing(session, exercise_id, digest)
                if existing is not None:
                    return existing, False, []
                document = verify_submission(session, exercise, protocol, bundle, self.clock())
                submission, deviations, superseded = store_submission(
                    session,
                    exercise,
                    protocol,
                    document,
                    digest,
                    bundle,
                    actor.member_id or "",
                    self.clock(),
                )
                self.blobs.put(bundle)
                append(
                    session,
                    "submission.accepted",
                    submission.id,
                    actor.member_id,
                    {
                        "exercise": exercise_id,
                        "partner": document.partner,
                        "bundle_sha256": digest,
                        "deviations": len(deviations),
                        "supersedes": superseded,
                    },
                    self.clock(),
                )
                return submission, True, [d.detail for d in deviations]
        except IntegrityError:
            with transaction(
                self.sessions
            ) as session:  # a concurrent upload of the same bundle won
                existing = self._existing(session, exercise_id, digest)
            if existing is None:
                raise
            return existing, False, []
        except Rejected as ex:
            with transaction(self.sessions) as session:
                append(
                    session,
                    "submission.rejected",
                    exercise_id,
                    actor.member_id,
                    {"bundle_sha256": digest, "reason": str(ex)},
                    self.clock(),
                )
            self.audit(actor, "submission.create", exercise_id, "reject", str(ex))
            raise

    @staticmethod
    def _existing(session: Session, exercise_id: str, digest: str) -> Submission | None:
        return session.scalars(
            select(Submission).where(
                Submission.exercise_id == exercise_id, Submission.bundle_sha256 == digest
            )
        ).first()
