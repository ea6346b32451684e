"""Checking an arriving run's task code against its exercise's test package."""

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from ..run import TaskCode
from ..store import Deviation, ExercisePackage, Run


def package_deviations(
    session: Session, run: Run, code: TaskCode | None, now: datetime
) -> list[Deviation]:
    """A deviation when a run's task code is not its exercise package's (none without one)."""
    package = session.get(ExercisePackage, run.exercise_id)
    if package is None:
        return []
    expected = package.task_code.get(run.task_id)
    if code is not None and code.digest == expected:
        return []
    ran = "no code record (an older Accord)" if code is None else f"code {code.digest}"
    return [
        Deviation(
            id=uuid.uuid4().hex,
            exercise_id=run.exercise_id,
            run_id=run.id,
            kind="code_digest",
            detail=(
                f"{run.institute_id}'s {run.task_id} x {run.model_id} ran {ran}, not the "
                f"exercise package's {expected} (package {package.digest}): run it with "
                "`accord run PACKAGE.accordpkg`"
            ),
            found_at=now,
        )
    ]
