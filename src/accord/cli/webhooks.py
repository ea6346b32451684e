"""`accord hub webhooks`: an institute's notification endpoints and their delivery log."""

import typer

from ._console import Column, print_json, print_table
from .hub import HubOption, JsonFlag, TokenOption, _show, client


def webhooks_command(
    institute: str = typer.Argument(..., help="Institute id.", show_default=False),
    add: str | None = typer.Option(None, "--add", help="Subscribe this http(s) URL."),
    event: list[str] = typer.Option(
        [], "--event", help="With --add: only this event (repeat) [default: all]."
    ),
    exercise: str | None = typer.Option(
        None, "--exercise", help="With --add: only this exercise [default: all of its exercises]."
    ),
    disable: str | None = typer.Option(None, "--disable", help="Stop the webhook with this id."),
    deliveries: bool = typer.Option(False, "--deliveries", help="Show the delivery log."),
    limit: int = typer.Option(100, "--limit", min=1, max=1000, help="With --deliveries."),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """List, add or disable an institute's webhooks, or show their delivery log (its admins).

    Events: submission.accepted, submission.rejected, deviation.found, exercise.opened,
    exercise.closed, exercise.published, embargo.passed. Each POST is signed: check
    `X-Accord-Signature` = sha256=HMAC(secret, "<X-Accord-Timestamp>.<body>"). The secret
    is printed once, when the webhook is added.

    Example: `accord hub webhooks inst-a --add https://ops.a.example/hook --event exercise.closed`
    """
    api = client(hub, token)
    base = f"/institutes/{institute}/webhooks"
    if add:
        body: dict[str, object] = {"url": add, "exercise_id": exercise}
        if event:
            body["events"] = list(event)
        _show(api.call("POST", base, json=body), json_output)
        return
    if disable:
        _show(api.call("POST", f"{base}/{disable}/disable"), json_output)
        return
    if deliveries:
        rows = api.call(
            "GET", f"/institutes/{institute}/webhook-deliveries", params={"limit": limit}
        )
        if json_output:
            print_json(rows)
            return
        print_table(
            [
                Column("delivery", id=True, justify="right"),
                Column("webhook", id=True),
                Column("event", id=True),
                Column("subject", id=True),
                Column("attempts", justify="right"),
                Column("delivered", id=True),
                Column("last error", note=True),
            ],
            [
                [
                    *(d["id"], d["webhook_id"], d["event"], d["subject"], d["attempts"]),
                    d["delivered_at"] or ("given up" if d["given_up_at"] else "pending"),
                    d["last_error"],
                ]
                for d in rows
            ],
            title=f"Webhook deliveries of {institute}",
        )
        return
    rows = api.call("GET", base)
    if json_output:
        print_json(rows)
        return
    print_table(
        [
            Column("webhook", id=True),
            Column("url", id=True),
            Column("exercise", id=True),
            "events",
            Column("disabled", id=True),
        ],
        [
            [w["id"], w["url"], w["exercise_id"] or "all", ", ".join(w["events"]), w["disabled_at"]]
            for w in rows
        ],
        title=f"Webhooks of {institute}",
    )
