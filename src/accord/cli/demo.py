"""`accord demo`: a whole joint exercise on one machine, offline, with stand-in models."""

from pathlib import Path

import typer

from ..protocol import load_protocol, protocol_id, write_example
from ..run import compare_runs, plan_share, run_share
from ._console import err, out
from .run import print_comparison, results_table


def demo(
    directory: Path = typer.Option(Path("accord-demo"), "--dir", help="Where to put the demo."),
) -> None:
    """Run a small joint exercise offline: two partners, stand-in models, a comparability check.

    Writes an example protocol and task into the directory, runs both partners' shares
    (resuming if run before) and prints results and whether the shared run is comparable.

    Example: `accord demo --dir /tmp/accord-demo`
    """
    path = write_example(directory, overwrite=True)
    loaded = load_protocol(path)
    protocol = loaded.protocol
    out.print(f"[bold]Accord demo[/]: protocol {protocol.name} {protocol_id(protocol)}")
    run_dirs = {}
    for partner in protocol.partners:
        plan = plan_share(loaded, partner.id, directory / "runs" / partner.id)
        with err.status(f"{partner.name} runs its share ({len(plan.runs)} run(s))..."):
            result = run_share(plan, display="none")
        out.print(results_table(result.manifest, title=f"{partner.name} ({partner.id})"))
        run_dirs[partner.id] = plan.out_dir
    first, second = (run_dirs[p.id] for p in protocol.partners[:2])
    print_comparison(compare_runs(first, second), str(first), str(second))
    out.print(f"\nnext: look at the logs with `inspect view --log-dir {directory / 'runs'}`")
