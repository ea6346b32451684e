"""`accord bundle`: build, verify and inspect signed result bundles."""

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..bundle import BundleDocument, build_bundle, open_bundle, read_document, verify_bundle
from ..identity import load_private_key, read_keyring
from ..protocol import load_protocol, protocol_id
from ..run import file_digest
from ._console import err, out, print_json
from ._options import passphrase_from_env

bundle_app = typer.Typer(
    help="Build, verify and inspect signed result bundles.", no_args_is_help=True
)
JsonFlag = typer.Option(False, "--json", help="Print JSON on stdout instead of tables.")
BundlePath = typer.Argument(..., help="The bundle file (*.accord).", show_default=False)


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
    json_output: bool = JsonFlag,
) -> None:
    """Redact a finished run per the protocol's disclosure rules, pack it and sign it.

    Refuses (naming the place) when a credential would leave the institute.

    Example: `accord bundle build runs/ab12/inst-a --protocol protocol.yaml --key keys/inst-a.key`
    """
    private_key = load_private_key(key, passphrase_from_env(passphrase_env))
    built = build_bundle(run_dir, load_protocol(protocol), private_key, output, overwrite=force)
    if json_output:
        print_json({"path": str(built.path), "sha256": built.sha256, **_summary(built.document)})
        return
    err.print(f"signed with {built.document.key_id}")
    out.print(f"bundle: {built.path}\nsha256: {built.sha256}")


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
    expected = protocol_id(load_protocol(protocol).protocol) if protocol else None
    verified = verify_bundle(path, read_keyring(keyring), expected_protocol_id=expected)
    document = verified.document
    if json_output:
        print_json({"verified": True, "sha256": verified.sha256, **_summary(document)})
        return
    out.print(
        f"[green]verified[/]: {path} from {document.partner}, signed by {document.key_id} "
        f"at {document.created.isoformat()}"
    )
    out.print(f"sha256: {verified.sha256}")


@bundle_app.command("show")
def show(path: Path = BundlePath, json_output: bool = JsonFlag) -> None:
    """Summarise a bundle's contents (without verifying it; use `verify` for that).

    Example: `accord bundle show inst-a-4a75d09db987.accord`
    """
    with open_bundle(path) as opened:
        document, _, _ = read_document(opened)
    if json_output:
        print_json({"sha256": file_digest(path), **_summary(document)})
        return
    out.print(f"{path}  (not verified: run `accord bundle verify`)")
    out.print(
        f"partner {document.partner}, protocol {document.protocol_id}\n"
        f"created {document.created.isoformat()}, key {document.key_id}"
    )
    table = Table("task", "model", "disclosure", "samples", "bytes", "sha256")
    for member in document.members:
        record = document.run_manifest.log(member.task_id, member.model_id)
        table.add_row(
            member.task_id,
            member.model_id,
            member.disclosure,
            str(record.samples if record else "-"),
            str(member.size),
            member.sha256.removeprefix("sha256:")[:16],
        )
    out.print(table)


@bundle_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of bundle.json.

    Example: `accord bundle schema > bundle.schema.json`
    """
    print(json.dumps(BundleDocument.model_json_schema(), indent=2))


def _summary(document: BundleDocument) -> dict[str, Any]:
    return {
        "partner": document.partner,
        "protocol_id": document.protocol_id,
        "created": document.created.isoformat(),
        "key_id": document.key_id,
        "disclosure": document.disclosure,
        "members": [m.model_dump(mode="json") for m in document.members],
    }
