"""The root `accord` command: error handling, --debug and --version."""

import sys
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from .._util import AccordError
from ._console import err, print_json_error
from ._help import humanise

_state = {"debug": False, "json": False}


class AccordGroup(TyperGroup):
    """Turns AccordErrors into a one-paragraph message (a JSON object under --json)."""

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        """Parse and run; errors of the command line itself are reported the same way."""
        arguments = list(sys.argv[1:] if args is None else args)
        _state["json"] = "--json" in arguments
        humanise(self)
        if not _state["json"]:
            return super().main(arguments, *rest, **kwargs)
        try:
            kwargs["standalone_mode"] = False
            code = super().main(arguments, *rest, **kwargs)
        except typer.Exit as ex:
            code = ex.exit_code
        except Exception as ex:  # a usage error: bad option, missing argument, bad value
            if _state["debug"]:
                raise
            code = getattr(ex, "exit_code", 2)
            message = ex.format_message() if hasattr(ex, "format_message") else str(ex)
            print_json_error(message, code)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        """Run the command, reporting failures the Accord way."""
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except AccordError as ex:
            if _state["debug"]:
                raise
            _report(str(ex), ex.exit_code)
            raise typer.Exit(ex.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted; re-run the same command to resume")
            raise typer.Exit(130) from None
        except Exception as ex:
            if _state["debug"] or _is_usage_error(ex):
                raise
            _report(
                f"internal error: {type(ex).__name__}: {ex}. "
                "Run again with `accord --debug ...` for the traceback, and report it.",
                1,
            )
            raise typer.Exit(1) from None


def _is_usage_error(ex: Exception) -> bool:
    return hasattr(ex, "format_message") and hasattr(ex, "exit_code")


def _report(message: str, exit_code: int) -> None:
    if _state["json"]:
        print_json_error(message, exit_code)
    else:
        err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


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
        from .. import __version__

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
