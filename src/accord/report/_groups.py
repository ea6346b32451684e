"""Subgroup tables of a task section: the whole task's tables with a subgroup column."""

from collections.abc import Sequence

from ._model import ComparisonRow, EstimateRow, ReplicationRow, TaskSection
from ._tables import Table, comparisons_table, estimates_table, replications_table


def group_tables(section: TaskSection, confidence: str, tost_level: str) -> list[Table]:
    """Estimates, differences and reproducibility by subgroup (`groups:` of the task)."""
    task = section.task
    built: list[tuple[Sequence[EstimateRow | ComparisonRow | ReplicationRow], Table]] = [
        (section.group_estimates, estimates_table(task, section.group_estimates, confidence)),
        (
            section.group_comparisons,
            comparisons_table(task, section.group_comparisons, confidence),
        ),
        (
            section.group_replications,
            replications_table(task, section.group_replications, tost_level),
        ),
    ]
    tables = []
    for rows, table in built:
        if not rows:
            continue
        note = " (corrected per task and key)" if rows is section.group_comparisons else ""
        tables.append(
            Table(
                id=f"groups-{table.id}",
                title=f"{table.title} by subgroup{note}",
                columns=["subgroup", *table.columns],
                rows=[
                    [row.group or "", *cells] for row, cells in zip(rows, table.rows, strict=True)
                ],
                kinds=table.kinds,
            )
        )
    return tables
