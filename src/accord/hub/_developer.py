"""Developer review on the hub: a developer's response to its models' results, on the ledger."""

import hashlib
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..store import LedgerEntry, append, transaction
from . import _policy as policy
from ._auth import Actor
from ._errors import BadRequest
from ._exercises import ExerciseOps

RESPONSE = "developer.response"
MAX_RESPONSE = 20_000


class DeveloperOps(ExerciseOps):
    """Developers' responses: attached during review, printed verbatim in the report."""

    def respond(self, actor: Actor, exercise_id: str, text: str) -> dict[str, Any]:
        """Record a developer's response to its models' results (a ledger entry).

        Raises:
            Forbidden: Outside a review the actor takes part in (see `policy.developer_review`).
            BadRequest: For an empty or overlong response.
        """
        _, view = self.exercise(actor, exercise_id)
        self.check(actor, policy.developer_respond(actor, view), "developer.respond", exercise_id)
        if not text.strip():
            raise BadRequest("the response is empty; write what the report should print")
        if len(text) > MAX_RESPONSE:
            raise BadRequest(f"the response has {len(text)} characters; at most {MAX_RESPONSE}")
        institute = actor.institute_id or ""
        self.incoming.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.incoming) as temp:
            staged = Path(temp) / "response.txt"
            staged.write_text(text, encoding="utf-8", newline="")
            blob = self.blobs.put(staged)
        # The ledger (readable by every signed-in member) holds the digest, not the text: a
        # response may quote the developer's own results, which stay private until published.
        payload = {
            "institute": institute,
            "models": sorted(view.developers.get(institute, ())),
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "blob": blob,
            "characters": len(text),
        }
        with transaction(self.sessions) as session:
            entry = append(session, RESPONSE, exercise_id, actor.member_id, payload, self.clock())
            seq, at = entry.seq, entry.at.isoformat()
        return {"ledger_seq": seq, "at": at, "member": actor.member_id, **payload, "text": text}

    def responses(self, actor: Actor, exercise_id: str) -> list[dict[str, Any]]:
        """Developers' responses the actor may read.

        Partners and, once published, everyone read all; a developer under review reads
        its own organisation's only.
        """
        _, view = self.exercise(actor, exercise_id)
        scope = policy.results_scope(actor, view)
        with transaction(self.reads) as session:
            rows = session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.subject == exercise_id, LedgerEntry.kind == RESPONSE)
                .order_by(LedgerEntry.seq)
            )
            out = [
                {"ledger_seq": r.seq, "at": r.at.isoformat(), "member": r.actor, **r.payload}
                for r in rows
            ]
        for row in out:
            row["text"] = self._response_text(row)
        if scope.models is not None:
            out = [r for r in out if r["institute"] == actor.institute_id]
        return out

    def _response_text(self, row: dict[str, Any]) -> str:
        path = self.blobs.path(str(row.get("blob", "")))
        if not row.get("blob") or not path.is_file():
            return (
                f"[the text of this response (SHA-256 {row['sha256']}) is missing from the hub's "
                "blob store; the operator must restore the data directory]"
            )
        return path.read_bytes().decode("utf-8")
