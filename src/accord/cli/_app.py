"""The root `accord` command: error handling, --debug and --version."""

from typing import Any

import typer
from typer.core import TyperGroup

from .. import __version__
from .._util import AccordError
from ._console import err

_state = {"debug": False}


class AccordGroup(TyperGroup):
    """Turns AccordErrors into a one-paragraph message and their exit code."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command, reporting failures the Accord way."""
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except AccordError as ex:
            if _state["debug"]:
                raise
            from rich.markup import escape  # a message may hold brackets: `accord[ray]`

            message = escape(str(ex))
            err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(ex.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted; re-run the same command to resume")
            raise typer.Exit(130) from None
        except Exception as ex:
            if _state["debug"]:
                raise
            err.print(
                f"[bold red]internal error:[/] {type(ex).__name__}: {ex}\n"
                "Run again with `accord --debug ...` for the traceback, and report it.",
                highlight=False,
            )
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=AccordGroup,
    name="accord",
    help="Accord: joint AI safety testing between evaluation institutes, on Inspect.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"accord {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Accord: joint AI safety testing between evaluation institutes, on Inspect.

    Start with `accord demo`, then `accord protocol init` to write your own protocol.
    """
    _state["debug"] = debug


from .export import export_command  # noqa: E402 (the commands need `app` first)
from .report import report_command  # noqa: E402

app.command("report")(report_command)
app.command("export")(export_command)
