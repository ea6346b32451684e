"""Verifying a test package: its files against their digests, its signatures against a keyring."""

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from .._util import InputError, invalid_fields, sha256_hex
from ..identity import Keyring, signature_valid
from ..protocol import load_protocol, protocol_id, short_id
from ..run import task_code
from ._archive import OpenedPackage, PackageLimits, open_package
from ._errors import PackageError
from ._format import (
    FILES_PREFIX,
    MANIFEST_NAME,
    SEALED_PREFIX,
    SEALED_SUFFIX,
    SIGNATURES_NAME,
    PackageManifest,
    PackageSignature,
    PackageSignatures,
    package_digest,
    signing_message,
)
from ._sealed import unseal


@dataclass(frozen=True)
class VerifiedPackage:
    """A package whose files match its manifest.

    Attributes:
        digest: The package digest (SHA-256 of `package.json`).
        signatures: Its signatures; each verified against the keyring when
            `signatures_checked`, otherwise unchecked.
        notes: What does not stop it from being used but is worth saying (e.g. a registry
            task pinned to another version than the one installed here).
    """

    path: Path
    digest: str
    manifest: PackageManifest
    signatures: list[PackageSignature]
    signatures_checked: bool
    notes: list[str] = field(default_factory=list)

    @property
    def signers(self) -> list[str]:
        """The partners who signed, in signing order."""
        return [s.partner for s in self.signatures]


def verify_package(
    path: Path,
    keyring: Keyring | None,
    *,
    require: Sequence[str] = (),
    limits: PackageLimits | None = None,
) -> VerifiedPackage:
    """Verify a package; the first failed check is raised with its reason.

    Checks: a safe archive shape; every file listed in `package.json`, present, of its
    size and SHA-256, none extra; the protocol loads and has the recorded id; each file
    task's code, recomputed from the packaged files, equals the recorded one. With a
    keyring: at least one signature, every signature by a keyring key of its partner,
    valid when made, and a signature of every partner in `require`.

    Raises:
        PackageError: When a check fails.
    """
    with read_verified(path, keyring, require=require, limits=limits) as (_, verified):
        return verified


@contextmanager
def read_verified(
    path: Path,
    keyring: Keyring | None,
    *,
    require: Sequence[str] = (),
    limits: PackageLimits | None = None,
) -> Iterator[tuple[OpenedPackage, VerifiedPackage]]:
    """Verify a package (see `verify_package`) and keep its extracted members open."""
    if require and keyring is None:
        raise InputError("checking required signers needs a keyring (--keyring)")
    with open_package(path, limits) as opened:
        raw, manifest, signatures = _read_documents(opened)
        digest = package_digest(raw)
        _check_files(opened, manifest)
        notes = _check_contents(opened, manifest)
        if keyring is not None:
            _check_signatures(digest, signatures, keyring, require)
        yield (
            opened,
            VerifiedPackage(path, digest, manifest, signatures, keyring is not None, notes),
        )


def _read_documents(
    opened: OpenedPackage,
) -> tuple[bytes, PackageManifest, list[PackageSignature]]:
    for name in (MANIFEST_NAME, SIGNATURES_NAME):
        if name not in opened.names:
            raise PackageError(f"{opened.path.name} has no {name}; it is not a test package")
    raw = opened.member(MANIFEST_NAME).read_bytes()
    try:
        manifest = PackageManifest.model_validate_json(raw)
        signatures = PackageSignatures.model_validate_json(
            opened.member(SIGNATURES_NAME).read_bytes()
        )
    except ValidationError as ex:
        raise PackageError(
            f"{opened.path.name}: {MANIFEST_NAME} or {SIGNATURES_NAME} is malformed "
            f"(bad or missing: {invalid_fields(ex)}); rebuild it with `accord package build`"
        ) from None
    return raw, manifest, signatures.signatures


def _check_files(opened: OpenedPackage, manifest: PackageManifest) -> None:
    listed = {FILES_PREFIX + name: entry for name, entry in manifest.files.items()}
    listed |= {
        SEALED_PREFIX + name + SEALED_SUFFIX: entry.ciphertext
        for name, entry in manifest.sealed.items()
    }
    present = set(opened.names) - {MANIFEST_NAME, SIGNATURES_NAME}
    for member in sorted(set(listed) - present):
        raise PackageError(f"file '{_plain(member)}' is listed in {MANIFEST_NAME} but missing")
    for member in sorted(present - set(listed)):
        raise PackageError(
            f"file '{_plain(member)}' is in the archive but not listed in {MANIFEST_NAME}"
        )
    for member, expected in sorted(listed.items()):
        name = _plain(member)
        data = opened.member(member).read_bytes()
        if len(data) != expected.size or "sha256:" + sha256_hex(data) != expected.sha256:
            raise PackageError(
                f"file '{name}' does not match its SHA-256 in {MANIFEST_NAME}: it was changed "
                "after the package was built (or in transit); do not run it, ask its authors"
            )


def _plain(member: str) -> str:
    if member.startswith(SEALED_PREFIX):
        return member.removeprefix(SEALED_PREFIX).removesuffix(SEALED_SUFFIX) + " (sealed)"
    return member.removeprefix(FILES_PREFIX)


def open_sealed(
    opened: OpenedPackage, manifest: PackageManifest, key: Ed25519PrivateKey, directory: Path
) -> None:
    """Decrypt every sealed file of a verified package into `directory`, checking each.

    Raises:
        PackageError: When a file is not sealed to `key`, or its plaintext is not the one
            the manifest records.
    """
    for name, entry in sorted(manifest.sealed.items()):
        cipher = opened.member(SEALED_PREFIX + name + SEALED_SUFFIX).read_bytes()
        plain = unseal(cipher, key, name)
        if "sha256:" + sha256_hex(plain) != entry.sha256:
            raise PackageError(f"sealed file '{name}' does not match its SHA-256 once opened")
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(plain)


def _check_contents(opened: OpenedPackage, manifest: PackageManifest) -> list[str]:
    root = opened.directory / FILES_PREFIX.rstrip("/")
    if manifest.protocol not in manifest.files:
        raise PackageError(f"{MANIFEST_NAME} names protocol '{manifest.protocol}', not a file")
    loaded = load_protocol(root / manifest.protocol, resolve_tasks=False)
    if protocol_id(loaded.protocol) != manifest.protocol_id:
        raise PackageError(
            f"the packaged protocol has id {short_id(protocol_id(loaded.protocol))}, but "
            f"{MANIFEST_NAME} says {short_id(manifest.protocol_id)}"
        )
    notes = []
    for task in loaded.protocol.tasks:
        recorded = manifest.tasks.get(task.id)
        try:
            sealed = {n: e.sha256 for n, e in manifest.sealed.items() if task.id in e.tasks}
            actual = task_code(loaded.base_dir, task, sealed if manifest.sealed else None)
        except InputError as ex:
            raise PackageError(f"the package is incomplete: {ex}") from None
        if recorded is None:
            raise PackageError(f"{MANIFEST_NAME} records no code for task '{task.id}'")
        if actual.kind == "files" and actual != recorded:
            missing = sorted(set(actual.files) - set(recorded.files))
            raise PackageError(
                f"task '{task.id}' uses files the package does not record for it "
                f"({', '.join(missing) or 'its file set differs'}); rebuild the package"
            )
        if actual.kind == "registry" and actual != recorded:
            notes.append(
                f"task '{task.id}': the package pins {recorded.distribution} "
                f"{recorded.version}, this machine has {actual.distribution} {actual.version}; "
                "a run here records the difference and comparability flags it"
            )
    return notes


def _check_signatures(
    digest: str, signatures: list[PackageSignature], keyring: Keyring, require: Sequence[str]
) -> None:
    if not signatures:
        raise PackageError(
            "the package is not signed; its authors sign it with `accord package sign` "
            "(or `accord package build --key`)"
        )
    for item in signatures:
        entry = keyring.entry(item.key_id)
        if entry is None:
            raise PackageError(
                f"signed by key {item.key_id} ({item.partner}), which is not in the keyring; "
                f"add {item.partner}'s public key with `accord keys add`"
            )
        if entry.key.partner != item.partner:
            raise PackageError(
                f"key {item.key_id} belongs to '{entry.key.partner}', but the signature "
                f"claims partner '{item.partner}'"
            )
        message = signing_message(digest, item.partner, item.signed_at)
        if not signature_valid(entry.key, message, item.signature):
            raise PackageError(
                f"{item.partner}'s signature does not verify with key {item.key_id}: it "
                "signed another package, or the package was changed since"
            )
        distrust = entry.trusted_at(item.signed_at)
        if distrust is not None:
            raise PackageError(
                f"{item.partner} signed at {item.signed_at.isoformat()}, but {distrust}"
            )
    signed = {s.partner for s in signatures}
    for partner in require:
        if partner not in signed:
            raise PackageError(
                f"the package is not signed by '{partner}' (signed by: "
                f"{', '.join(sorted(signed))}); ask them to run `accord package sign`"
            )


def packaged_protocol_text(
    path: Path, keyring: Keyring | None = None
) -> tuple[str, VerifiedPackage]:
    """The protocol document of a package, after verifying it (see `verify_package`).

    Raises:
        PackageError: When verification fails.
    """
    with read_verified(path, keyring) as (opened, verified):
        member = opened.member(FILES_PREFIX + verified.manifest.protocol)
        return member.read_text(encoding="utf-8"), verified
