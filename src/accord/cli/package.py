"""`accord package`: build, sign, verify and unpack test packages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ._console import Column, err, out, print_json, print_table
from ._options import passphrase_from_env

if TYPE_CHECKING:
    from ..package import PackageManifest, PackageSignature, Signer, VerifiedPackage

package_app = typer.Typer(
    help="Test packages: a protocol with its tasks' code and data, content-addressed and "
    "signed by its authors, so every partner runs the same test and can prove it.",
    no_args_is_help=True,
)
JsonFlag = typer.Option(False, "--json", help="Print JSON on stdout instead of tables.")
PackagePath = typer.Argument(
    ...,
    help="The package file (*.accordpkg).",
    show_default=False,
    exists=True,
    dir_okay=False,
    metavar="PACKAGE",
)
KeyOption = typer.Option(None, "--key", help="Your institute's private key (.key), to sign.")
PartnerOption = typer.Option(
    None, "--partner", "-p", help="The partner the key belongs to [default: from its .pub.json]."
)
PassphraseOption = typer.Option(
    None, "--passphrase-env", help="Variable holding the private key's passphrase."
)
RequireOption = typer.Option(
    [], "--require-signer", help="A partner who must have signed (repeatable)."
)


@package_app.command("build")
def build(
    protocol_dir: Path = typer.Argument(
        ...,
        help="The protocol directory (holding protocol.yaml) or the protocol file.",
        show_default=False,
        exists=True,
    ),
    output: Path | None = typer.Option(
        None, "-o", "--out", help="Package file [default: <directory name>.accordpkg]."
    ),
    key: Path | None = KeyOption,
    partner: str | None = PartnerOption,
    passphrase_env: str | None = PassphraseOption,
    force: bool = typer.Option(False, "--force", help="Overwrite an existing package file."),
    seal_to: Path | None = typer.Option(
        None,
        "--seal-to",
        help="Keyring of the partners' keys: files of the tasks' `sealed:` patterns are "
        "encrypted to every partner's key in it.",
    ),
    json_output: bool = JsonFlag,
) -> None:
    """Pack a protocol with every local file its tasks import or read, and sign it.

    Collects the protocol, each file task's module and the local modules it imports, the
    files its code names (data, templates) and the task's `files:` patterns; registry
    tasks are pinned by distribution and version. The package digest is the SHA-256 of
    its manifest, so the same files always give the same digest.

    Example: `accord package build pilot/ -o pilot.accordpkg --key keys/inst-a.key`
    """
    from ..identity import read_keyring
    from ..package import build_package, default_package_path

    protocol = protocol_dir / "protocol.yaml" if protocol_dir.is_dir() else protocol_dir
    signer = _signer(key, partner, passphrase_env) if key else None
    built = build_package(
        protocol,
        output or default_package_path(protocol),
        signer=signer,
        seal_to=read_keyring(seal_to) if seal_to else None,
        overwrite=force,
    )
    if json_output:
        print_json({"path": str(built.path), "digest": built.digest, **_data(built.manifest)})
        return
    _print_manifest(built.manifest)
    if signer is None:
        err.print("[yellow]note[/]: unsigned; sign it with `accord package sign`")
    out.print(f"package: {built.path}\n{built.digest}", highlight=False)


@package_app.command("sign")
def sign(
    path: Path = PackagePath,
    key: Path = typer.Option(..., "--key", help="Your institute's private key (.key)."),
    partner: str | None = PartnerOption,
    passphrase_env: str | None = PassphraseOption,
    json_output: bool = JsonFlag,
) -> None:
    """Co-sign a package: add your signature over its digest (its content is unchanged).

    The files are checked against the manifest first; read them before you sign.

    Example: `accord package sign pilot.accordpkg --key keys/inst-b.key`
    """
    from ..package import sign_package

    signed = sign_package(path, _signer(key, partner, passphrase_env))
    signers = [s.partner for s in signed.signatures]
    if json_output:
        print_json({"path": str(path), "digest": signed.digest, "signers": signers})
        return
    out.print(f"signed {path} ({signed.digest}); signers: {', '.join(signers)}", highlight=False)


@package_app.command("verify")
def verify(
    path: Path = PackagePath,
    keyring: Path = typer.Option(..., "--keyring", help="Keyring of trusted partner keys."),
    require: list[str] = RequireOption,
    json_output: bool = JsonFlag,
) -> None:
    """Verify a package offline: every file's digest, the protocol, every signature.

    Exits 0 when it verifies, 2 with the exact reason (naming the file) when it does not.

    Example: `accord package verify pilot.accordpkg --keyring keyring.json --require-signer inst-a`
    """
    from ..identity import read_keyring
    from ..package import verify_package

    verified = verify_package(path, read_keyring(keyring), require=require)
    _report(verified, "verified", json_output)


@package_app.command("unpack")
def unpack(
    path: Path = PackagePath,
    directory: Path = typer.Argument(..., help="A new or empty directory.", show_default=False),
    keyring: Path | None = typer.Option(
        None, "--keyring", help="Also verify the signatures against this keyring."
    ),
    require: list[str] = RequireOption,
    key: Path | None = typer.Option(
        None, "--key", help="Your institute's private key, to open sealed data files."
    ),
    json_output: bool = JsonFlag,
) -> None:
    """Verify a package and write its protocol and files into DIRECTORY.

    Nothing is written unless every digest (and, with --keyring, every signature) checks.
    Sealed data files are written only when opened with --key.

    Example: `accord package unpack pilot.accordpkg pilot/ --keyring keyring.json`
    """
    from ..identity import load_private_key, read_keyring
    from ..package import unpack_package

    ring = read_keyring(keyring) if keyring else None
    private = load_private_key(key) if key else None
    verified = unpack_package(path, directory, ring, require=require, key=private)
    _report(verified, f"unpacked into {directory}", json_output)


@package_app.command("show")
def show(path: Path = PackagePath, json_output: bool = JsonFlag) -> None:
    """List a package's tasks, files and signers (digests checked; signatures not).

    Example: `accord package show pilot.accordpkg`
    """
    from ..package import verify_package

    verified = verify_package(path, None)
    if json_output:
        print_json(_verified_data(verified))
        return
    _print_manifest(verified.manifest)
    _report(verified, "files match their digests", False)


def package_run_protocol(
    path: Path, keyring: Path | None, key: Path | None, on_close: Callable[[Any], Any]
) -> Path:
    """The protocol file to run: `path` itself, or a verified package's, from the cache.

    Sealed data is opened with `key` into a private directory, removed by the callback
    handed to `on_close` (the command's `ctx.call_on_close`).

    Raises:
        InputError: When --keyring or --key is given for a plain protocol file.
    """
    from .._util import InputError
    from ..package import PACKAGE_SUFFIX, package_protocol

    if not path.name.endswith(PACKAGE_SUFFIX):
        if keyring is not None or key is not None:
            raise InputError("--keyring and --key apply to a test package (*.accordpkg)")
        return path
    from ..identity import load_private_key, read_keyring

    prepared = package_protocol(
        path,
        read_keyring(keyring) if keyring else None,
        key=load_private_key(key) if key else None,
    )
    on_close(prepared.close)
    _run_note(prepared.verified)
    return prepared.protocol


def _run_note(verified: VerifiedPackage) -> None:
    checked = "signatures verified" if verified.signatures_checked else "signatures NOT checked"
    err.print(
        f"package {verified.digest} ({checked}; signed by "
        f"{', '.join(verified.signers) or 'nobody'})",
        highlight=False,
    )
    for note in verified.notes:
        err.print(f"[yellow]note[/]: {note}", highlight=False)


def _signer(key: Path, partner: str | None, passphrase_env: str | None) -> Signer:
    from .._util import InputError
    from ..identity import load_private_key
    from ..package import Signer
    from ..run._manifest import utc_now
    from .bundle import key_partner

    private_key = load_private_key(key, passphrase_from_env(passphrase_env))
    found = key_partner(key, private_key)
    if partner is not None and found is not None and partner != found:
        raise InputError(f"{key} belongs to '{found}', not '{partner}'; drop --partner")
    chosen = partner or found
    if chosen is None:
        raise InputError(
            f"cannot tell whose key {key} is (no matching .pub.json beside it); add --partner ID"
        )
    return Signer(private_key, chosen, utc_now())


def _report(verified: VerifiedPackage, what: str, json_output: bool) -> None:
    if json_output:
        print_json({"verified": True, **_verified_data(verified)})
        return
    signed = ", ".join(_signed(s) for s in verified.signatures) or "nobody"
    checked = "" if verified.signatures_checked else " (signatures not checked: give --keyring)"
    out.print(
        f"[green]{what}[/]: {verified.path}, signed by {signed}{checked}",
        highlight=False,
        soft_wrap=True,
    )
    for note in verified.notes:
        err.print(f"[yellow]note[/]: {note}", highlight=False)
    out.print(verified.digest, highlight=False)


def _signed(signature: PackageSignature) -> str:
    return f"{signature.partner} ({signature.key_id}, {signature.signed_at.isoformat()})"


def _verified_data(verified: VerifiedPackage) -> dict[str, Any]:
    return {
        "path": str(verified.path),
        "digest": verified.digest,
        "signatures_checked": verified.signatures_checked,
        "signatures": [s.model_dump(mode="json") for s in verified.signatures],
        "notes": verified.notes,
        **_data(verified.manifest),
    }


def _data(manifest: PackageManifest) -> dict[str, Any]:
    return manifest.model_dump(mode="json")


def _print_manifest(manifest: PackageManifest) -> None:
    rows = []
    for task_id, code in manifest.tasks.items():
        if code.kind == "registry":
            rows.append([task_id, f"{code.distribution} {code.version}", code.digest])
        else:
            rows.append([task_id, f"{len(code.files)} files", code.digest])
    print_table(
        [Column("task", id=True), "code", Column("code digest", id=True)],
        rows,
        title=f"{manifest.protocol_name} ({manifest.protocol_id})",
    )
    print_table(
        [Column("file", id=True), Column("bytes", justify="right"), Column("sha256", id=True)],
        [[name, f.size, f.sha256] for name, f in manifest.files.items()],
    )
