"""Read-side operations: results (aggregate and per sample), the ledger and the audit log."""

from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from ..analysis import ScoreTable, analyze
from ..protocol import Protocol
from ..run import RunManifest
from ..store import (
    AuditEvent,
    Deviation,
    Institute,
    LedgerEntry,
    Member,
    Run,
    SampleScore,
    Submission,
    head_hash,
    transaction,
    verify_ledger,
)
from . import _policy as policy
from ._auth import Actor
from ._base import as_dict
from ._errors import BadRequest
from ._exercises import ExerciseOps
from ._snapshots import run_provenance
from ._status import status_matrix

MAX_PAGE = 10_000


class QueryOps(ExerciseOps):
    """Results, ledger and audit queries."""

    def results(self, actor: Actor, exercise_id: str) -> dict[str, Any]:
        """An exercise's runs, deviations, aggregate analysis and the ledger head."""
        exercise, view = self.exercise(actor, exercise_id)
        insider = policy.see_samples(actor, view).allowed
        with transaction(self.reads) as session:
            runs = list(
                session.scalars(
                    select(Run)
                    .where(Run.exercise_id == exercise_id, Run.superseded_by.is_(None))
                    .order_by(Run.institute_id, Run.task_id, Run.model_id)  # same on any backend
                )
            )
            submissions = list(
                session.scalars(
                    select(Submission)
                    .where(Submission.exercise_id == exercise_id)
                    .order_by(Submission.submitted_at)  # the newest manifest per partner wins
                )
            )
            deviations = list(
                session.scalars(
                    select(Deviation)
                    .where(Deviation.exercise_id == exercise_id)
                    .order_by(Deviation.found_at, Deviation.id)
                )
            )
            analysis = self._analysis(session, exercise_id, exercise.protocol_yaml, submissions)
            status = status_matrix(
                session, exercise, self._parse(exercise.protocol_yaml), insider=insider
            )
            head = head_hash(session)
            seq = int(session.scalar(select(func.max(LedgerEntry.seq))) or 0)
        run_fields = ("id", "institute_id", "task_id", "model_id", "samples", "dataset_digest")
        provenance = run_provenance(submissions)
        return {
            "exercise": exercise_id,
            "state": exercise.state,
            "protocol_id": exercise.protocol_id,
            "ledger_head": head,
            "ledger_checkpoint": self.signer.signed_head(seq, head),
            "runs": [
                as_dict(r, *run_fields, *(("disclosure", "log_sha256") if insider else ()))
                | provenance.get((r.submission_id, r.task_id, r.model_id), {})
                for r in runs
            ],
            "deviations": [as_dict(d, "kind", "detail", "found_at") for d in deviations],
            "analysis": analysis,
            "status": status,
        }

    def scores(
        self,
        actor: Actor,
        exercise_id: str,
        run_id: str | None,
        limit: int,
        offset: int,
        after: int | None = None,
    ) -> dict[str, Any]:
        """Per-sample scores of an exercise (partners and active secondees only).

        Page with `after` (the last `id` seen; fast at any depth) or `offset`.
        """
        _, view = self.exercise(actor, exercise_id)
        self.check(actor, policy.see_samples(actor, view), "scores.read", exercise_id)
        _page(limit, offset)
        with transaction(self.reads) as session:
            join_on: Any = SampleScore.run_id == Run.id
            if run_id is None and session.get_bind().dialect.name == "sqlite":
                # `+` keeps SQLite off the (run, scorer) index, so it walks the primary key
                # in order instead of gathering and sorting every row of the exercise.
                join_on = text("+sample_scores.run_id = runs.id")
            query = (
                select(SampleScore, Run.institute_id, Run.task_id, Run.model_id)
                .select_from(SampleScore)
                .join(Run, join_on)
                .where(Run.exercise_id == exercise_id)
            )
            if run_id is None:  # a run asked for by id is served even when superseded
                query = query.where(Run.superseded_by.is_(None))
            if run_id is not None:
                query = query.where(SampleScore.run_id == run_id)
            if after is not None:
                query = query.where(SampleScore.id > after)
            rows = session.execute(query.order_by(SampleScore.id).limit(limit).offset(offset)).all()
        return {
            "limit": limit,
            "offset": offset,
            "next_after": rows[-1][0].id if rows else None,
            "items": [
                {
                    "id": score.id,
                    "run_id": score.run_id,
                    "institute_id": institute,
                    "task_id": task,
                    "model_id": model,
                    **as_dict(score, "sample_id", "epoch", "scorer", "value", "cluster"),
                    "answer": score.answer,
                    "explanation": score.explanation,
                }
                for score, institute, task, model in rows
            ],
        }

    def submissions(self, actor: Actor, exercise_id: str) -> list[dict[str, Any]]:
        """Accepted submissions of an exercise (partners and active secondees only)."""
        _, view = self.exercise(actor, exercise_id)
        self.check(actor, policy.see_samples(actor, view), "submission.list", exercise_id)
        with transaction(self.reads) as session:
            rows = session.scalars(
                select(Submission)
                .where(Submission.exercise_id == exercise_id)
                .order_by(Submission.submitted_at)
            )
            fields = ("id", "institute_id", "bundle_sha256", "key_id", "signed_at", "submitted_at")
            current = set(
                session.scalars(
                    select(Run.submission_id).where(
                        Run.exercise_id == exercise_id, Run.superseded_by.is_(None)
                    )
                )
            )
            return [
                {**as_dict(s, *fields, "submitter_id"), "current": s.id in current} for s in rows
            ]

    def ledger(self, actor: Actor, after: int, limit: int) -> list[dict[str, Any]]:
        """Ledger entries after sequence number `after` (signed-in members)."""
        self.check(actor, policy.signed_in(actor), "ledger.read", "ledger")
        _page(limit, 0)
        with transaction(self.reads) as session:
            rows = session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.seq > after)
                .order_by(LedgerEntry.seq)
                .limit(limit)
            )
            fields = ("seq", "at", "kind", "subject", "actor", "payload", "prev_hash", "hash")
            return [as_dict(e, *fields) for e in rows]

    def ledger_head(self, actor: Actor) -> dict[str, Any]:
        """The ledger's head signed by the hub's key: keep it to detect a cut tail later."""
        self.check(actor, policy.signed_in(actor), "ledger.read", "ledger")
        with transaction(self.reads) as session:
            seq = int(session.scalar(select(func.max(LedgerEntry.seq))) or 0)
            head = head_hash(session)
        return self.signer.signed_head(seq, head)

    def verify_ledger(self, actor: Actor, expect_head: str | None = None) -> dict[str, Any]:
        """Recompute the chain; name the first broken entry.

        Also checks that the chain still holds the hub's last checkpoint and, when given,
        `expect_head` (a head hash the caller kept): a chain cut at its end is caught so.
        """
        self.check(actor, policy.signed_in(actor), "ledger.verify", "ledger")
        checkpoint = self.signer.checkpoint()
        expected = [str(checkpoint["hash"])] if checkpoint else []
        if expect_head:
            expected.append(expect_head)
        with transaction(self.reads) as session:
            check = verify_ledger(session, expected)
        return {
            "ok": check.ok,
            "entries": check.entries,
            "head": check.head,
            "first_broken": check.first_broken,
            "reason": check.reason,
            "checkpoint": checkpoint,
        }

    def audit_log(
        self, actor: Actor, outcome: str | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """Audit events: all for hub admins, their institute's for institute admins."""
        self.check(actor, policy.see_audit(actor), "audit.read", "audit")
        _page(limit, offset)
        with transaction(self.reads) as session:
            query = select(AuditEvent)
            if not actor.hub_admin:
                query = query.where(AuditEvent.institute_id == actor.institute_id)
            if outcome is not None:
                query = query.where(AuditEvent.outcome == outcome)
            rows = session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset))
            fields = ("id", "at", "actor", "institute_id", "action", "target", "outcome", "detail")
            return [as_dict(e, *fields) for e in rows]

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables (for operators and tests)."""
        with transaction(self.reads) as session:
            return {
                model.__tablename__: int(
                    session.scalar(select(func.count()).select_from(model)) or 0
                )
                for model in (
                    Institute,
                    Member,
                    Submission,
                    Run,
                    SampleScore,
                    Deviation,
                    LedgerEntry,
                )
            }

    def _analysis(
        self, session: Session, exercise_id: str, protocol_yaml: str, submissions: list[Submission]
    ) -> dict[str, Any]:
        key = (exercise_id, len(submissions))
        cached = self.analysis_cache.get(key)
        if cached is not None:
            return cached
        rows = session.execute(current_scores(exercise_id)).all()
        if not rows:
            return {}
        columns = list(zip(*rows, strict=True))
        table = ScoreTable.from_columns(
            task=columns[0],
            model=columns[1],
            partner=columns[2],
            scorer=columns[3],
            sample=columns[4],
            epoch=columns[5],
            value=columns[6],
            cluster=columns[7],
        )
        protocol: Protocol = self._parse(protocol_yaml)
        manifests = {
            s.institute_id: RunManifest.model_validate(s.verification["run_manifest"])
            for s in submissions
        }
        result: dict[str, Any] = analyze(table, protocol, manifests).model_dump(mode="json")
        self.analysis_cache[key] = result
        return result


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise BadRequest(f"limit must be 1..{MAX_PAGE} and offset >= 0")


def current_scores(exercise_id: str, *extra: Any) -> Select[Any]:
    """A query of the per-sample scores of an exercise's current (not superseded) runs.

    Each row: task, model, partner, scorer, sample id, epoch, value, cluster, then `extra`
    columns (e.g. `SampleScore.answer`).
    """
    return (
        select(
            Run.task_id,
            Run.model_id,
            Run.institute_id,
            SampleScore.scorer,
            SampleScore.sample_id,
            SampleScore.epoch,
            SampleScore.value,
            SampleScore.cluster,
            *extra,
        )
        .join(Run, SampleScore.run_id == Run.id)
        .where(Run.exercise_id == exercise_id, Run.superseded_by.is_(None))
    )
