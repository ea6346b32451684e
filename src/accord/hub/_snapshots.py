"""Deviations between partners whose runs were served by different model snapshots."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ..run import LogRecord, snapshot_differences
from ..store import Deviation, Exercise, Run, Submission


def peer_runs(run: Run) -> tuple[ColumnElement[bool], ...]:
    """Conditions selecting other partners' current runs of the same task x model."""
    return (
        Run.exercise_id == run.exercise_id,
        Run.task_id == run.task_id,
        Run.model_id == run.model_id,
        Run.institute_id != run.institute_id,
        Run.superseded_by.is_(None),
    )


def snapshot_deviations(
    session: Session, exercise: Exercise, run: Run, record: LogRecord, now: datetime
) -> list[Deviation]:
    """Deviations from other partners' current runs of the task x model served by other snapshots.

    Their snapshots come from the run manifests their bundles carried.
    """
    others = session.execute(
        select(Run.institute_id, Submission.verification)
        .join(Submission, Run.submission_id == Submission.id)
        .where(*peer_runs(run))
    ).all()
    deviations = []
    for partner, verification in others:
        logs = (verification or {}).get("run_manifest", {}).get("logs", [])
        theirs = next(
            (
                log.get("snapshots") or {}
                for log in logs
                if (log.get("task_id"), log.get("model_id")) == (run.task_id, run.model_id)
            ),
            {},
        )
        for model, ours, other in snapshot_differences(record.snapshots, theirs):
            deviations.append(
                Deviation(
                    id=uuid.uuid4().hex,
                    exercise_id=exercise.id,
                    run_id=run.id,
                    kind="snapshots",
                    detail=(
                        f"{run.institute_id}'s {run.task_id} x {run.model_id} called {model} "
                        f"and was served by {', '.join(ours)}; {partner}'s by "
                        f"{', '.join(other)}: the partners did not test the same snapshot"
                    ),
                    found_at=now,
                )
            )
    return deviations


def run_provenance(submissions: list[Submission]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(submission id, task id, model id) -> the run's `snapshots` and `usage`, from manifests.

    Both are aggregates (model identifiers, token counts, cost), shown at every disclosure level.
    """
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for submission in submissions:
        for log in (submission.verification or {}).get("run_manifest", {}).get("logs", []):
            key = (submission.id, log.get("task_id"), log.get("model_id"))
            found[key] = {"snapshots": log.get("snapshots") or {}, "usage": log.get("usage") or {}}
    return found
