"""Building a test package from a protocol directory, and co-signing one."""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .._util import canonical_json, sha256_hex
from ..identity import Keyring, key_id_of, sign
from ..protocol import FileTaskRef, Protocol, load_protocol, parse_task_ref, protocol_id
from ..run import task_code, task_files
from ..run._code import module_files, relative_path, sealed_paths
from ._archive import PackageLimits, write_package_archive
from ._errors import PackageError
from ._format import (
    FILES_PREFIX,
    MANIFEST_NAME,
    PACKAGE_SUFFIX,
    SEALED_PREFIX,
    SEALED_SUFFIX,
    SIGNATURES_NAME,
    PackageFile,
    PackageManifest,
    PackageSignature,
    PackageSignatures,
    SealedFile,
    manifest_bytes,
    package_digest,
    signing_message,
)
from ._sealed import seal, seal_recipients
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
    seal_to: Keyring | None = None,
    overwrite: bool = False,
    limits: PackageLimits | None = None,
) -> BuiltPackage:
    """Pack a protocol with every local file its file tasks use; sign it if `signer` is given.

    Files matched by a task's `sealed:` patterns are encrypted to every protocol partner's
    key in `seal_to` (required then) and never stored in the clear.

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
    sealed_by: dict[str, list[str]] = {}
    for task in protocol.tasks:
        ref = parse_task_ref(task.task, root)
        if isinstance(ref, FileTaskRef):
            used |= set(task_files(root, ref, task))
            for path in sealed_paths(root, task.sealed):
                sealed_by.setdefault(relative_path(root, path, task.id), []).append(task.id)
    used |= subject_files(root, protocol)
    contents: dict[str, bytes] = {}
    for path in sorted(used):
        name = relative_path(root, path, "(package)")
        if path.stat().st_size > limits.max_member_bytes:
            raise PackageError(
                f"{name} is {path.stat().st_size} bytes, over the package member limit of "
                f"{limits.max_member_bytes}"
            )
        contents[name] = path.read_bytes()
    sealed = _seal(contents, sealed_by, seal_to, [p.id for p in protocol.partners])
    manifest = PackageManifest(
        protocol=relative_path(root, loaded.path.resolve(), "(package)"),
        protocol_id=protocol_id(protocol),
        protocol_name=protocol.name,
        files={name: _entry(data) for name, data in contents.items() if name not in sealed},
        tasks={task.id: task_code(root, task) for task in protocol.tasks},
        sealed={name: entry for name, (entry, _) in sealed.items()},
    )
    raw = manifest_bytes(manifest)
    digest = package_digest(raw)
    signatures = [signature(digest, signer)] if signer else []
    members = {FILES_PREFIX + n: d for n, d in contents.items() if n not in sealed}
    members |= {SEALED_PREFIX + n + SEALED_SUFFIX: c for n, (_, c) in sealed.items()}
    _write(output, raw, signatures, members)
    return BuiltPackage(output, digest, manifest, signatures)


def subject_files(root: Path, protocol: Protocol) -> set[Path]:
    """Local files the protocol's subjects use: system prompt files and file agents' code."""
    found: set[Path] = set()
    for spec in protocol.models:
        if spec.system_prompt_file is not None:
            found.add((root / spec.system_prompt_file).resolve())
        if spec.agent is not None and ("@" in spec.agent or spec.agent.endswith(".py")):
            ref = parse_task_ref(spec.agent, root)
            if isinstance(ref, FileTaskRef):
                found |= module_files(root, ref.path)
    return found


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
        members = {
            name: opened.member(name).read_bytes()
            for name in opened.names
            if name not in (MANIFEST_NAME, SIGNATURES_NAME)
        }
        raw = opened.member(MANIFEST_NAME).read_bytes()
    _write(path, raw, signatures, members)
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
    path: Path, raw: bytes, signatures: list[PackageSignature], members: dict[str, bytes]
) -> None:
    document = PackageSignatures(signatures=signatures).model_dump(mode="json")
    ordered = [(MANIFEST_NAME, raw), (SIGNATURES_NAME, canonical_json(document))]
    ordered += [(name, members[name]) for name in sorted(members)]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_package_archive(path, ordered)


def _entry(data: bytes) -> PackageFile:
    return PackageFile(sha256="sha256:" + sha256_hex(data), size=len(data))


def _seal(
    contents: dict[str, bytes],
    sealed_by: dict[str, list[str]],
    seal_to: Keyring | None,
    partners: list[str],
) -> dict[str, tuple[SealedFile, bytes]]:
    """Each sealed file's manifest entry and ciphertext."""
    if not sealed_by:
        return {}
    if seal_to is None:
        raise PackageError(
            f"tasks seal {', '.join(sorted(sealed_by))}; give the partners' keyring with "
            "--seal-to so it is encrypted to their keys"
        )
    recipients = seal_recipients(seal_to, partners, datetime.now(UTC))
    sealed = {}
    for name, tasks in sorted(sealed_by.items()):
        plain = contents[name]
        cipher = seal(plain, recipients)
        entry = SealedFile(
            sha256="sha256:" + sha256_hex(plain),
            size=len(plain),
            ciphertext=_entry(cipher),
            recipients=[r.key_id for r in recipients],
            tasks=tasks,
        )
        sealed[name] = (entry, cipher)
    return sealed
