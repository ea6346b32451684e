"""`accord run`: execute a partner's share, and compare two runs."""

from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from .._util import OperationError
from ..protocol import load_protocol
from ..run import RunComparison, RunManifest, compare_runs, plan_share, run_share
from ._console import out, print_json


class _ShareByDefault(TyperGroup):
    """`accord run PROTOCOL ...` is short for `accord run share PROTOCOL ...`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["share", *args]
        return super().parse_args(ctx, args)


run_app = typer.Typer(
    cls=_ShareByDefault,
    help="Run a partner's share of a protocol through Inspect; compare two runs.\n\n"
    "`accord run PROTOCOL --partner ID` is short for `accord run share PROTOCOL --partner ID`.",
    no_args_is_help=True,
)
JsonFlag = typer.Option(False, "--json", help="Print JSON on stdout instead of tables.")


@run_app.command("share")
def share(
    protocol: Path = typer.Argument(..., help="The protocol YAML file.", show_default=False),
    partner: str = typer.Option(..., "--partner", "-p", help="Your institute's partner id."),
    out_dir: Path | None = typer.Option(
        None, "--out", "-o", help="Run directory [default: runs/<protocol-short-id>/<partner>/]."
    ),
    max_connections: int | None = typer.Option(
        None, "--max-connections", min=1, help="Concurrent connections per model."
    ),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Run only the first N samples of each task (for trials)."
    ),
    json_output: bool = JsonFlag,
) -> None:
    """Run your share (every task x model assigned to you) through Inspect.

    Re-running the same command resumes: finished logs are kept and finished samples are
    not run again. Writes Inspect logs and manifest.json into the run directory.

    Example: `accord run protocol.yaml --partner inst-a --max-connections 8`
    """
    loaded = load_protocol(protocol)
    plan = plan_share(loaded, partner, out_dir)
    result = run_share(
        plan,
        max_connections=max_connections,
        limit=limit,
        display="none" if json_output else None,
    )
    if json_output:
        print_json(result.manifest.model_dump(mode="json"))
    else:
        out.print(results_table(result.manifest, title=f"{partner}: {loaded.protocol.name}"))
        out.print(f"manifest: {plan.out_dir / 'manifest.json'}")
    if not result.complete:
        unfinished = len(plan.runs) - sum(1 for r in result.manifest.logs if r.status == "success")
        raise OperationError(
            f"{unfinished} of {len(plan.runs)} run(s) did not finish; "
            "re-run the same command to resume them"
        )


@run_app.command("compare")
def compare(
    dir_a: Path = typer.Argument(..., help="First run directory.", show_default=False),
    dir_b: Path = typer.Argument(..., help="Second run directory.", show_default=False),
    json_output: bool = JsonFlag,
) -> None:
    """Say whether two runs are comparable and list every difference (exit 1 if not).

    Two runs are the same test only if the protocol id, task version, dataset digest and
    generate config agree.

    Example: `accord run compare runs/ab12/inst-a runs/ab12/inst-b`
    """
    comparison = compare_runs(dir_a, dir_b)
    if json_output:
        print_json(comparison_data(comparison))
    else:
        print_comparison(comparison, str(dir_a), str(dir_b))
    if not comparison.comparable:
        raise typer.Exit(1)


def results_table(manifest: RunManifest, title: str) -> Table:
    """Task, model, samples, primary metric with stderr, status: one row per log."""
    table = Table("task", "model", "samples", "epochs", "metric", "value", "status", title=title)
    for record in sorted(manifest.logs, key=lambda r: (r.task_id, r.model_id)):
        metric, value = _primary_metric(record.metrics)
        status = record.status if not record.errors else f"{record.status} ({record.errors} errors)"
        style = "green" if record.status == "success" else "red"
        table.add_row(
            record.task_id,
            record.model_id,
            str(record.samples),
            str(record.epochs),
            metric,
            value,
            f"[{style}]{status}[/]",
        )
    return table


def comparison_data(comparison: RunComparison) -> dict[str, Any]:
    """A comparison as JSON-ready data."""
    return {
        "comparable": comparison.comparable,
        "a": {"partner": comparison.a.partner, "protocol_id": comparison.a.protocol_id},
        "b": {"partner": comparison.b.partner, "protocol_id": comparison.b.protocol_id},
        "shared_runs": comparison.shared,
        "differences": [
            {
                "run": d.run,
                "field": d.field,
                "a": d.a,
                "b": d.b,
                "breaks_comparability": d.breaks_comparability,
            }
            for d in comparison.differences
        ],
    }


def print_comparison(comparison: RunComparison, name_a: str, name_b: str) -> None:
    """The verdict and a table of differences."""
    if comparison.comparable:
        verdict = "[green]comparable[/]"
    elif not comparison.shared:
        verdict = "[red]not comparable[/]: the runs share no task x model run"
    else:
        verdict = "[red]not comparable[/]"
    out.print(f"{name_a} ({comparison.a.partner}) vs {name_b} ({comparison.b.partner}): {verdict}")
    out.print(f"shared runs: {', '.join(comparison.shared) or 'none'}")
    if comparison.differences:
        table = Table("run", "field", "a", "b", "breaks comparability", title="Differences")
        for d in comparison.differences:
            table.add_row(
                d.run or "(all)",
                d.field,
                str(d.a),
                str(d.b),
                "yes" if d.breaks_comparability else "no",
            )
        out.print(table)


def _primary_metric(metrics: dict[str, float]) -> tuple[str, str]:
    names = [n for n in metrics if not n.endswith("/stderr")]
    if not names:
        return "-", "-"
    name = names[0]
    scorer, _, metric = name.partition("/")
    stderr = metrics.get(f"{scorer}/stderr")
    value = f"{metrics[name]:.3f}" + (f" ± {stderr:.3f}" if stderr is not None else "")
    return metric, value
