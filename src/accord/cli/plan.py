"""`accord protocol plan`: what each planned comparison and replication can detect."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from ._console import err, print_json, print_rich_table

if TYPE_CHECKING:
    from ..protocol import Protocol, ProtocolFile


def plan_command(
    path: Path = typer.Argument(..., help="The protocol YAML file.", show_default=False),
    target_delta: float | None = typer.Option(
        None, "--target-delta", min=0.0, help="Print the samples needed to detect this difference."
    ),
    pilot: list[Path] = typer.Option(
        [], "--pilot", help="Pilot run directory to estimate variance and correlation from."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Minimum detectable differences (or samples needed) for every comparison and replication.

    Example: `accord protocol plan protocol.yaml --target-delta 0.05 --pilot runs/ab12/inst-a`
    """
    from ..analysis import load_runs, pilot_assumptions
    from ..protocol import load_protocol

    loaded = load_protocol(path)
    protocol = loaded.protocol
    planning = protocol.analysis.planning.model_dump()
    source = "protocol (analysis.planning) or defaults"
    if pilot:
        table, _ = load_runs(pilot, protocol)
        pairs = [(a, b) for a, b in protocol.analysis.comparisons]
        planning.update(pilot_assumptions(table, pairs))
        source = "pilot " + ", ".join(str(p) for p in pilot)
    sizes = _sample_counts(loaded, pilot)
    rows = _rows(protocol, planning, sizes, target_delta)
    if json_output:
        print_json({"assumptions": planning, "source": source, "rows": rows})
        return
    err.print(
        f"assumptions from {source}: " + ", ".join(f"{k}={v:.3g}" for k, v in planning.items())
    )
    last = "samples for target" if target_delta is not None else "samples for margin"
    table_out = Table(
        "kind", "task", "between", "n", "epochs", "alpha", "power", "detectable", last, title="Plan"
    )
    for row in rows:
        table_out.add_row(
            row["kind"],
            row["task"],
            row["between"],
            str(row["n"]),
            str(row["epochs"]),
            f"{row['alpha']:g}",
            f"{row['power']:g}",
            f"{row['detectable']:.3f}",
            "-" if row["samples_needed"] is None else str(row["samples_needed"]),
        )
    print_rich_table(table_out)


def _rows(
    protocol: Protocol, planning: dict[str, Any], sizes: dict[str, int], target: float | None
) -> list[dict[str, Any]]:
    from ..analysis import (
        VarianceModel,
        equivalence_margin,
        minimum_detectable_difference,
        samples_for_margin,
        samples_needed,
    )
    from ..protocol import replications

    alpha, power = protocol.analysis.alpha, planning["power"]
    rows = []
    for task in protocol.tasks:
        n, epochs = sizes[task.id], task.epochs
        paired = VarianceModel(
            planning["score_variance"], planning["within_fraction"], planning["correlation"]
        )
        for model, reference in protocol.analysis.comparisons:
            rows.append(
                {
                    "kind": "comparison",
                    "task": task.id,
                    "between": f"{model} - {reference}",
                    "n": n,
                    "epochs": epochs,
                    "alpha": alpha,
                    "power": power,
                    "detectable": minimum_detectable_difference(n, epochs, alpha, power, paired),
                    "samples_needed": samples_needed(target, epochs, alpha, power, paired)
                    if target
                    else None,
                }
            )
        site = VarianceModel(
            planning["score_variance"], planning["within_fraction"], planning["site_correlation"]
        )
        for item, partners in replications(protocol).items():
            if item.task != task.id or len(partners) < 2:
                continue
            margin = protocol.analysis.reproducibility_margin
            rows.append(
                {
                    "kind": "replication",
                    "task": task.id,
                    "between": f"{item.model}: {' vs '.join(partners)}",
                    "n": n,
                    "epochs": epochs,
                    "alpha": alpha,
                    "power": power,
                    "detectable": equivalence_margin(n, epochs, alpha, power, site),
                    "samples_needed": samples_for_margin(margin, epochs, alpha, power, site),
                }
            )
    return rows


def _sample_counts(loaded: ProtocolFile, pilot: list[Path]) -> dict[str, int]:
    from ..protocol import parse_task_ref
    from ..run import create_task, read_manifest

    counts: dict[str, int] = {}
    for run_dir in pilot:
        for record in read_manifest(run_dir).logs:
            counts.setdefault(record.task_id, record.samples)
    for task in loaded.protocol.tasks:
        if task.id not in counts:
            created = create_task(parse_task_ref(task.task, loaded.base_dir), task.args)
            counts[task.id] = len(created.dataset)
    return counts
