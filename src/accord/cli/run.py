"""`accord run`: execute a partner's share, and compare two runs."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from ._console import Column, err, out, print_json, print_table

if TYPE_CHECKING:
    from ..run import RunComparison, RunManifest


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
RunDir = typer.Argument(..., show_default=False, exists=True, file_okay=False, metavar="RUN_DIR")


class Display(StrEnum):
    """Inspect's display types."""

    full = "full"
    conversation = "conversation"
    rich = "rich"
    plain = "plain"
    log = "log"
    none = "none"


class Executor(StrEnum):
    """Where a share runs."""

    local = "local"
    ray = "ray"


@run_app.command("share")
def share(
    ctx: typer.Context,
    protocol: Path = typer.Argument(
        ..., help="The protocol YAML file, or a test package (*.accordpkg).", show_default=False
    ),
    partner: str = typer.Option(..., "--partner", "-p", help="Your institute's partner id."),
    out_dir: Path | None = typer.Option(
        None, "--out", "-o", help="Run directory [default: runs/<protocol-short-id>/<partner>/]."
    ),
    max_connections: int | None = typer.Option(
        None, "--max-connections", min=1, help="Concurrent connections per model."
    ),
    limit: int | None = typer.Option(
        None,
        "--limit",
        min=1,
        help="Run only the first N samples of each task: a trial run, marked as such in the "
        "manifest; its bundle needs --allow-partial.",
    ),
    display: Display | None = typer.Option(
        None,
        "--display",
        metavar="NAME",
        help="Inspect's display: full, conversation, rich, plain, log or none "
        "[default: Inspect's on a terminal; otherwise none, with one progress line per run].",
        show_default=False,
    ),
    executor: Executor = typer.Option(
        Executor.local,
        "--executor",
        help="local: one Inspect process; ray: shards on Ray workers (`pip install "
        "'accord\\[ray]'`), with --max-connections as the cap per model for the whole share.",
    ),
    address: str | None = typer.Option(
        None, "--address", help="Ray cluster: auto or HOST:PORT [default: Ray on this machine]."
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Ray workers (shards at once) [default: the CPUs]."
    ),
    shard_size: int | None = typer.Option(
        None, "--shard-size", min=1, help="Samples per shard [default: ~2 shards per worker]."
    ),
    shared_dir: bool = typer.Option(
        False,
        "--shared-dir",
        help="With --address: every Ray node sees --out at the same path, so workers write "
        "there (a killed shard resumes sample by sample) instead of sending logs back.",
    ),
    json_output: bool = JsonFlag,
    keyring: Path | None = typer.Option(
        None, "--keyring", help="With a package: also verify its signatures with this keyring."
    ),
    key: Path | None = typer.Option(
        None, "--key", help="With a package that seals data: your institute's private key."
    ),
    max_samples: int | None = typer.Option(
        None, "--max-samples", min=1, help="Inspect: samples run at once (operational)."
    ),
    max_tasks: int | None = typer.Option(
        None, "--max-tasks", min=1, help="Inspect: tasks run at once (operational)."
    ),
    max_subprocesses: int | None = typer.Option(
        None, "--max-subprocesses", min=1, help="Inspect: subprocesses at once (operational)."
    ),
    max_sandboxes: int | None = typer.Option(
        None, "--max-sandboxes", min=1, help="Inspect: sandboxes at once (operational)."
    ),
    retry_attempts: int | None = typer.Option(
        None, "--retry-attempts", min=0, help="eval_set: attempts at failed tasks (operational)."
    ),
    retry_wait: float | None = typer.Option(
        None, "--retry-wait", min=0, help="eval_set: seconds before the first retry, doubling."
    ),
    retry_connections: float | None = typer.Option(
        None, "--retry-connections", min=0, max=1, help="eval_set: connections kept on retry."
    ),
    log_level: str | None = typer.Option(
        None, "--log-level", help="Inspect's log level: debug, info, warning, error..."
    ),
    tags: str | None = typer.Option(
        None, "--tags", help="Comma-separated tags written into each log (operational)."
    ),
    log_dir_allow_dirty: bool = typer.Option(
        False, "--log-dir-allow-dirty", help="eval_set: allow logs of other tasks in --out."
    ),
    sample_id: str | None = typer.Option(
        None,
        "--sample-id",
        help="Comma-separated sample ids (or patterns) to run: a trial run, like --limit.",
    ),
    fail_on_error: str | None = typer.Option(
        None,
        "--fail-on-error",
        help="true, false, a fraction (0.1) or a count (5) of errored samples tolerated. "
        "Changes results: recorded and compared; the protocol's fail_on_error wins.",
    ),
    prices: Path | None = typer.Option(
        None,
        "--prices",
        help="YAML/JSON file: Inspect model string -> {input, output[, input_cache_read, "
        "input_cache_write]} in dollars per million tokens; the manifest then holds the cost.",
    ),
) -> None:
    """Run your share (every task x model assigned to you) through Inspect.

    Re-running the same command resumes: finished logs are kept and finished samples are
    not run again. Writes Inspect logs and manifest.json into the run directory.

    Example: `accord run protocol.yaml --partner inst-a --max-connections 8`

    On Ray: `accord run protocol.yaml -p inst-a --executor ray --workers 8 --max-connections 64`

    From a test package: `accord run pilot.accordpkg -p inst-b --keyring keyring.json`
    (verified, then run from a private cache keyed by the package digest).
    """
    from .._util import InputError, OperationError
    from ..protocol import load_protocol
    from ..run import plan_share, read_prices, run_share

    ray_given = [
        n
        for n, v in (("--address", address), ("--workers", workers), ("--shard-size", shard_size))
        if v is not None
    ]
    if executor is Executor.local and (ray_given or shared_dir):
        raise InputError(
            f"{', '.join(ray_given) or '--shared-dir'} only applies to --executor ray; "
            "add --executor ray or drop the option"
        )
    from ._run_options import inspect_options
    from .package import package_run_protocol

    options = inspect_options(locals())
    given = options.given() + (["--prices"] if prices is not None else [])
    if executor is Executor.ray and given:
        raise InputError(
            f"{', '.join(given)} not yet supported with --executor ray; "
            "run with --executor local or drop the option"
        )
    price_table = read_prices(prices) if prices is not None else None
    loaded = load_protocol(package_run_protocol(protocol, keyring, key, ctx.call_on_close))
    plan = plan_share(loaded, partner, out_dir)
    chosen = display.value if display else None
    plain_progress = chosen is None and not json_output and not sys.stderr.isatty()
    if chosen is None and (json_output or plain_progress):
        chosen = "none"
    if limit is not None:
        err.print(f"[yellow]trial run[/]: --limit {limit} (marked in the manifest)")
    if sample_id is not None:
        err.print(f"[yellow]trial run[/]: --sample-id {sample_id} (marked in the manifest)")
    if executor is Executor.ray:
        from ._ray_progress import run_on_ray

        result = run_on_ray(
            plan,
            address=address,
            workers=workers,
            shard_size=shard_size,
            shared_dir=shared_dir,
            max_connections=max_connections,
            limit=limit,
            display=None if json_output else ("plain" if chosen == "none" else "rich"),
        )
    else:
        result = run_share(
            plan,
            max_connections=max_connections,
            limit=limit,
            display=chosen,  # type: ignore[arg-type]
            progress=_progress_line if plain_progress else None,
            inspect_options=options,
            prices=price_table,
        )
    if limit is not None and not result.manifest.partial:
        err.print(f"note: {plan.out_dir} already held full runs; --limit {limit} changed nothing")
    if json_output:
        print_json(result.manifest.model_dump(mode="json"))
    else:
        print_results(result.manifest, title=f"{partner}: {loaded.protocol.name}")
        from ._run_summary import print_models

        print_models(result.manifest)
        out.print(f"manifest: {plan.out_dir / 'manifest.json'}", highlight=False)
    if not result.complete:
        unfinished = len(plan.runs) - sum(1 for r in result.manifest.logs if r.status == "success")
        raise OperationError(
            f"{unfinished} of {len(plan.runs)} run(s) did not finish; "
            "re-run the same command to resume them"
        )


@run_app.command("compare")
def compare(
    dir_a: Path = RunDir,
    dir_b: Path = RunDir,
    json_output: bool = JsonFlag,
) -> None:
    """Say whether two runs are comparable and list every difference (exit 1 if not).

    Two runs are the same test only if the protocol id, task version, dataset digest and
    generate config agree.

    Example: `accord run compare runs/ab12/inst-a runs/ab12/inst-b`
    """
    from ..run import compare_runs

    comparison = compare_runs(dir_a, dir_b)
    if json_output:
        print_json(comparison_data(comparison))
    else:
        print_comparison(comparison, str(dir_a), str(dir_b))
    if not comparison.comparable:
        raise typer.Exit(1)


def _progress_line(message: str) -> None:
    err.print(message, highlight=False, soft_wrap=True)


def print_results(manifest: RunManifest, title: str) -> None:
    """Task, model, samples, scorer, metric with stderr, status: one row per log and metric."""
    rows = []
    for record in sorted(manifest.logs, key=lambda r: (r.task_id, r.model_id)):
        status = record.status if not record.errors else f"{record.status} ({record.errors} errors)"
        style = "green" if record.status == "success" else "red"
        for scorer, metric, value in _metrics(record.metrics) or [("-", "-", "-")]:
            rows.append(
                [
                    record.task_id,
                    record.model_id,
                    f"{record.samples} x {record.epochs}",
                    scorer,
                    metric,
                    value,
                    f"[{style}]{status}[/]",
                ]
            )
    if manifest.partial:
        title += f" (trial: {manifest.options.trial})"
    print_table(
        [
            Column("task", id=True),
            Column("model", id=True),
            Column("samples x epochs", justify="right"),
            Column("scorer", id=True),
            Column("metric", id=True),
            "value",
            "status",
        ],
        rows,
        title=title,
    )


def comparison_data(comparison: RunComparison) -> dict[str, Any]:
    """A comparison as JSON-ready data."""
    return {
        "comparable": comparison.comparable,
        "a": {"partner": comparison.a.partner, "protocol_id": comparison.a.protocol_id},
        "b": {"partner": comparison.b.partner, "protocol_id": comparison.b.protocol_id},
        "shared_runs": comparison.shared,
        "reasons": comparison.reasons,
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
    """The verdict with its reasons, and a table of differences."""
    verdict = "[green]comparable[/]" if comparison.comparable else "[red]not comparable[/]"
    out.print(
        f"{name_a} ({comparison.a.partner}) vs {name_b} ({comparison.b.partner}): {verdict}",
        highlight=False,
        soft_wrap=True,
    )
    for reason in comparison.reasons:
        out.print(f"  because {reason}", highlight=False, soft_wrap=True)
    shared = ", ".join(comparison.shared) or "none"
    out.print(f"shared runs: {shared}", highlight=False, soft_wrap=True)
    if comparison.differences:
        print_table(
            [Column("run", id=True), Column("field", id=True), "a", "b", "breaks comparability"],
            [
                [d.run or "(all)", d.field, d.a, d.b, "yes" if d.breaks_comparability else "no"]
                for d in comparison.differences
            ],
            title="Differences",
        )


def _metrics(metrics: dict[str, float]) -> list[tuple[str, str, str]]:
    """(scorer, metric, value ± stderr) for every metric but the stderrs themselves."""
    rows = []
    for name, value in metrics.items():
        scorer, _, metric = name.rpartition("/")
        if metric == "stderr":
            continue
        stderr = metrics.get(f"{scorer}/stderr")
        spread = f" ± {stderr:.3f}" if stderr is not None else ""
        rows.append((scorer, metric, f"{value:.3f}{spread}"))
    return rows
