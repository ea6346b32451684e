"""Unpacking a verified package into a directory, or into the private cache a run uses."""

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .._util import InputError
from ..identity import Keyring
from ._archive import OpenedPackage, PackageLimits
from ._errors import PackageError
from ._format import FILES_PREFIX, PackageManifest
from ._verify import VerifiedPackage, open_sealed, read_verified

CACHE_VARIABLE = "ACCORD_CACHE_DIR"


@dataclass(frozen=True)
class PackageRun:
    """A verified package ready to run: its protocol file in a private directory.

    Attributes:
        temporary: A private directory holding opened sealed data, to be removed (with
            `close`) after the run; None when the run uses the cache.
    """

    protocol: Path
    verified: VerifiedPackage
    temporary: Path | None = None

    def close(self) -> None:
        """Remove the private directory of opened sealed data, if any."""
        if self.temporary is not None:
            shutil.rmtree(self.temporary, ignore_errors=True)


def unpack_package(
    path: Path,
    destination: Path,
    keyring: Keyring | None,
    *,
    require: Sequence[str] = (),
    key: Ed25519PrivateKey | None = None,
    limits: PackageLimits | None = None,
) -> VerifiedPackage:
    """Verify a package, then write its files into `destination` (new or empty).

    Sealed files are opened with `key` (a partner's private key); without it they are left
    out, and `notes` says so. Nothing is written unless every check passes; the directory
    appears complete or not at all.

    Raises:
        PackageError: When verification fails.
        InputError: When `destination` is a file or a non-empty directory.
    """
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise InputError(f"{destination} exists and is not an empty directory; choose another")
    with read_verified(path, keyring, require=require, limits=limits) as (opened, verified):
        _copy_files(opened, verified.manifest, destination, key)
    if verified.manifest.sealed and key is None:
        verified.notes.append(
            f"sealed files left out ({', '.join(sorted(verified.manifest.sealed))}): "
            "give your institute's key with --key to open them"
        )
    return verified


def package_protocol(
    path: Path,
    keyring: Keyring | None,
    *,
    require: Sequence[str] = (),
    key: Ed25519PrivateKey | None = None,
    cache: Path | None = None,
    limits: PackageLimits | None = None,
) -> PackageRun:
    """The protocol file of a package, in a private cache directory keyed by its digest.

    The package is verified, and the directory is rewritten from its verified members
    every time (re-copying is cheaper than re-hashing a copy left from an earlier run, and
    leaves nothing else there, byte-code caches included, so only the verified sources
    run). A
    package with sealed data is instead opened with `key` into a new private temporary
    directory, which the caller removes after the run (`PackageRun.close`).

    Raises:
        PackageError: When verification fails, or sealed data cannot be opened.
    """
    root = cache or default_cache()
    with read_verified(path, keyring, require=require, limits=limits) as (opened, verified):
        if verified.manifest.sealed:
            if key is None:
                raise PackageError(
                    f"the package seals {', '.join(sorted(verified.manifest.sealed))} to the "
                    "partners' keys; give your institute's private key with --key"
                )
            temporary = Path(tempfile.mkdtemp(prefix="accord-sealed-"))
            try:
                _copy_files(opened, verified.manifest, temporary / "package", key)
            except BaseException:
                shutil.rmtree(temporary, ignore_errors=True)
                raise
            protocol = temporary / "package" / verified.manifest.protocol
            return PackageRun(protocol, verified, temporary)
        directory = root / verified.digest.removeprefix("sha256:")
        if directory.exists():
            shutil.rmtree(directory)
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        _copy_files(opened, verified.manifest, directory)
    return PackageRun(directory / verified.manifest.protocol, verified)


def default_cache() -> Path:
    """`$ACCORD_CACHE_DIR/packages`, or `~/.cache/accord/packages`."""
    base = os.environ.get(CACHE_VARIABLE)
    return (Path(base) if base else Path.home() / ".cache" / "accord") / "packages"


def _copy_files(
    opened: OpenedPackage,
    manifest: PackageManifest,
    destination: Path,
    key: Ed25519PrivateKey | None = None,
) -> None:
    partial = destination.with_name(destination.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True, mode=0o700)
    try:
        for name in manifest.files:
            target = partial / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(opened.member(FILES_PREFIX + name), target)
        if key is not None:
            open_sealed(opened, manifest, key, partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if destination.exists():
        destination.rmdir()  # an empty directory, checked by the caller
    partial.replace(destination)
