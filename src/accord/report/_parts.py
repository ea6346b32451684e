"""A task section as display parts (table + its charts), shared by the renderers."""

from dataclasses import dataclass, field

from ._groups import group_tables
from ._model import Chart, Report, TaskSection
from ._tables import (
    Table,
    agreements_table,
    comparisons_table,
    estimates_table,
    replications_table,
)


@dataclass(frozen=True)
class Part:
    """One table of a task section with the charts drawn from the same rows."""

    table: Table
    charts: list[Chart] = field(default_factory=list)


def task_parts(report: Report, section: TaskSection) -> list[Part]:
    """The section's non-empty parts in report order: estimates, Δ, reproducibility, agreement."""
    confidence = report.methodology.confidence
    tost_level = f"{1 - 2 * report.methodology.alpha:.0%}"
    charts = {c.id.split("-", 1)[0]: c for c in section.charts}
    parts = []
    if section.estimates:
        table = estimates_table(section.task, section.estimates, confidence)
        parts.append(Part(table, [charts[k] for k in ("forest",) if k in charts]))
    if section.comparisons:
        table = comparisons_table(section.task, section.comparisons, confidence)
        parts.append(Part(table, [charts[k] for k in ("deltas",) if k in charts]))
    if section.replications:
        table = replications_table(section.task, section.replications, tost_level)
        parts.append(Part(table, [charts[k] for k in ("reproducibility",) if k in charts]))
    if section.agreements:
        parts.append(Part(agreements_table(section.task, section.agreements)))
    parts += [Part(t) for t in group_tables(section, confidence, tost_level)]
    return parts
