"""`accord suites`: the built-in safety evaluations."""

import typer
from rich.table import Table

from ._console import out, print_json

suites_app = typer.Typer(
    help="The built-in safety suites (Inspect tasks accord/*).", no_args_is_help=True
)


@suites_app.command("list")
def list_suites(
    json_output: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """List the suites with their versions, sample counts and docs.

    Use one in a protocol as `task: accord/refusal`, or `inspect eval accord/refusal`.

    Example: `accord suites list`
    """
    from ..suites import suite_infos

    infos = suite_infos()
    if json_output:
        print_json([info.__dict__ for info in infos])
        return
    table = Table("task", "version", "samples", "what", "doc", title="Built-in suites")
    for info in infos:
        table.add_row(info.name, str(info.version), str(info.samples), info.summary, info.doc)
    out.print(table)
