"""`accord bundle`: build, verify and inspect signed result bundles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ._console import Column, err, out, print_json, print_table
from ._options import passphrase_from_env

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ..bundle import BundleDocument

bundle_app = typer.Typer(
    help="Build, verify and inspect signed result bundles.", no_args_is_help=True
)
JsonFlag = typer.Option(False, "--json", help="Print JSON on stdout instead of tables.")
BundlePath = typer.Argument(
    ...,
    help="The bundle file (*.accord).",
    show_default=False,
    exists=True,
    dir_okay=False,
    metavar="BUNDLE",
)


@bundle_app.command("build")
def build(
    run_dir: Path = typer.Argument(..., help="The run directory.", show_default=False),
    protocol: Path = typer.Option(..., "--protocol", help="The protocol the run followed."),
    key: Path = typer.Option(..., "--key", help="Your institute's private key (.key)."),
    output: Path | None = typer.Option(
        None, "-o", "--out", help="Bundle file [default: <partner>-<protocol short id>.accord]."
    ),
    passphrase_env: str | None = typer.Option(
        None, "--passphrase-env", help="Variable holding the private key's passphrase."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing bundle file."),
    allow_partial: bool = typer.Option(
        False,
        "--allow-partial",
        help="Also bundle a trial run made with `accord run --limit` (the bundle says so).",
    ),
    json_output: bool = JsonFlag,
    signoffs: list[Path] = typer.Option(
        [],
        "--signoff",
        help="A partner's sign-off of the protocol (`accord protocol sign`) to carry in the "
        "bundle; repeat for each partner.",
    ),
) -> None:
    """Redact a finished run per the protocol's disclosure rules, pack it and sign it.

    Refuses (naming the place) when a credential would leave the institute, when the key
    is another partner's, and when the run was a trial with --limit (unless --allow-partial).

    Example: `accord bundle build runs/ab12/inst-a --protocol protocol.yaml --key keys/inst-a.key`
    """
    from ..bundle import build_bundle
    from ..identity import load_private_key, read_act
    from ..protocol import load_protocol

    private_key = load_private_key(key, passphrase_from_env(passphrase_env))
    built = build_bundle(
        run_dir,
        load_protocol(protocol),
        private_key,
        output,
        overwrite=force,
        allow_partial=allow_partial,
        key_partner=key_partner(key, private_key),
        signoffs=[read_act(path) for path in signoffs],
    )
    if json_output:
        print_json({"path": str(built.path), "sha256": built.sha256, **_summary(built.document)})
        return
    err.print(f"signed with {built.document.key_id}")
    if built.document.run_manifest.partial:
        err.print(f"[yellow]note[/]: a trial bundle ({_trial(built.document)})")
    out.print(f"bundle: {built.path}\n{built.sha256}", highlight=False)


def key_partner(key: Path, private_key: Ed25519PrivateKey) -> str | None:
    """The partner a private key belongs to, from the `.pub.json` written beside it.

    `accord keys init` writes `<partner>.key` and `<partner>.pub.json`; None when there is no
    matching public key file (the check is then left to the hub and to verifiers).
    """
    from ..identity import key_id_of, load_public_record

    public = key.with_name(key.name.removesuffix(".key") + ".pub.json")
    if not public.is_file():
        return None
    record = load_public_record(public)
    return record.partner if record.key_id == key_id_of(private_key.public_key()) else None


def _trial(document: BundleDocument) -> str:
    return f"ran with {document.run_manifest.options.trial}"


@bundle_app.command("verify")
def verify(
    path: Path = BundlePath,
    keyring: Path = typer.Option(..., "--keyring", help="Keyring of trusted partner keys."),
    protocol: Path | None = typer.Option(
        None, "--protocol", help="Also check that the bundle is for this protocol."
    ),
    json_output: bool = JsonFlag,
) -> None:
    """Verify a bundle offline: signature, key validity, every member, the protocol id.

    Exits 0 when it verifies, 1 with the exact reason when it does not.

    Example: `accord bundle verify inst-b-ab12.accord --keyring keyring.json --protocol p.yaml`
    """
    from ..bundle import verify_bundle
    from ..identity import read_keyring
    from ..protocol import load_protocol, protocol_id

    expected = protocol_id(load_protocol(protocol).protocol) if protocol else None
    verified = verify_bundle(path, read_keyring(keyring), expected_protocol_id=expected)
    document = verified.document
    if json_output:
        print_json({"verified": True, "sha256": verified.sha256, **_summary(document)})
        return
    out.print(
        f"[green]verified[/]: {path} from {document.partner}, signed by {document.key_id} "
        f"at {document.created.isoformat()}",
        highlight=False,
    )
    if document.run_manifest.partial:
        out.print(f"[yellow]trial bundle[/]: {_trial(document)}")
    for act in document.signoffs:
        out.print(
            f"signed off: {act.partner} at {act.signed_at.isoformat()} (key {act.key_id})",
            highlight=False,
        )
    out.print(verified.sha256, highlight=False)


@bundle_app.command("show")
def show(path: Path = BundlePath, json_output: bool = JsonFlag) -> None:
    """Summarise a bundle's contents (without verifying it; use `verify` for that).

    Example: `accord bundle show inst-a-4a75d09db987.accord`
    """
    from ..bundle import open_bundle, read_document
    from ..run import file_digest

    with open_bundle(path) as opened:
        document, _, _ = read_document(opened)
    if json_output:
        print_json({"sha256": file_digest(path), **_summary(document)})
        return
    out.print(f"{path}  (not verified: run `accord bundle verify`)", highlight=False)
    out.print(
        f"partner {document.partner}, protocol {document.protocol_id}\n"
        f"created {document.created.isoformat()}, key {document.key_id}",
        highlight=False,
    )
    if document.run_manifest.partial:
        out.print(f"[yellow]trial bundle[/]: {_trial(document)}")
    rows = []
    for member in document.members:
        record = document.run_manifest.log(member.task_id, member.model_id)
        rows.append(
            [
                member.task_id,
                member.model_id,
                member.disclosure,
                record.samples if record else None,
                member.size,
                member.sha256,
            ]
        )
    print_table(
        [
            Column("task", id=True),
            Column("model", id=True),
            "disclosure",
            Column("samples", justify="right"),
            Column("bytes", justify="right"),
            Column("sha256", id=True),
        ],
        rows,
    )


@bundle_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of bundle.json.

    Example: `accord bundle schema > bundle.schema.json`
    """
    from ..bundle import BundleDocument

    print(json.dumps(BundleDocument.model_json_schema(), indent=2))


def _summary(document: BundleDocument) -> dict[str, Any]:
    return {
        "partner": document.partner,
        "protocol_id": document.protocol_id,
        "created": document.created.isoformat(),
        "key_id": document.key_id,
        "disclosure": document.disclosure,
        "trial_limit": document.run_manifest.options.limit,
        "members": [m.model_dump(mode="json") for m in document.members],
        "signoffs": [a.model_dump(mode="json") for a in document.signoffs],
    }
