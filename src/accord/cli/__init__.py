"""The `accord` command line."""

from . import agreement
from ._app import app
from .analyze import analyze_command
from .bundle import bundle_app
from .demo import demo
from .exercise import exercise_app, results_command, submit_command
from .hub import hub_app
from .keys import keys_app
from .plan import plan_command
from .protocol import protocol_app
from .run import run_app
from .suites import suites_app

app.add_typer(protocol_app, name="protocol")
app.add_typer(run_app, name="run")
app.add_typer(keys_app, name="keys")
app.add_typer(bundle_app, name="bundle")
app.add_typer(hub_app, name="hub")
app.add_typer(suites_app, name="suites")
app.add_typer(exercise_app, name="exercise")
app.command("submit")(submit_command)
app.command("results")(results_command)
app.command("demo")(demo)
app.command("analyze")(analyze_command)
protocol_app.command("plan")(plan_command)
protocol_app.command("sign")(agreement.sign_protocol_command)
protocol_app.command("verify-signature")(agreement.verify_signature_command)
exercise_app.command("sign")(agreement.sign_exercise_command)
exercise_app.command("approve")(agreement.approve_command)
exercise_app.command("object")(agreement.object_command)
exercise_app.command("withdraw")(agreement.withdraw_command)
exercise_app.command("agreement")(agreement.agreement_command)
exercise_app.command("amend")(agreement.amend_command)


def main() -> None:
    """Entry point of the `accord` console script."""
    app()


__all__ = ["app", "main"]
