"""Agreement on the hub: partners' signed sign-offs and publication approvals or objections."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..identity import PartnerAct, act_problem
from ..protocol import protocol_diff, protocol_id, short_id
from ..store import Exercise, LedgerEntry, Run, Submission, append, transaction
from . import _policy as policy
from ._agreement import LEDGER_KINDS, Agreement, read_agreement
from ._auth import Actor
from ._errors import BadRequest, Conflict, Rejected
from ._exercises import ExerciseOps
from ._ingest import CLOCK_SKEW, keyring_from_store

# The exercise states in which each act may be recorded.
_STATES = {
    "sign-off": ("draft", "open", "closed"),  # after a quorum opened it: a late partner
    "approve": ("closed",),
    "object": ("open", "closed"),
    "withdraw": ("open", "closed"),
}


class GovernanceOps(ExerciseOps):
    """Recording partner acts, each a ledger entry, and reading where partners stand."""

    def record_act(self, actor: Actor, exercise_id: str, act: PartnerAct) -> dict[str, Any]:
        """Verify a partner's signed act and append it to the ledger; the agreement after it.

        Raises:
            Forbidden: When the actor may not record acts of that partner.
            Rejected: When the act is over another protocol, by an unknown, revoked or
                expired key, or its signature does not verify; nothing is stored.
            Conflict: When the exercise's state does not take this act, or it is a repeat.
        """
        action = f"exercise.{act.act}"
        with transaction(self.reads) as session:
            view = self._view(session, self._exercise(session, exercise_id))
        self.hide(actor, view)
        self.check(actor, policy.partner_act(actor, view, act.partner), action, exercise_id)
        with transaction(self.reads) as session:
            problem = self._act_problem(session, self._exercise(session, exercise_id), act)
        if problem:
            self.audit(actor, action, exercise_id, "reject", problem)
            raise Rejected(f"{act.act} by '{act.partner}' refused: {problem}")
        with transaction(self.sessions) as session:
            exercise = self._exercise(session, exercise_id)
            self._check_state(session, exercise, act)
            append(
                session,
                LEDGER_KINDS[act.act],
                exercise_id,
                actor.member_id,
                {"act": act.model_dump(mode="json")},
                self.clock(),
            )
            return self._agreement(session, exercise).as_dict()

    def amend(self, actor: Actor, exercise_id: str, protocol_yaml: str) -> dict[str, Any]:
        """Replace a draft or open exercise's protocol by a new version, linked on the ledger.

        The exercise goes back to draft: partners sign the new version before it reopens.
        Current runs that the change makes incomparable (a changed or removed task or model,
        changed generate settings) are kept but set aside, so the analysis never pools them
        with runs of the new version. A change to the analysis plan or thresholds after any
        submission is recorded as post hoc.

        Raises:
            BadRequest: When the new version renames the exercise or changes its partners.
            Conflict: When the exercise is closed or published, or the protocol is unchanged.
        """
        with transaction(self.reads) as session:
            view = self._view(session, self._exercise(session, exercise_id))
        self.hide(actor, view)
        self.check(actor, policy.manage_exercise(actor, view), "exercise.amend", exercise_id)
        new = self._parse(protocol_yaml)
        if new.name != exercise_id:
            raise BadRequest(f"the amendment is named '{new.name}'; keep the name '{exercise_id}'")
        if {p.id for p in new.partners} != set(view.partners):
            raise BadRequest(
                "an amendment keeps the partners "
                f"({', '.join(sorted(view.partners))}); create a new exercise for others"
            )
        new_id = protocol_id(new)
        with transaction(self.sessions) as session:
            exercise = self._exercise(session, exercise_id)
            if exercise.state not in ("draft", "open"):
                raise Conflict(f"exercise '{exercise_id}' is {exercise.state}; amend it while open")
            if new_id == exercise.protocol_id:
                raise Conflict(f"the protocol is unchanged ({new_id}); nothing to amend")
            diff = protocol_diff(self._parse(exercise.protocol_yaml), new)
            submitted = session.scalars(
                select(Submission.id).where(Submission.exercise_id == exercise_id).limit(1)
            ).first()
            marker = f"amendment:{short_id(new_id)}"
            set_aside = 0
            for run in session.scalars(
                select(Run).where(Run.exercise_id == exercise_id, Run.superseded_by.is_(None))
            ):
                if diff.affects(run.task_id, run.model_id):
                    run.superseded_by, run.superseded_at = marker, self.clock()
                    set_aside += 1
            payload = {
                "previous": exercise.protocol_id,
                "protocol_id": new_id,
                **diff.as_dict(),
                "post_hoc": bool(submitted) and diff.analysis_changed,
                "runs_set_aside": set_aside,
            }
            exercise.protocol_id, exercise.protocol_yaml = new_id, protocol_yaml
            exercise.state = "draft"
            append(session, "protocol.amended", exercise_id, actor.member_id, payload, self.clock())
        for key in [k for k in self.analysis_cache if k[0] == exercise_id]:
            del self.analysis_cache[key]
        return payload

    def agreement(self, actor: Actor, exercise_id: str) -> dict[str, Any]:
        """Who signed the exercise's protocol, and who approved or objected to publication."""
        exercise, _ = self.exercise(actor, exercise_id)
        with transaction(self.reads) as session:
            return self._agreement(session, exercise).as_dict()

    def _agreement(self, session: Session, exercise: Exercise) -> Agreement:
        quorum = self._parse(exercise.protocol_yaml).governance.quorum
        return read_agreement(session, exercise, quorum)

    @property
    def hub_id(self) -> str:
        """The hub's identity, fixed at setup: the id of its ledger signing key.

        Acts name it, so an act signed for one hub cannot be replayed on another.
        """
        return self.signer.record.key_id

    def _act_problem(self, session: Session, exercise: Exercise, act: PartnerAct) -> str | None:
        if act.hub is not None and act.hub != self.hub_id:
            return (
                f"it was signed for hub {act.hub}, not this hub ({self.hub_id}); "
                "sign it again for this hub (e.g. `accord exercise approve EXERCISE --hub URL`)"
            )
        entry = keyring_from_store(session).entry(act.key_id)
        problem = act_problem(act, entry.key if entry else None, exercise.protocol_id)
        if problem or entry is None:
            return problem
        now = self.clock()
        if act.signed_at > now + CLOCK_SKEW:
            return f"it is dated {act.signed_at.isoformat()}, in the future; check the clock"
        return entry.trusted_at(act.signed_at) or entry.trusted_at(now)

    @staticmethod
    def _check_state(session: Session, exercise: Exercise, act: PartnerAct) -> None:
        if exercise.state not in _STATES[act.act]:
            allowed = " or ".join(_STATES[act.act])
            raise Conflict(
                f"exercise '{exercise.id}' is {exercise.state}; a {act.act} is taken only "
                f"while it is {allowed}"
            )
        recorded = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.subject == exercise.id, LedgerEntry.kind == LEDGER_KINDS[act.act]
            )
        )
        for row in recorded:
            earlier = PartnerAct.model_validate(row.payload["act"])
            if earlier.signature == act.signature:  # a replay, e.g. of a withdrawn approval
                raise Conflict(f"this {act.act} is already on the ledger (entry {row.seq})")
            same = (earlier.partner, earlier.protocol_id) == (act.partner, act.protocol_id)
            if act.act == "sign-off" and same:
                raise Conflict(
                    f"'{act.partner}' already signed protocol {act.protocol_id} "
                    f"(ledger entry {row.seq})"
                )
