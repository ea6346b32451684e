"""`accord suites`: the built-in safety evaluations."""

import typer

from ._console import Column, print_json, print_table

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
    print_table(
        [Column("task", id=True), "version", "samples", "what", Column("doc", id=True)],
        [[i.name, i.version, i.samples, i.summary, i.doc] for i in infos],
        title="Built-in suites",
    )
