"""Progress of an exercise for the web pages, from the status matrix (`_status.py`)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..protocol import Protocol
from ..store import Exercise, transaction
from . import _policy as policy
from ._auth import Actor
from ._exercises import ExerciseOps
from ._status import status_matrix


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
        exercise, view = self.exercise(actor, exercise_id)
        progress = self._progress(exercise, self._parse(exercise.protocol_yaml))
        scope = policy.results_scope(actor, view)
        if scope.models is not None:  # a developer's review: its own models only
            progress = Progress([c for c in progress.cells if scope.shows(c.model)])
        return progress

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
            matrix = status_matrix(session, exercise, protocol, insider=True)
        return Progress(
            [
                ProgressCell(
                    cell["partner"],
                    cell["task_id"],
                    cell["model_id"],
                    "deviation"
                    if cell["deviations"] and cell["state"] != "owed"
                    else cell["state"],
                    len(cell["superseded"]),
                    tuple(cell["deviations"]),
                )
                for cell in matrix["cells"]
            ]
        )


def _status(cell: dict[str, Any]) -> str:
    """owed, submitted, or deviation (submitted, with deviations found)."""
    return "deviation" if cell["deviations"] and cell["state"] != "owed" else str(cell["state"])
