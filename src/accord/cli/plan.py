"""`accord protocol plan`: what each planned comparison and replication can detect."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from ._console import err, print_json, print_rich_table

if TYPE_CHECKING:
    from ..analysis import Design, ScoreTable
    from ..protocol import Protocol, ProtocolFile


def plan_command(
    path: Path = typer.Argument(..., help="The protocol YAML file.", show_default=False),
    target_delta: float | None = typer.Option(
        None, "--target-delta", min=0.0, help="Print the samples needed to detect this difference."
    ),
    pilot: list[Path] = typer.Option(
        [], "--pilot", help="Pilot run directory to estimate variance, correlation and ICC from."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Minimum detectable differences (or samples needed) for every comparison and replication.

    Planning matches the test that will be run: t quantiles, the design effect of clustered
    tasks (from `analysis.planning.icc` and the dataset's cluster sizes), paired samples.

    Example: `accord protocol plan protocol.yaml --target-delta 0.05 --pilot runs/ab12/inst-a`
    """
    from ..analysis import load_runs, pilot_assumptions
    from ..protocol import load_protocol

    loaded = load_protocol(path)
    protocol = loaded.protocol
    planning = protocol.analysis.planning.model_dump()
    source = "protocol (analysis.planning) or defaults"
    labels: dict[str, list[str | None]] = {}
    if pilot:
        table, _ = load_runs(pilot, protocol)
        pairs = [(a, b) for a, b in protocol.analysis.comparisons]
        planning.update(pilot_assumptions(table, pairs))
        source = "pilot " + ", ".join(str(p) for p in pilot)
        labels = _pilot_clusters(table)
    designs = _designs(loaded, labels, planning["icc"])
    rows = _rows(protocol, planning, designs, target_delta)
    guidance = _guidance(protocol, planning, bool(pilot))
    if json_output:
        print_json({"assumptions": planning, "source": source, "rows": rows, "notes": guidance})
        return
    err.print(
        f"assumptions from {source}: " + ", ".join(f"{k}={v:.3g}" for k, v in planning.items())
    )
    for note in guidance:
        err.print(f"[yellow]note:[/] {note}")
    last = "samples for target" if target_delta is not None else "samples for margin"
    table_out = Table(
        "kind",
        "task",
        "between",
        "n",
        "epochs",
        "design effect",
        "alpha",
        "power",
        "detectable",
        last,
        title="Plan",
    )
    for row in rows:
        table_out.add_row(
            row["kind"],
            row["task"],
            row["between"],
            str(row["n"]),
            str(row["epochs"]),
            f"{row['design_effect']:.2f}",
            f"{row['alpha']:g}",
            f"{row['power']:g}",
            f"{row['detectable']:.3f}",
            "-" if row["samples_needed"] is None else str(row["samples_needed"]),
        )
    print_rich_table(table_out)


def _rows(
    protocol: Protocol,
    planning: dict[str, Any],
    designs: dict[str, tuple[int, Design]],
    target: float | None,
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
        (n, design), epochs = designs[task.id], task.epochs
        common = {"task": task.id, "n": n, "epochs": epochs, "alpha": alpha, "power": power}
        common["design_effect"] = design.effect
        paired = VarianceModel(
            planning["score_variance"], planning["within_fraction"], planning["correlation"]
        )
        for model, reference in protocol.analysis.comparisons:
            rows.append(
                {
                    **common,
                    "kind": "comparison",
                    "between": f"{model} - {reference}",
                    "paired": True,  # the same task's samples: paired on sample ids
                    "detectable": minimum_detectable_difference(
                        n, epochs, alpha, power, paired, design
                    ),
                    "samples_needed": samples_needed(target, epochs, alpha, power, paired, design)
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
                    **common,
                    "kind": "replication",
                    "between": f"{item.model}: {' vs '.join(partners)}",
                    "paired": True,
                    "detectable": equivalence_margin(n, epochs, alpha, power, site, design),
                    "samples_needed": samples_for_margin(
                        margin, epochs, alpha, power, site, design
                    ),
                }
            )
    return rows


def _guidance(protocol: Protocol, planning: dict[str, Any], pilot: bool) -> list[str]:
    """Advice on assumptions the plan cannot check.

    The `icc` of clustered tasks, and `site_correlation`, which depends on the temperature.
    """
    if pilot:
        return []
    notes = [
        f"task {task.id} clusters on '{task.cluster}' but analysis.planning.icc is 0: no design "
        "effect is planned; set icc (0.05-0.3 is common) or estimate it with --pilot"
        for task in protocol.tasks
        if task.cluster and planning["icc"] == 0
    ]
    temperatures = {
        float(protocol.generate_config(t.id).get("temperature", 1.0)) for t in protocol.tasks
    }
    if max(temperatures) > 0 and planning["site_correlation"] >= 0.9:
        notes.append(
            f"site_correlation {planning['site_correlation']:g} holds only at temperature 0 "
            f"(with a seed); at temperature {max(temperatures):g} two partners' per-sample "
            "scores correlate less (about 0.5-0.8): set analysis.planning.site_correlation or "
            "estimate it with --pilot"
        )
    return notes


def _pilot_clusters(table: ScoreTable) -> dict[str, list[str | None]]:
    """Each pilot task's cluster label per sample."""
    import numpy as np

    out: dict[str, list[str | None]] = {}
    for code, task in enumerate(table.levels["task"]):
        rows = table.task == code
        _, first = np.unique(table.sample[rows], return_index=True)
        clusters = table.cluster[rows][first]
        out[task] = [table.levels["cluster"][c] if c >= 0 else None for c in clusters]
    return out


def _designs(
    loaded: ProtocolFile, pilot: dict[str, list[str | None]], icc: float
) -> dict[str, tuple[int, Design]]:
    """(samples, design) per task, from the pilot's samples or the task's dataset."""
    from ..analysis import Design, cluster_design
    from ..protocol import parse_task_ref
    from ..run import create_task

    designs = {}
    for task in loaded.protocol.tasks:
        labels = pilot.get(task.id)
        if labels is None:
            created = create_task(parse_task_ref(task.task, loaded.base_dir), task.args)
            labels = [
                None if task.cluster is None else _label((s.metadata or {}).get(task.cluster))
                for s in created.dataset
            ]
        design = cluster_design(labels, icc) if task.cluster else Design()
        designs[task.id] = (len(labels), design)
    return designs


def _label(value: Any) -> str | None:
    return None if value is None else str(value)
