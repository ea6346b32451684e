"""`accord adopt`: make logs from plain `inspect eval` / `eval-set` a partner's run."""

from __future__ import annotations

from pathlib import Path

import typer

from ._console import err, out, print_json


def adopt_command(
    protocol: Path = typer.Argument(..., help="The protocol YAML file.", show_default=False),
    logs: list[Path] = typer.Argument(
        ...,
        help="Inspect .eval logs, or directories holding them.",
        show_default=False,
        metavar="LOG_OR_DIR",
    ),
    partner: str = typer.Option(..., "--partner", "-p", help="Your institute's partner id."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="The run directory to write."),
    json_output: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
) -> None:
    """Check logs made by `inspect eval`/`eval-set` against your share; make them its run.

    Each task x model of your share needs one finished log of the protocol's task (version,
    args, dataset), model (args, roles), generate config and epochs, run on every sample.
    Every mismatch is named (exit 2) and nothing is written; otherwise the logs are copied
    into --out with a manifest, and from then on it is a run like any other.

    Example: `accord adopt protocol.yaml --partner inst-a logs/ --out runs/inst-a`
    """
    from ..protocol import load_protocol
    from ..run import adopt_logs, plan_share
    from .run import print_results

    loaded = load_protocol(protocol)
    plan = plan_share(loaded, partner, out_dir)
    result, ignored = adopt_logs(plan, logs)
    for path in ignored:
        err.print(f"note: {path} is not part of {partner}'s share; left out", highlight=False)
    if json_output:
        print_json(result.manifest.model_dump(mode="json"))
        return
    print_results(result.manifest, title=f"{partner}: {loaded.protocol.name} (adopted)")
    out.print(f"manifest: {out_dir / 'manifest.json'}", highlight=False)
