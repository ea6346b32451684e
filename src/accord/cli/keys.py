"""`accord keys`: institute signing keys and keyrings of partners' public keys."""

from datetime import UTC, datetime
from pathlib import Path

import typer

from ._console import Column, err, out, print_json, print_table
from ._options import parse_time, passphrase_from_env

keys_app = typer.Typer(
    help="Create signing keys; manage the keyring of partners' public keys.", no_args_is_help=True
)
KeyringOption = typer.Option(Path("keyring.json"), "--keyring", help="The keyring file.")


@keys_app.command("init")
def init(
    partner: str = typer.Option(..., "--partner", help="Your institute's partner id."),
    out_dir: Path = typer.Option(Path("keys"), "--out", help="Directory for the key files."),
    passphrase_env: str | None = typer.Option(
        None,
        "--passphrase-env",
        help="Encrypt the private key with the passphrase in this variable.",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Create an Ed25519 key pair: PARTNER.key (private, mode 0600) and PARTNER.pub.json.

    Share the .pub.json with partners; keep the .key on the machine that signs bundles.

    Example: `ACCORD_PASS=... accord keys init --partner inst-a --passphrase-env ACCORD_PASS`
    """
    from ..identity import write_key_pair

    files = write_key_pair(partner, out_dir, datetime.now(UTC), passphrase_from_env(passphrase_env))
    if json_output:
        print_json(
            {
                "partner": partner,
                "key_id": files.record.key_id,
                "private_key": str(files.private_key),
                "public_key": str(files.public_key),
            }
        )
        return
    err.print(f"private key: {files.private_key} (mode 0600; never share it)")
    err.print(f"public key:  {files.public_key} (share it with partners)")
    out.print(f"key id: {files.record.key_id}", highlight=False, soft_wrap=True)


@keys_app.command("prove")
def prove(
    private_key: Path = typer.Option(..., "--key", help="The private key file."),
    institute: str = typer.Option(..., "--institute", help="The institute registering it."),
    challenge: str = typer.Option(..., "--challenge", help="The hub's challenge."),
    passphrase_env: str | None = typer.Option(
        None, "--passphrase-env", help="Variable holding the key's passphrase."
    ),
) -> None:
    """Sign a hub's key-registration challenge, proving you hold the key (prints the proof).

    Example: `accord keys prove --key keys/inst-a.key --institute inst-a --challenge v1.17...`
    """
    from ..identity import key_id_of, load_private_key, prove_possession

    key = load_private_key(private_key, passphrase_from_env(passphrase_env))
    err.print(f"key id: {key_id_of(key.public_key())}")
    out.print(prove_possession(key, institute, challenge), highlight=False)


@keys_app.command("add")
def add(
    public_key: Path = typer.Argument(..., help="A partner's .pub.json file.", show_default=False),
    keyring: Path = KeyringOption,
    valid_from: str | None = typer.Option(
        None, "--valid-from", help="ISO date/time the key may sign from [default: its creation]."
    ),
    valid_until: str | None = typer.Option(
        None, "--valid-until", help="ISO date/time the key stops being valid [default: never]."
    ),
) -> None:
    """Trust a partner's public key in a keyring (created if missing).

    Example: `accord keys add keys/inst-b.pub.json --keyring keyring.json --valid-until 2027-12-31`
    """
    from ..identity import load_public_record, read_keyring, write_keyring

    record = load_public_record(public_key)
    ring = read_keyring(keyring, missing_ok=True)
    start = parse_time(valid_from, "--valid-from") or record.created
    entry = ring.add(record, start, parse_time(valid_until, "--valid-until"))
    write_keyring(keyring, ring)
    err.print(f"added {entry.key.key_id} ({entry.key.partner}) to {keyring}")


@keys_app.command("revoke")
def revoke(
    key_id: str = typer.Argument(..., help="The key id to revoke.", show_default=False),
    keyring: Path = KeyringOption,
    at: str | None = typer.Option(None, "--at", help="ISO time of revocation [default: now]."),
    reason: str | None = typer.Option(None, "--reason", help="Why, for the record."),
) -> None:
    """Revoke a key: bundles it signed from then on are no longer trusted.

    Example: `accord keys revoke ed25519:1f2e... --reason "laptop lost"`
    """
    from ..identity import read_keyring, write_keyring

    ring = read_keyring(keyring)
    when = parse_time(at, "--at") or datetime.now(UTC)
    entry = ring.revoke(key_id, when, reason)
    write_keyring(keyring, ring)
    err.print(f"revoked {entry.key.key_id} ({entry.key.partner}) from {when.isoformat()}")


@keys_app.command("list")
def list_keys(
    keyring: Path = KeyringOption,
    json_output: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """List the keys in a keyring with their validity.

    Example: `accord keys list --keyring keyring.json`
    """
    from ..identity import read_keyring

    ring = read_keyring(keyring)
    if json_output:
        print_json(ring.model_dump(mode="json"))
        return
    rows = [
        [
            entry.key.partner,
            entry.key.key_id,
            entry.valid_from.isoformat(),
            entry.valid_until.isoformat() if entry.valid_until else None,
            entry.revoked_at.isoformat() if entry.revoked_at else None,
            entry.revocation_reason,
        ]
        for entry in ring.keys
    ]
    columns: list[Column | str] = [Column("partner", id=True), Column("key id", id=True)]
    columns += ["valid from", "valid until"]
    print_table([*columns, "revoked", Column("reason", note=True)], rows, title=str(keyring))
