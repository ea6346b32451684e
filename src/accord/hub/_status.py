"""Who owes what: an exercise's partner x task x model matrix (API, CLI, results, web UI)."""

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..protocol import Protocol, partner_share
from ..store import Deviation, Exercise, Run, Submission


def status_matrix(
    session: Session, exercise: Exercise, protocol: Protocol, *, insider: bool
) -> dict[str, Any]:
    """Every cell a partner owes, with what was submitted for it, and what blocks closing.

    A cell is `owed` (nothing submitted) or `submitted`: then `submitted_at`, the current
    `submission_id`, `bundle_sha256` and (for insiders only) `submitter_id`; `superseded`
    lists the earlier submissions it replaced, `deviations` what was found against the
    task x model's current runs. `blocking` says, in words, what stands between the exercise
    and closing; `complete` is true when no cell is owed.
    """
    rows = session.execute(
        select(Run, Submission)
        .join(Submission, Run.submission_id == Submission.id)
        .where(Run.exercise_id == exercise.id)
        .order_by(Submission.signed_at)
    ).all()
    current: dict[tuple[str, str, str], tuple[Run, Submission]] = {}
    superseded: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for run, submission in rows:
        key = (run.institute_id, run.task_id, run.model_id)
        if run.superseded_by is None:
            current[key] = (run, submission)
        else:
            superseded[key].append(submission.id)
    current_runs = {run.id: key for key, (run, _) in current.items()}
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for deviation in session.scalars(
        select(Deviation).where(Deviation.exercise_id == exercise.id).order_by(Deviation.found_at)
    ):
        cell_key = current_runs.get(deviation.run_id)
        if cell_key is not None:
            found[(cell_key[1], cell_key[2])].append(deviation.detail)

    cells: list[dict[str, Any]] = []
    for partner in sorted(p.id for p in protocol.partners):
        for item in partner_share(protocol, partner):
            key = (partner, item.task, item.model)
            cell: dict[str, Any] = {
                "partner": partner,
                "task_id": item.task,
                "model_id": item.model,
                "state": "owed",
                "submitted_at": None,
                "submission_id": None,
                "bundle_sha256": None,
                "superseded": superseded.get(key, []),
                "deviations": found.get((item.task, item.model), []),
            }
            cell["submitter_id"] = None
            if key in current:
                run, submission = current[key]
                cell.update(
                    state="submitted",
                    submitted_at=submission.submitted_at.isoformat(),
                    submission_id=submission.id,
                    bundle_sha256=submission.bundle_sha256,
                    submitter_id=submission.submitter_id,
                )
            if not insider:  # who submitted which bundle stays with the partners
                for field in _INSIDER_FIELDS:
                    cell.pop(field)
            cells.append(cell)
    return {
        "exercise": exercise.id,
        "state": exercise.state,
        "cells": cells,
        "owed": sum(c["state"] == "owed" for c in cells),
        "submitted": sum(c["state"] == "submitted" for c in cells),
        "complete": all(c["state"] == "submitted" for c in cells),
        "blocking": _blocking(exercise.state, cells),
    }


_INSIDER_FIELDS = ("submission_id", "bundle_sha256", "submitter_id", "superseded")


def _blocking(state: str, cells: list[dict[str, Any]]) -> list[str]:
    if state != "open":
        return [f"the exercise is {state}; only an open exercise can be closed"]
    owed: dict[str, list[str]] = defaultdict(list)
    for cell in cells:
        if cell["state"] == "owed":
            owed[cell["partner"]].append(f"{cell['task_id']} x {cell['model_id']}")
    return [f"{partner} owes {', '.join(items)}" for partner, items in sorted(owed.items())]
