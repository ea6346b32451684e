"""Agreement on the hub: partners' signed sign-offs and publication approvals or objections."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..identity import PartnerAct, act_problem
from ..store import Exercise, LedgerEntry, append, transaction
from . import _policy as policy
from ._agreement import LEDGER_KINDS, Agreement, read_agreement
from ._auth import Actor
from ._errors import Conflict, Rejected
from ._exercises import ExerciseOps
from ._ingest import CLOCK_SKEW, keyring_from_store

# The exercise states in which each act may be recorded.
_STATES = {
    "sign-off": ("draft",),
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

    def agreement(self, actor: Actor, exercise_id: str) -> dict[str, Any]:
        """Who signed the exercise's protocol, and who approved or objected to publication."""
        exercise, _ = self.exercise(actor, exercise_id)
        with transaction(self.reads) as session:
            return self._agreement(session, exercise).as_dict()

    def _agreement(self, session: Session, exercise: Exercise) -> Agreement:
        quorum = self._parse(exercise.protocol_yaml).governance.quorum
        return read_agreement(session, exercise, quorum)

    def _act_problem(self, session: Session, exercise: Exercise, act: PartnerAct) -> str | None:
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
