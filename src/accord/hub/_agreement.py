"""Where partners stand on an exercise, read from its ledger entries.

The ledger is the record: each sign-off, approval, objection and withdrawal is an entry
holding the partner's signed act, so the state below is derived, never stored beside it.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..identity import ActKind, PartnerAct
from ..store import Exercise, ExercisePartner, LedgerEntry
from ._errors import Conflict

LEDGER_KINDS: dict[ActKind, str] = {
    "sign-off": "protocol.signed",
    "approve": "publication.approved",
    "object": "publication.objected",
    "withdraw": "publication.withdrawn",
}

AMENDED = "protocol.amended"
OPENED = "exercise.opened"


@dataclass(frozen=True)
class RecordedAct:
    """A partner act as the ledger holds it."""

    seq: int
    act: PartnerAct


@dataclass
class Agreement:
    """The partners' sign-offs of the exercise's protocol and their stance on publication."""

    protocol_id: str
    partners: list[str]
    quorum: int
    signatures: dict[str, RecordedAct] = field(default_factory=dict)
    stances: dict[str, RecordedAct] = field(default_factory=dict)
    history: list[RecordedAct] = field(default_factory=list)
    amendments: list[dict[str, Any]] = field(default_factory=list)
    late: set[str] = field(default_factory=set)  # partners who signed after it opened

    @property
    def approvals(self) -> list[str]:
        """Partners whose latest publication act is an approval."""
        return sorted(p for p, r in self.stances.items() if r.act.act == "approve")

    @property
    def objections(self) -> dict[str, str]:
        """Partners whose latest publication act is an objection, with its reason."""
        return {p: r.act.reason or "" for p, r in self.stances.items() if r.act.act == "object"}

    def missing_signatures(self) -> list[str]:
        """Partners who have not signed this protocol."""
        return [p for p in self.partners if p not in self.signatures]

    def open_blocker(self) -> str | None:
        """Why the exercise cannot open yet (None when it can)."""
        if len(self.signatures) >= self.quorum:
            return None
        return (
            f"{len(self.signatures)} of the {self.quorum} partner sign-offs it needs "
            f"(missing: {', '.join(self.missing_signatures())}); each partner signs with "
            "`accord exercise sign`"
        )

    def publish_blocker(self) -> str | None:
        """Why the exercise cannot be published yet (None when it can)."""
        if self.objections:
            listed = "; ".join(f"{p}: {r}" for p, r in sorted(self.objections.items()))
            return f"objected to by {listed}; the objection stands until withdrawn"
        if len(self.approvals) < self.quorum:
            missing = [p for p in self.partners if p not in self.approvals]
            return (
                f"{len(self.approvals)} of the {self.quorum} partner approvals it needs "
                f"(missing: {', '.join(missing)}); each partner approves with "
                "`accord exercise approve`"
            )
        return None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: who signed and who approved or objected, with the signed acts."""
        return {
            "protocol_id": self.protocol_id,
            "partners": self.partners,
            "quorum": self.quorum,
            "signatures": [self._row(r) for r in self.signatures.values()],
            "missing_signatures": self.missing_signatures(),
            "publication": [self._row(r) for r in self.stances.values()],
            "approvals": self.approvals,
            "objections": self.objections,
            "can_open": self.open_blocker() is None,
            "can_publish": self.publish_blocker() is None,
            "history": [self._row(r) for r in self.history],
            "amendments": self.amendments,
            "late_signatures": sorted(self.late),
        }

    @staticmethod
    def _row(recorded: RecordedAct) -> dict[str, Any]:
        return {"ledger_seq": recorded.seq, **recorded.act.model_dump(mode="json")}


def read_agreement(session: Session, exercise: Exercise, quorum: int | None) -> Agreement:
    """The agreement on `exercise` from its ledger entries, in ledger order.

    `quorum` is the protocol's `governance.quorum` (None: every partner). Only acts over
    the exercise's current protocol id count. A partner's latest publication
    act is its stance: an approval after its own objection withdraws it.
    """
    partners = list(
        session.scalars(
            select(ExercisePartner.institute_id).where(ExercisePartner.exercise_id == exercise.id)
        )
    )
    state = Agreement(exercise.protocol_id, sorted(partners), quorum or len(partners))
    kinds = [*LEDGER_KINDS.values(), AMENDED, OPENED]
    opened = False  # opened under the current protocol (an amendment returns it to draft)
    rows = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.subject == exercise.id, LedgerEntry.kind.in_(kinds))
        .order_by(LedgerEntry.seq)
    )
    for row in rows:
        if row.kind == AMENDED:
            state.amendments.append(
                {"ledger_seq": row.seq, "at": row.at.isoformat(), **row.payload}
            )
            opened = False
            continue
        if row.kind == OPENED:
            opened = True
            continue
        act = PartnerAct.model_validate(row.payload["act"])
        if act.protocol_id != exercise.protocol_id:
            continue
        recorded = RecordedAct(row.seq, act)
        state.history.append(recorded)
        target = state.signatures if act.act == "sign-off" else state.stances
        if act.act != "sign-off" or act.partner not in target:
            target[act.partner] = recorded
            if act.act == "sign-off" and opened:
                state.late.add(act.partner)
    return state


def check_transition(agreement: Agreement, exercise_id: str, target: str) -> None:
    """Refuse opening without the sign-offs, and publishing without the approvals.

    Raises:
        Conflict: Naming what is missing.
    """
    blocker = {"open": agreement.open_blocker, "published": agreement.publish_blocker}.get(target)
    reason = blocker() if blocker else None
    if reason:
        verb = "open" if target == "open" else "be published"
        raise Conflict(f"exercise '{exercise_id}' cannot {verb}: {reason}")
