"""`accord hub admin-token | backup | restore | onboard`: operating a hub."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from .._util import InputError
from ._console import Column, err, out, print_json, print_table
from ._options import parse_time
from .hub import DataOption, DbOption, HubOption, JsonFlag, TokenOption, client


def admin_token_command(
    db: str = DbOption,
    data: Path = DataOption,
    email: str | None = typer.Option(
        None, "--email", help="The hub admin [default: the only one]."
    ),
    create: bool = typer.Option(
        False, "--create", help="Make --email a new hub admin if they are not a member."
    ),
    keep_old: bool = typer.Option(
        False, "--keep-old", help="Do not revoke the admin's earlier tokens."
    ),
    json_output: bool = JsonFlag,
) -> None:
    """Issue a new hub-admin token with direct database access (a lost token's recovery).

    Revokes the admin's earlier tokens unless --keep-old. Recorded in the audit log and on
    the ledger, so the partners can see it happened. The token is printed once.

    Example: `accord hub admin-token --db postgresql://accord@db/accord --email ops@aisi.example`
    """
    from ..hub import open_hub, recover_admin_token

    member, issued, revoked = recover_admin_token(
        open_hub(db, data), email, create=create, revoke_old=not keep_old
    )
    if json_output:
        print_json(
            {"member_id": member.id, "email": member.email, "token_id": issued.id}
            | {"token": issued.token, "revoked": revoked}
        )
        return
    err.print(
        f"new token {issued.id} for hub admin {member.email} ({member.id}); "
        f"{revoked} earlier token(s) revoked; recorded on the ledger. Shown once:"
    )
    out.print(issued.token, highlight=False)


def backup_command(
    db: str = DbOption,
    data: Path = DataOption,
    output: Path = typer.Option(..., "--output", "-o", help="The backup file to write."),
    method: str | None = typer.Option(
        None,
        "--method",
        help="sqlite, pg_dump or logical [default: sqlite for SQLite; pg_dump if installed].",
    ),
    json_output: bool = JsonFlag,
) -> None:
    """Back up a hub (database and data directory with its bundles) into one file.

    Safe while the hub serves. See docs/hub.md for the recovery-point trade-offs.

    Example: `accord hub backup --db accord-hub/hub.db --data accord-hub -o hub-2026-11-28.tar`
    """
    from ..hub import backup_hub

    if method not in (None, "sqlite", "pg_dump", "logical"):
        raise InputError(f"--method '{method}': use sqlite, pg_dump or logical")
    info = backup_hub(db, data, output, method)  # type: ignore[arg-type]
    if json_output:
        print_json(info.__dict__ | {"path": str(info.path)})
        return
    out.print(
        f"[green]backed up[/] to {info.path} ({info.method}; {info.blobs} bundles)",
        highlight=False,
    )


def restore_command(
    backup: Path = typer.Argument(..., help="A file from `accord hub backup`.", show_default=False),
    db: str = DbOption,
    data: Path = DataOption,
    force: bool = typer.Option(
        False, "--force", help="Replace an existing SQLite file and data directory."
    ),
    json_output: bool = JsonFlag,
) -> None:
    """Restore a hub from a backup into an empty database, then verify its ledger.

    Exits 1 if the restored ledger does not verify against the restored checkpoint.

    Example: `accord hub restore hub-2026-11-28.tar --db accord-hub/hub.db --data accord-hub`
    """
    from ..hub import restore_hub

    check = restore_hub(backup, db, data, force=force)
    if json_output:
        print_json(check.__dict__)
    elif check.ok:
        out.print(f"[green]restored[/]: ledger intact, {check.entries} entries, head {check.head}")
    else:
        out.print(
            f"[red]restored, but the ledger is broken[/] at {check.first_broken}: {check.reason}"
        )
    if not check.ok:
        raise typer.Exit(1)


def onboard_command(
    protocol: Path = typer.Argument(..., help="The protocol YAML file.", show_default=False),
    admins: Path = typer.Option(
        ..., "--admins", help="YAML: <partner id>: {email: ..., name: ...} for every partner."
    ),
    tokens_dir: Path | None = typer.Option(
        None, "--tokens-dir", help="Write each invitation to <dir>/<partner>.token (mode 0600)."
    ),
    expires: str | None = typer.Option(
        None, "--expires", help="When invitations expire [default: in 14 days]."
    ),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Onboard a protocol's partners: institutes, first admins, invitation tokens, the exercise.

    Needs a hub-admin token. The exercise is created as a draft. Invitation tokens (admin
    scope, expiring) are shown once, or written to --tokens-dir; each admin should mint a
    token of their own with it and revoke the invitation. Re-running skips what exists.

    Example: `accord hub onboard protocol.yaml --admins admins.yaml --tokens-dir invitations/`
    """
    from ..hub import onboard, read_admins
    from ..protocol import load_protocol

    loaded = load_protocol(protocol, resolve_tasks=False).protocol
    people = read_admins(admins, loaded)
    expiry = parse_time(expires, "--expires") or datetime.now(UTC) + timedelta(days=14)
    if tokens_dir is not None:
        tokens_dir.mkdir(parents=True, exist_ok=True)
    done = onboard(client(hub, token), loaded, protocol.read_text(encoding="utf-8"), people, expiry)
    rows = []
    for invite in done.invitations:
        shown = invite.token
        if invite.token is not None and tokens_dir is not None:
            path = tokens_dir / f"{invite.partner}.token"
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as stream:
                stream.write(invite.token + "\n")
            shown = str(path)
        rows.append(invite.__dict__ | {"token": shown})
    if json_output:
        print_json({**done.__dict__, "invitations": rows})
        return
    created = ", ".join(done.institutes_created) or "none (all existed)"
    err.print(f"institutes created: {created}")
    print_table(
        [
            Column("partner", id=True),
            Column("admin", id=True),
            Column("member", id=True),
            Column("invitation", id=True),
            Column("expires", id=True),
        ],
        [
            [r["partner"], r["email"], r["member_id"], r["token"] or "(existing)", r["expires_at"]]
            for r in rows
        ],
        title="Invitations (shown once)" if tokens_dir is None else "Invitations",
    )
    state = "created as a draft" if done.exercise_created else "already existed"
    out.print(f"exercise {done.exercise} {state}; open it with `accord exercise open`")
