"""Developer review: what the policy needs to know of it, and the results cut to a scope.

A protocol's `governance.developer_review` names developer organisations (institutes on the
hub) and their models. While the exercise is closed and within the review window, members
of those organisations with the `developer` role see the aggregate results of their own
models only; every results payload is cut to the caller's `ResultsScope` here, before it is
cached or rendered, so no other model's numbers reach them.
"""

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .._util import InputError
from ..protocol import DeveloperReview, parse_protocol
from ..store import Exercise, LedgerEntry
from . import _policy as policy

CLOSED = "exercise.closed"


def with_review(
    session: Session, exercise: Exercise, view: policy.ExerciseView, now: datetime
) -> policy.ExerciseView:
    """`view` with the exercise's state and its developer review (organisations, window)."""
    view = dataclasses.replace(view, state=exercise.state, now=now)
    review = _review_of(exercise.protocol_id, exercise.protocol_yaml)
    if review is None:
        return view
    developers = {d.institute: review.models_of(d.institute) for d in review.developers}
    until = None
    if exercise.state == "closed":
        closed_at = session.scalar(
            select(LedgerEntry.at)
            .where(LedgerEntry.subject == exercise.id, LedgerEntry.kind == CLOSED)
            .order_by(LedgerEntry.seq.desc())
            .limit(1)
        )
        if closed_at is not None:
            until = closed_at + timedelta(days=review.window_days)
    return dataclasses.replace(
        view, developers=developers, review_until=until, developer_samples=review.per_sample
    )


_REVIEWS: dict[str, DeveloperReview | None] = {}
_CACHED = 256


def _review_of(protocol_id: str, protocol_yaml: str) -> DeveloperReview | None:
    """The protocol's developer review, parsed once per protocol id (a content hash)."""
    if "developer_review" not in protocol_yaml:  # most protocols: no parse needed
        return None
    if protocol_id in _REVIEWS:
        return _REVIEWS[protocol_id]
    try:
        parsed = parse_protocol(protocol_yaml, "the protocol", Path("."), resolve_tasks=False)
        review = parsed.governance.developer_review
    except InputError:
        review = None
    if len(_REVIEWS) >= _CACHED:
        _REVIEWS.pop(next(iter(_REVIEWS)))
    _REVIEWS[protocol_id] = review
    return review


def cut_analysis(analysis: dict[str, Any], scope: policy.ResultsScope) -> dict[str, Any]:
    """An analysis (as JSON) without any row that names a model outside `scope`.

    A comparison or finding naming another model (as `model`, `compare_to`, `a` or `b`) is
    dropped whole: its numbers depend on that model's results.
    """
    if scope.models is None:
        return analysis
    out: dict[str, Any] = {}
    for part, value in analysis.items():
        if isinstance(value, list):
            out[part] = [r for r in value if not isinstance(r, dict) or _in_scope(r, scope)]
        else:
            out[part] = value
    return out


def cut_status(status: dict[str, Any], scope: policy.ResultsScope) -> dict[str, Any]:
    """A status matrix with only the cells of models in `scope` (counts recomputed)."""
    if scope.models is None:
        return status
    cells = [c for c in status["cells"] if scope.shows(c["model_id"])]
    return {
        **status,
        "cells": cells,
        "owed": sum(c["state"] == "owed" for c in cells),
        "submitted": sum(c["state"] == "submitted" for c in cells),
        "complete": all(c["state"] == "submitted" for c in cells),
        "blocking": [],
    }


_MODEL_KEYS = ("model", "reference", "compare_to")


def _in_scope(row: dict[str, Any], scope: policy.ResultsScope) -> bool:
    return all(scope.shows(row[k]) for k in _MODEL_KEYS if k in row and isinstance(row[k], str))
