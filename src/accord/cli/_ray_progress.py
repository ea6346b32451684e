"""`accord run --executor ray`: one progress display for the whole share, whatever the workers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ._console import err

if TYPE_CHECKING:
    from ..run import RunResult, SharePlan


def run_on_ray(
    plan: SharePlan,
    *,
    address: str | None,
    workers: int | None,
    shard_size: int | None,
    shared_dir: bool,
    max_connections: int | None,
    limit: int | None,
    display: Literal["rich", "plain"] | None,
) -> RunResult:
    """Run the share on Ray, showing samples done per task x model on stderr."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    from ..run import RayOptions, run_share_ray

    options = RayOptions(address, workers, shard_size, shared_dir)
    if display != "rich":

        def line(task_id: str, model_id: str, done: int, total: int) -> None:
            err.print(f"{task_id} x {model_id}: {done}/{total} samples", highlight=False)

        return run_share_ray(
            plan,
            ray_options=options,
            max_connections=max_connections,
            limit=limit,
            progress=line if display == "plain" else None,
        )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        ids: dict[tuple[str, str], TaskID] = {}

        def update(task_id: str, model_id: str, done: int, total: int) -> None:
            key = (task_id, model_id)
            if key not in ids:
                ids[key] = bar.add_task(f"{task_id} x {model_id}", total=total)
            bar.update(ids[key], completed=done, total=total)

        return run_share_ray(
            plan,
            ray_options=options,
            max_connections=max_connections,
            limit=limit,
            progress=update,
        )
