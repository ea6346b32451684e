"""`accord hub whoami` and `accord hub secondments`: who you are, who is seconded where."""

import typer

from ._console import Column, print_json, print_table
from .hub import HubOption, JsonFlag, TokenOption, _show, client


def whoami_command(
    hub: str | None = HubOption, token: str | None = TokenOption, json_output: bool = JsonFlag
) -> None:
    """Who the token is: member, institute, role, scopes and active secondments.

    Example: `accord hub whoami`
    """
    _show(client(hub, token).call("GET", "/me"), json_output)


def secondments_command(
    institute: str = typer.Argument(..., help="Host institute id.", show_default=False),
    revoke: str | None = typer.Option(None, "--revoke", help="End the secondment with this id."),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """List the secondments an institute hosts, or end one (grant with `accord hub second`).

    Example: `accord hub secondments inst-a --revoke 7c1e...`
    """
    api = client(hub, token)
    if revoke:
        _show(api.call("POST", f"/secondments/{revoke}/revoke"), json_output)
        return
    rows = api.call("GET", f"/institutes/{institute}/secondments")
    if json_output:
        print_json(rows)
        return
    print_table(
        [
            Column("secondment", id=True),
            Column("member", id=True),
            Column("exercise", id=True),
            "role",
            Column("ends", id=True),
            Column("revoked", id=True),
        ],
        [
            [
                *(s["id"], s["member_id"], s["exercise_id"] or "all", s["role"]),
                *(s["ends_at"], s["revoked_at"]),
            ]
            for s in rows
        ],
        title=f"Secondments hosted by {institute}",
    )
