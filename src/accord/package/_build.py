"""Building a test package from a protocol directory, and co-signing one."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .._util import canonical_json, sha256_hex
from ..identity import key_id_of, sign
from ..protocol import FileTaskRef, load_protocol, parse_task_ref, protocol_id
from ..run import task_code, task_files
from ..run._code import relative_path
from ._archive import PackageLimits, write_package_archive
from ._errors import PackageError
from ._format import (
    FILES_PREFIX,
    MANIFEST_NAME,
    PACKAGE_SUFFIX,
    SIGNATURES_NAME,
    PackageFile,
    PackageManifest,
    PackageSignature,
    PackageSignatures,
    manifest_bytes,
    package_digest,
    signing_message,
)
from ._verify import read_verified


@dataclass(frozen=True)
class BuiltPackage:
    """A package written by `build_package` or `sign_package`."""

    path: Path
    digest: str
    manifest: PackageManifest
    signatures: list[PackageSignature]


@dataclass(frozen=True)
class Signer:
    """A private key and the partner it belongs to, with the time of signing."""

    key: Ed25519PrivateKey
    partner: str
    at: datetime


def build_package(
    protocol_path: Path,
    output: Path,
    *,
    signer: Signer | None = None,
    overwrite: bool = False,
    limits: PackageLimits | None = None,
) -> BuiltPackage:
    """Pack a protocol with every local file its file tasks use; sign it if `signer` is given.

    Raises:
        InputError: When the protocol is invalid, a task uses a file outside the protocol's
            directory, a `files:` pattern matches nothing, or `output` exists (and not
            `overwrite`).
    """
    limits = limits or PackageLimits()
    _check_output(output, overwrite)
    loaded = load_protocol(protocol_path)
    root = loaded.base_dir
    protocol = loaded.protocol
    used = {loaded.path.resolve()}
    for task in protocol.tasks:
        ref = parse_task_ref(task.task, root)
        if isinstance(ref, FileTaskRef):
            used |= set(task_files(root, ref, task))
    contents: dict[str, bytes] = {}
    for path in sorted(used):
        name = relative_path(root, path, "(package)")
        if path.stat().st_size > limits.max_member_bytes:
            raise PackageError(
                f"{name} is {path.stat().st_size} bytes, over the package member limit of "
                f"{limits.max_member_bytes}"
            )
        contents[name] = path.read_bytes()
    manifest = PackageManifest(
        protocol=relative_path(root, loaded.path.resolve(), "(package)"),
        protocol_id=protocol_id(protocol),
        protocol_name=protocol.name,
        files={
            name: PackageFile(sha256="sha256:" + sha256_hex(data), size=len(data))
            for name, data in contents.items()
        },
        tasks={task.id: task_code(root, task) for task in protocol.tasks},
    )
    raw = manifest_bytes(manifest)
    digest = package_digest(raw)
    signatures = [signature(digest, signer)] if signer else []
    _write(output, raw, signatures, contents)
    return BuiltPackage(output, digest, manifest, signatures)


def sign_package(
    path: Path, signer: Signer, *, limits: PackageLimits | None = None
) -> BuiltPackage:
    """Add `signer`'s signature to a package (its digest, and so its content, is unchanged).

    The package's files are checked against its manifest first: nobody co-signs a package
    that was altered.

    Raises:
        PackageError: When the package fails its digest checks, or this key signed it already.
    """
    with read_verified(path, None, limits=limits) as (opened, verified):
        key_id = key_id_of(signer.key.public_key())
        if any(s.key_id == key_id for s in verified.signatures):
            raise PackageError(f"key {key_id} ({signer.partner}) has already signed {path}")
        signatures = [*verified.signatures, signature(verified.digest, signer)]
        contents = {
            name.removeprefix(FILES_PREFIX): opened.member(name).read_bytes()
            for name in opened.names
            if name.startswith(FILES_PREFIX)
        }
        raw = opened.member(MANIFEST_NAME).read_bytes()
    _write(path, raw, signatures, contents)
    return BuiltPackage(path, verified.digest, verified.manifest, signatures)


def signature(digest: str, signer: Signer) -> PackageSignature:
    """`signer`'s signature over a package digest."""
    message = signing_message(digest, signer.partner, signer.at)
    return PackageSignature(
        partner=signer.partner,
        key_id=key_id_of(signer.key.public_key()),
        signed_at=signer.at,
        signature=sign(signer.key, message),
    )


def default_package_path(protocol_path: Path) -> Path:
    """`<protocol directory name>.accordpkg` in the current directory."""
    return Path(protocol_path.resolve().parent.name + PACKAGE_SUFFIX)


def _check_output(output: Path, overwrite: bool) -> None:
    if output.exists() and not overwrite:
        raise PackageError(f"{output} exists; choose another -o path or pass --force")
    if not output.name.endswith(PACKAGE_SUFFIX):
        raise PackageError(f"name the package *{PACKAGE_SUFFIX} (got {output.name})")


def _write(
    path: Path, raw: bytes, signatures: list[PackageSignature], contents: dict[str, bytes]
) -> None:
    document = PackageSignatures(signatures=signatures).model_dump(mode="json")
    members = [(MANIFEST_NAME, raw), (SIGNATURES_NAME, canonical_json(document))]
    members += [(FILES_PREFIX + name, contents[name]) for name in sorted(contents)]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_package_archive(path, members)
