"""`accord hub`: run and administer a hub (server side, and admin calls over HTTP)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .._util import InputError, OperationError
from ._console import Column, cell, err, out, print_json, print_table
from ._options import check_hub_settings, parse_time, passphrase_from_env

if TYPE_CHECKING:
    from ..hub import HubClient

hub_app = typer.Typer(help="Run a hub and administer it.", no_args_is_help=True)
DbOption = typer.Option("accord-hub/hub.db", "--db", help="SQLite file path or postgresql:// URL.")
DataOption = typer.Option(Path("accord-hub"), "--data", help="Directory for stored bundles.")
HubOption = typer.Option(None, "--hub", help="Hub URL [env ACCORD_HUB_URL].")
TokenOption = typer.Option(None, "--token", help="API token [env ACCORD_TOKEN].")
JsonFlag = typer.Option(False, "--json", help="Print JSON on stdout.")


def client(hub: str | None, token: str | None) -> HubClient:
    """A client from flags, environment or config file."""
    from ..hub import HubClient, hub_settings

    url, secret = hub_settings(hub, token)
    check_hub_settings(url, token)
    return HubClient(url, secret)


@hub_app.command("init")
def init(
    db: str = DbOption,
    data: Path = DataOption,
    admin_email: str = typer.Option("admin@hub.local", "--admin-email", help="The first admin."),
    institute: str = typer.Option("hub", "--institute", help="Id of the hub operators' institute."),
    name: str = typer.Option("Hub operators", "--name", help="Its name."),
    json_output: bool = JsonFlag,
) -> None:
    """Create the database and the first hub admin; print the admin's token once.

    Example: `accord hub init --db postgresql://accord@db/accord --admin-email ops@aisi.example`
    """
    from ..hub import open_hub

    hub = open_hub(db, data)
    member, issued = hub.bootstrap(institute, name, admin_email)
    if json_output:
        print_json({"database": db, "admin_id": member.id, "token": issued.token})
        return
    err.print(f"hub ready: database {db}, bundles in {data}; admin {member.email} ({member.id})")
    err.print("the admin token is shown once; store it (e.g. export ACCORD_TOKEN=...):")
    out.print(issued.token, highlight=False)


@hub_app.command("migrate")
def migrate_command(db: str = DbOption) -> None:
    """Create or upgrade the database schema to the current version.

    Example: `accord hub migrate --db accord-hub/hub.db`
    """
    from ..store import make_engine, migrate

    migrate(make_engine(db))
    err.print(f"schema of {db} is current")


@hub_app.command("serve")
def serve(
    db: str = DbOption,
    data: Path = DataOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(
        1, "--workers", min=1, help="Worker processes (PostgreSQL recommended for more than 1)."
    ),
) -> None:
    """Serve the hub (web interface at /, API at /api/v1, OpenAPI at /docs); deliver webhooks.

    Behind a TLS-terminating proxy set ACCORD_HUB_SECURE_COOKIES=1 so session cookies are
    marked Secure.

    Example: `accord hub serve --db accord-hub/hub.db --port 8000`
    (or `--db postgresql://... --workers 4`: see docs/deployment.md)
    """
    import uvicorn

    from ..hub import WebhookDispatcher, create_app, open_hub

    hub = open_hub(db, data)
    dispatcher = WebhookDispatcher(hub.deliver_due).start()  # webhooks from the outbox
    shown = f"[{host}]" if ":" in host else host
    err.print(f"web interface: http://{shown}:{port}/  (API: http://{shown}:{port}/api/v1)")
    try:
        if workers > 1:
            from ..hub._serve import run_workers

            run_workers(db, data, host, port, workers)
        else:
            uvicorn.run(create_app(hub), host=host, port=port, log_level="info")
    finally:
        dispatcher.stop()


ledger_app = typer.Typer(help="The hub's hash-chained ledger.", no_args_is_help=True)
hub_app.add_typer(ledger_app, name="ledger")


@ledger_app.command("verify")
def ledger_verify(
    db: str = DbOption,
    data: Path = DataOption,
    expect_head: list[str] = typer.Option(
        [], "--expect-head", help="A head hash seen earlier that must still be in the chain."
    ),
    json_output: bool = JsonFlag,
) -> None:
    """Recompute the ledger's hash chain in the database; exit 1 naming the first broken entry.

    A chain cut at its end is still a valid chain: this also checks that it holds the hub's
    checkpoint (in --data) and every --expect-head you kept (e.g. a results response's
    `ledger_checkpoint.hash`).

    Example: `accord hub ledger verify --db accord-hub/hub.db --expect-head sha256:9f2c...`
    """
    from ..store import make_engine, session_factory, transaction, verify_ledger

    checkpoint = data / "ledger-checkpoint.json"
    expected = list(expect_head)
    if checkpoint.is_file():
        try:
            expected.append(str(json.loads(checkpoint.read_text())["hash"]))
        except (ValueError, KeyError, TypeError):
            raise OperationError(
                f"{checkpoint} is unreadable; the ledger cannot be checked"
            ) from None
    with transaction(session_factory(make_engine(db))) as session:
        check = verify_ledger(session, expected)
    if json_output:
        print_json(check.__dict__)
    elif check.ok:
        out.print(f"[green]ledger intact[/]: {check.entries} entries, head {check.head}")
    else:
        out.print(f"[red]ledger broken[/] at entry {check.first_broken}: {check.reason}")
    if not check.ok:
        raise typer.Exit(1)


@hub_app.command("institutes")
def institutes(
    add: str | None = typer.Option(None, "--add", help="Register an institute with this id."),
    name: str | None = typer.Option(None, "--name", help="Its name (with --add)."),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """List institutes, or register one (hub admin).

    Example: `accord hub institutes --add inst-a --name "Institute A"`
    """
    api = client(hub, token)
    if add:
        _show(api.call("POST", "/institutes", json={"id": add, "name": name or add}), json_output)
        return
    rows = api.call("GET", "/institutes")
    _table(rows, ("id", "name", "created_at"), "Institutes", json_output)


@hub_app.command("members")
def members(
    institute: str = typer.Argument(..., help="Institute id.", show_default=False),
    add: str | None = typer.Option(None, "--add", help="Add a member with this email."),
    role: str = typer.Option(
        "evaluator", "--role", help="institute-admin, evaluator, observer or developer."
    ),
    name: str | None = typer.Option(None, "--name", help="Their name."),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """List an institute's members, or add one.

    Example: `accord hub members inst-a --add alice@inst-a.example --role evaluator`
    """
    api = client(hub, token)
    if add:
        body = {"email": add, "name": name or add, "role": role}
        _show(api.call("POST", f"/institutes/{institute}/members", json=body), json_output)
        return
    rows = api.call("GET", f"/institutes/{institute}/members")
    _table(rows, ("id", "email", "name", "role"), f"Members of {institute}", json_output)


@hub_app.command("token")
def token_command(
    member: str = typer.Argument(..., help="Member id.", show_default=False),
    scopes: str = typer.Option("read,write", "--scopes", help="Comma-separated: read,write,admin."),
    expires: str | None = typer.Option(None, "--expires", help="ISO time it expires."),
    revoke: str | None = typer.Option(
        None, "--revoke", help="Revoke the token with this id instead."
    ),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Create an API token for a member (printed once), or revoke one.

    Example: `accord hub token 3f2a... --scopes read,write --expires 2027-06-30`
    """
    api = client(hub, token)
    if revoke:
        _show(api.call("POST", f"/tokens/{revoke}/revoke"), json_output)
        return
    expiry = parse_time(expires, "--expires")
    body = {
        "scopes": [s.strip() for s in scopes.split(",") if s.strip()],
        "expires_at": expiry.isoformat() if expiry else None,
    }
    _show(api.call("POST", f"/members/{member}/tokens", json=body), json_output)


@hub_app.command("key")
def key_command(
    institute: str = typer.Argument(..., help="Institute id.", show_default=False),
    public_key: Path | None = typer.Option(None, "--add", help="Register this .pub.json file."),
    private_key: Path | None = typer.Option(
        None, "--private-key", help="With --add: its private key, to prove possession."
    ),
    passphrase_env: str | None = typer.Option(
        None, "--passphrase-env", help="Variable holding the private key's passphrase."
    ),
    challenge: str | None = typer.Option(
        None, "--challenge", help="With --add and --proof: the challenge signed offline."
    ),
    proof: str | None = typer.Option(
        None, "--proof", help="With --add: a proof from `accord keys prove` (offline signing)."
    ),
    challenge_for_key: bool = typer.Option(
        False, "--challenge-for-key", help="Print a challenge to sign with `accord keys prove`."
    ),
    revoke: str | None = typer.Option(None, "--revoke", help="Revoke the key with this id."),
    reason: str | None = typer.Option(None, "--reason", help="Why (with --revoke)."),
    valid_until: str | None = typer.Option(None, "--valid-until", help="ISO time the key expires."),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """List, register or revoke an institute's signing keys.

    Registering proves possession of the key: with --private-key the command fetches a
    challenge from the hub and signs it. For a key kept offline, get a challenge with
    `accord hub key ID --challenge-for-key`, sign it where the key is with `accord keys
    prove`, and pass --challenge and --proof.

    Example: `accord hub key inst-a --add keys/inst-a.pub.json --private-key keys/inst-a.key`
    """
    from ..identity import load_private_key, load_public_record

    api = client(hub, token)
    if challenge_for_key:
        _show(api.call("GET", f"/institutes/{institute}/keys/challenge"), json_output)
        return
    if public_key:
        record = load_public_record(public_key)
        until = parse_time(valid_until, "--valid-until")
        until_text = until.isoformat() if until else None
        if private_key is not None:
            key = load_private_key(private_key, passphrase_from_env(passphrase_env))
            _show(api.register_key(institute, record, key, until_text), json_output)
            return
        if not (challenge and proof):
            raise InputError(
                "registering a key needs proof of possession: pass --private-key, or "
                "--challenge and --proof from `accord keys prove`"
            )
        body = {
            "key": record.model_dump(mode="json"),
            "challenge": challenge,
            "proof": proof,
            "valid_until": until_text,
        }
        _show(api.call("POST", f"/institutes/{institute}/keys", json=body), json_output)
    elif revoke:
        _show(
            api.call(
                "POST", f"/institutes/{institute}/keys/{revoke}/revoke", json={"reason": reason}
            ),
            json_output,
        )
    else:
        rows = api.call("GET", f"/institutes/{institute}/keys")
        _table(
            rows,
            ("key_id", "valid_from", "valid_until", "revoked_at"),
            f"Keys of {institute}",
            json_output,
        )


@hub_app.command("second")
def second(
    member: str = typer.Argument(..., help="Member id to second.", show_default=False),
    host: str = typer.Option(..., "--host", help="Host institute id."),
    until: str = typer.Option(..., "--until", help="ISO time the secondment ends."),
    exercise: str | None = typer.Option(None, "--exercise", help="Limit to one exercise."),
    role: str = typer.Option("evaluator", "--role", help="Role at the host."),
    start: str | None = typer.Option(None, "--from", help="ISO start [default: now]."),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Second a member to a host institute's exercise(s) for a limited time.

    Example: `accord hub second 3f2a... --host inst-a --exercise refusal-pilot --until 2027-03-31`
    """
    from datetime import UTC

    starts = parse_time(start, "--from") or datetime.now(UTC)
    ends = parse_time(until, "--until")
    assert ends is not None
    body = {
        "member_id": member,
        "host_institute": host,
        "exercise_id": exercise,
        "role": role,
        "starts_at": starts.isoformat(),
        "ends_at": ends.isoformat(),
    }
    _show(client(hub, token).call("POST", "/secondments", json=body), json_output)


def _show(data: Any, json_output: bool) -> None:
    if json_output:
        print_json(data)
        return
    for key, value in data.items():
        shown = json.dumps(value) if isinstance(value, dict | list) else cell(value)
        out.print(f"{key}: {shown}", highlight=False, soft_wrap=True)


def _table(
    rows: list[dict[str, Any]], columns: tuple[str, ...], title: str, json_output: bool
) -> None:
    if json_output:
        print_json(rows)
        return
    ids = [Column(c, id=True) if c == "id" or c.endswith("_id") else c for c in columns]
    print_table(ids, [[row.get(c) for c in columns] for row in rows], title=title)
