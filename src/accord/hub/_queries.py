"""Read-side operations: results (aggregate and per sample), the ledger and the audit log."""

from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from ..analysis import analyze
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
    transaction,
    verify_ledger,
)
from . import _policy as policy
from ._auth import Actor
from ._base import as_dict
from ._bookmarks import PageBookmarks, page_query
from ._cache import ledger_head, remember
from ._columns import score_table
from ._errors import BadRequest
from ._exercises import ExerciseOps
from ._review import cut_analysis, cut_status
from ._snapshots import run_provenance
from ._status import status_matrix

MAX_PAGE = 10_000


_SCORE_COLUMNS = (
    SampleScore.id,
    SampleScore.run_id,
    SampleScore.sample_id,
    SampleScore.epoch,
    SampleScore.scorer,
    SampleScore.value,
    SampleScore.cluster,
    SampleScore.answer,
    SampleScore.explanation,
)
"""The columns of a scores page, in the order its items list them."""

_CURRENT_RUNS = select(Run.id, Run.institute_id, Run.task_id, Run.model_id).where(
    Run.exercise_id == bindparam("exercise_id"), Run.superseded_by.is_(None)
)
"""An exercise's current runs, for a scores page (built once, like the pages below: building
a statement costs about as much CPU as running it)."""

_RUN_BY_ID = select(*_CURRENT_RUNS.selected_columns).where(
    Run.exercise_id == bindparam("exercise_id"), Run.id == bindparam("run_id")
)
"""One run of an exercise, asked for by id: served even when superseded."""


class QueryOps(ExerciseOps):
    """Results, ledger and audit queries."""

    def results(self, actor: Actor, exercise_id: str) -> dict[str, Any]:
        """An exercise's runs, deviations, aggregate analysis and the ledger head.

        Served from a cache keyed by the ledger's head (every change that affects results
        appends to the ledger, so workers sharing the database agree), the exercise's
        state and protocol, and the reader's results scope (policy).
        """
        exercise, view = self.exercise(actor, exercise_id)
        scope = policy.results_scope(actor, view)
        insider = scope.insider
        with self.reading() as session:
            seq, head = ledger_head(session)
            key = (exercise_id, scope.key(), seq, exercise.state, exercise.protocol_id)
            cached = self.results_cache.get(key)
            if cached is not None:
                return dict(cached)
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
            analysis = self._analysis(
                session,
                (exercise_id, seq, exercise.protocol_id),
                exercise.protocol_yaml,
                submissions,
            )
            status = status_matrix(
                session, exercise, self._parse(exercise.protocol_yaml), insider=insider
            )
        run_fields = ("id", "institute_id", "task_id", "model_id", "samples", "dataset_digest")
        provenance = run_provenance(submissions)
        if scope.models is not None:  # a developer's review: its own models only
            runs = [r for r in runs if scope.shows(r.model_id)]
            deviations = [d for d in deviations if d.run_id in {r.id for r in runs}]
            analysis, status = cut_analysis(analysis, scope), cut_status(status, scope)
        payload = {
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
        remember(self.results_cache, key, payload)
        return dict(payload)

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
        scope = policy.results_scope(actor, view)
        if not scope.samples:
            self.check(actor, policy.see_samples(actor, view), "scores.read", exercise_id)
        _page(limit, offset)
        with self.reading() as session:
            runs_query = _CURRENT_RUNS if run_id is None else _RUN_BY_ID
            if scope.models is not None:
                runs_query = runs_query.where(Run.model_id.in_(sorted(scope.models)))
            # Core rows on the session's connection (ORM execution costs more than these).
            found = session.connection().execute(
                runs_query, {"exercise_id": exercise_id, "run_id": run_id}
            )
            runs = {row.id: row for row in found}
            items = (
                _score_rows(session, self.page_bookmarks, sorted(runs), limit, offset, after)
                if runs
                else []
            )
        for item in items:
            run = runs[item["run_id"]]
            item.update(institute_id=run.institute_id, task_id=run.task_id, model_id=run.model_id)
        return {
            "limit": limit,
            "offset": offset,
            "next_after": items[-1]["id"] if items else None,
            "items": items,
        }

    def submissions(self, actor: Actor, exercise_id: str) -> list[dict[str, Any]]:
        """Accepted submissions of an exercise (partners and active secondees only)."""
        _, view = self.exercise(actor, exercise_id)
        self.check(actor, policy.see_samples(actor, view), "submission.list", exercise_id)
        with self.reading() as session:
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
            seq, head = ledger_head(session)
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
        self,
        session: Session,
        key: tuple[str, int, str],
        protocol_yaml: str,
        submissions: list[Submission],
    ) -> dict[str, Any]:
        cached = self.analysis_cache.get(key)
        if cached is not None:
            return cached
        table = score_table(session, self.sessions, key[0])
        if table is None:
            return {}
        protocol: Protocol = self._parse(protocol_yaml)
        manifests = {
            s.institute_id: RunManifest.model_validate(s.verification["run_manifest"])
            for s in submissions
        }
        result: dict[str, Any] = analyze(table, protocol, manifests).model_dump(mode="json")
        remember(self.analysis_cache, key, result)
        return result


def _score_rows(
    session: Session,
    bookmarks: PageBookmarks,
    run_ids: list[str],
    limit: int,
    offset: int,
    after: int | None,
) -> list[dict[str, Any]]:
    """A page of the score rows of `run_ids`, in id order, as plain dicts.

    The exercise's runs are few and read first, so the page needs no join: each row is
    filtered by its run id while the primary key is walked in order. A deep offset starts
    from a bookmark (`PageBookmarks`).
    """
    walk = len(run_ids) > 1 and session.get_bind().dialect.name == "sqlite"
    if after is None:
        after, offset = bookmarks.seek(session, run_ids, walk, offset)
    query = _PAGES[walk, after is not None]
    values = {"run_ids": run_ids, "after": after, "limit": limit, "offset": offset}
    # Plain rows on the connection, not ORM entities or ORM execution: a page is read-only.
    return [dict(row._mapping) for row in session.connection().execute(query, values)]


_PAGES = {
    (walk, after): page_query(walk, after, *_SCORE_COLUMNS)
    for walk in (False, True)
    for after in (False, True)
}
"""A scores page by (walk the primary key on SQLite, keyset after an id)."""


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
