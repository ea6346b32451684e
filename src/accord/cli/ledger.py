"""`accord ledger verify --hub URL`: check a hub's ledger from outside, without its database."""

import typer

from ._console import out, print_json
from .hub import HubOption, JsonFlag, TokenOption, client

ledger_app = typer.Typer(help="Verify a hub's hash-chained ledger remotely.", no_args_is_help=True)


@ledger_app.command("verify")
def verify_command(
    expect_head: list[str] = typer.Option(
        [], "--expect-head", help="A head hash seen earlier that must still be in the chain."
    ),
    hub_key: str | None = typer.Option(
        None, "--hub-key", help="The hub's ledger key id (ed25519:...) the head must be signed by."
    ),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Fetch every ledger entry over the API and recompute the hash chain here.

    The head the hub signs must verify and be in the chain, and so must every --expect-head
    you kept (e.g. a results response's `ledger_checkpoint.hash`): that catches a chain cut
    at its end. Pin the hub's key with --hub-key (printed by the first run). Exits 1 naming
    the first broken entry. Operators with the database use `accord hub ledger verify --db`.

    Example: `accord ledger verify --hub https://hub.example --expect-head sha256:9f2c...`
    """
    from ..hub import verify_remote_ledger

    check = verify_remote_ledger(client(hub, token), list(expect_head), hub_key)
    if json_output:
        print_json(check)
    elif check["ok"]:
        head = check["signed_head"]
        out.print(
            f"[green]ledger intact[/]: {check['entries']} entries, head {check['head']}; "
            f"head {head['seq']} signed by the hub's key {head['key_id']}",
            highlight=False,
        )
    else:
        out.print(
            f"[red]ledger broken[/] at entry {check['first_broken']}: {check['reason']}",
            highlight=False,
        )
    if not check["ok"]:
        raise typer.Exit(1)


@ledger_app.command("show")
def show_command(
    after: int = typer.Option(0, "--after", min=0, help="Entries after this sequence number."),
    limit: int = typer.Option(100, "--limit", min=1, max=10000, help="At most this many."),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """List ledger entries in order (signed-in members).

    Example: `accord ledger show --after 120 --limit 20`
    """
    from ._console import Column, print_table

    rows = client(hub, token).call("GET", "/ledger", params={"after": after, "limit": limit})
    if json_output:
        print_json(rows)
        return
    print_table(
        [
            Column("seq", id=True, justify="right"),
            Column("at", id=True),
            Column("kind", id=True),
            Column("subject", id=True),
            Column("actor", id=True),
            Column("hash", id=True),
        ],
        [[e["seq"], e["at"], e["kind"], e["subject"], e["actor"], e["hash"]] for e in rows],
        title="Ledger",
    )


@ledger_app.command("head")
def head_command(
    hub: str | None = HubOption, token: str | None = TokenOption, json_output: bool = JsonFlag
) -> None:
    """The ledger head signed by the hub's key: keep it, check it later with --expect-head.

    Example: `accord ledger head --json > head-2026-11-28.json`
    """
    from .hub import _show

    _show(client(hub, token).call("GET", "/ledger/head"), json_output)
