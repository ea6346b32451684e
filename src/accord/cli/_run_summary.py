"""The models a run called, as `accord run` shows them after its results."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._console import Column, print_table

if TYPE_CHECKING:
    from ..run import RunManifest


def print_models(manifest: RunManifest) -> None:
    """One row per log and model called: the snapshots the provider said served the calls."""
    rows = [
        [record.task_id, record.model_id, called, ", ".join(snapshots) or "-"]
        for record in sorted(manifest.logs, key=lambda r: (r.task_id, r.model_id))
        for called, snapshots in record.snapshots.items()
    ]
    if rows:
        print_table(
            [
                Column("task", id=True),
                Column("model", id=True),
                Column("called", id=True),
                Column("snapshots", id=True),
            ],
            rows,
            title="Models called",
        )
