"""Progress of an exercise: which partner owes which task x model run, and what arrived."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..protocol import Protocol, partner_share
from ..store import Deviation, Exercise, Run, transaction
from ._auth import Actor
from ._exercises import ExerciseOps


@dataclass(frozen=True)
class ProgressCell:
    """One owed run: `status` is owed, submitted or deviation; superseded counts replaced runs."""

    partner: str
    task: str
    model: str
    status: str
    superseded: int
    deviations: tuple[str, ...]


@dataclass(frozen=True)
class Progress:
    """An exercise's progress matrix (partner x task x model) and its totals."""

    cells: list[ProgressCell]

    @property
    def owed(self) -> int:
        """Runs the protocol assigns, over all partners."""
        return len(self.cells)

    @property
    def submitted(self) -> int:
        """Owed runs with a current (not superseded) submitted run."""
        return sum(c.status != "owed" for c in self.cells)


@dataclass(frozen=True)
class ExerciseSummary:
    """An exercise as the exercise list shows it."""

    id: str
    protocol_name: str
    protocol_id: str
    state: str
    partners: list[str]
    embargo_until: datetime | None
    submitted: int
    owed: int


class ProgressOps(ExerciseOps):
    """Progress of exercises, for the web interface (results policy: who may see it)."""

    def progress(self, actor: Actor, exercise_id: str) -> Progress:
        """The progress matrix of an exercise the actor may see."""
        exercise, _ = self.exercise(actor, exercise_id)
        return self._progress(exercise, self._parse(exercise.protocol_yaml))

    def exercise_summaries(self, actor: Actor) -> list[ExerciseSummary]:
        """Every exercise the actor may see, with partners and progress."""
        out = []
        for exercise in self.exercises(actor):
            protocol = self._parse(exercise.protocol_yaml)
            done = self._progress(exercise, protocol)
            out.append(
                ExerciseSummary(
                    exercise.id,
                    protocol.name,
                    exercise.protocol_id,
                    exercise.state,
                    [p.id for p in protocol.partners],
                    exercise.embargo_until,
                    done.submitted,
                    done.owed,
                )
            )
        return out

    def _progress(self, exercise: Exercise, protocol: Protocol) -> Progress:
        with transaction(self.reads) as session:
            runs = session.execute(
                select(
                    Run.id, Run.institute_id, Run.task_id, Run.model_id, Run.superseded_by
                ).where(Run.exercise_id == exercise.id)
            ).all()
            found: dict[str, list[str]] = {}
            for run_id, kind, detail in session.execute(
                select(Deviation.run_id, Deviation.kind, Deviation.detail).where(
                    Deviation.exercise_id == exercise.id
                )
            ):
                found.setdefault(run_id, []).append(f"{kind}: {detail}")
        current: dict[tuple[str, str, str], str] = {}
        replaced: dict[tuple[str, str, str], int] = {}
        for run_id, partner, task, model, superseded_by in runs:
            key = (partner, task, model)
            if superseded_by is None:
                current[key] = run_id
            else:
                replaced[key] = replaced.get(key, 0) + 1
        cells = []
        for partner in protocol.partners:
            for item in partner_share(protocol, partner.id):
                key = (partner.id, item.task, item.model)
                run = current.get(key)
                deviations = tuple(found.get(run, [])) if run else ()
                status = "owed" if run is None else "deviation" if deviations else "submitted"
                cells.append(
                    ProgressCell(
                        partner.id, item.task, item.model, status, replaced.get(key, 0), deviations
                    )
                )
        return Progress(cells)
