"""The `accord` command line."""

from . import agreement, review
from ._app import app
from .adopt import adopt_command
from .analyze import analyze_command
from .bundle import bundle_app
from .demo import demo
from .exercise import exercise_app, results_command, submit_command
from .fetch import fetch_command
from .hub import hub_app
from .keys import keys_app
from .ledger import ledger_app
from .operator import admin_token_command, backup_command, onboard_command, restore_command
from .package import package_app
from .package_hub import attach_package_command
from .people import secondments_command, whoami_command
from .plan import plan_command
from .protocol import protocol_app
from .run import run_app
from .scores import audit_command, scores_command, submissions_command
from .suites import suites_app
from .webhooks import webhooks_command

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
app.command("fetch")(fetch_command)
app.command("scores")(scores_command)
app.command("submissions")(submissions_command)
app.command("audit")(audit_command)
app.add_typer(ledger_app, name="ledger")
app.add_typer(package_app, name="package")
exercise_app.command("package")(attach_package_command)
hub_app.command("admin-token")(admin_token_command)
hub_app.command("backup")(backup_command)
hub_app.command("restore")(restore_command)
hub_app.command("onboard")(onboard_command)
hub_app.command("webhooks")(webhooks_command)
hub_app.command("whoami")(whoami_command)
hub_app.command("secondments")(secondments_command)
protocol_app.command("plan")(plan_command)
protocol_app.command("sign")(agreement.sign_protocol_command)
protocol_app.command("verify-signature")(agreement.verify_signature_command)
exercise_app.command("sign")(agreement.sign_exercise_command)
exercise_app.command("approve")(agreement.approve_command)
exercise_app.command("object")(agreement.object_command)
exercise_app.command("withdraw")(agreement.withdraw_command)
exercise_app.command("agreement")(agreement.agreement_command)
exercise_app.command("amend")(agreement.amend_command)
exercise_app.command("respond")(review.respond_command)
exercise_app.command("responses")(review.responses_command)

app.command("adopt")(adopt_command)


def main() -> None:
    """Entry point of the `accord` console script."""
    app()


__all__ = ["app", "main"]
