"""The models a run called, as `accord run` shows them after its results."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._console import Column, print_table

if TYPE_CHECKING:
    from ..run import RunManifest, Usage


def print_models(manifest: RunManifest) -> None:
    """One row per log and model called: snapshots that served it, tokens and cost."""
    rows = []
    for record in sorted(manifest.logs, key=lambda r: (r.task_id, r.model_id)):
        for called in sorted(set(record.snapshots) | set(record.usage)):
            snapshots = ", ".join(record.snapshots.get(called, [])) or "-"
            rows.append(
                [
                    record.task_id,
                    record.model_id,
                    called,
                    snapshots,
                    *usage_cells(record.usage.get(called)),
                ]
            )
    if rows:
        print_table(
            [
                Column("task", id=True),
                Column("model", id=True),
                Column("called", id=True),
                Column("snapshots", id=True),
                Column("input", justify="right"),
                Column("output", justify="right"),
                Column("reasoning", justify="right"),
                Column("cache read/write", justify="right"),
                Column("cost $", justify="right"),
            ],
            rows,
            title="Models called",
        )


def usage_cells(usage: Usage | None) -> list[str]:
    """Input, output, reasoning, cache read/write tokens and cost, as table cells."""
    if usage is None:
        return ["-"] * 5
    return [
        f"{usage.input_tokens:,}",
        f"{usage.output_tokens:,}",
        f"{usage.reasoning_tokens:,}",
        f"{usage.input_tokens_cache_read:,}/{usage.input_tokens_cache_write:,}",
        "-" if usage.cost is None else f"{usage.cost:.4f}",
    ]
