"""The `accord` command line."""

from ._app import app
from .bundle import bundle_app
from .demo import demo
from .keys import keys_app
from .protocol import protocol_app
from .run import run_app

app.add_typer(protocol_app, name="protocol")
app.add_typer(run_app, name="run")
app.add_typer(keys_app, name="keys")
app.add_typer(bundle_app, name="bundle")
app.command("demo")(demo)


def main() -> None:
    """Entry point of the `accord` console script."""
    app()


__all__ = ["app", "main"]
