"""Unpacking a verified package into a directory, or into the private cache a run uses."""

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from .._util import InputError, sha256_hex
from ..identity import Keyring
from ._archive import OpenedPackage, PackageLimits
from ._format import FILES_PREFIX, PackageManifest
from ._verify import VerifiedPackage, read_verified

CACHE_VARIABLE = "ACCORD_CACHE_DIR"


def unpack_package(
    path: Path,
    destination: Path,
    keyring: Keyring | None,
    *,
    require: Sequence[str] = (),
    limits: PackageLimits | None = None,
) -> VerifiedPackage:
    """Verify a package, then write its files into `destination` (new or empty).

    Nothing is written unless every check passes; the directory appears complete or not
    at all.

    Raises:
        PackageError: When verification fails.
        InputError: When `destination` is a file or a non-empty directory.
    """
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise InputError(f"{destination} exists and is not an empty directory; choose another")
    with read_verified(path, keyring, require=require, limits=limits) as (opened, verified):
        _copy_files(opened, verified.manifest, destination)
    return verified


def package_protocol(
    path: Path,
    keyring: Keyring | None,
    *,
    require: Sequence[str] = (),
    cache: Path | None = None,
    limits: PackageLimits | None = None,
) -> tuple[Path, VerifiedPackage]:
    """The protocol file of a package, in a private cache directory keyed by its digest.

    The package is verified; a cached copy is used only if every file in it still has
    its recorded digest and nothing else is there (byte-code caches are removed, so only
    the verified sources can run). Otherwise the copy is rebuilt from the package.

    Raises:
        PackageError: When verification fails.
    """
    root = cache or default_cache()
    with read_verified(path, keyring, require=require, limits=limits) as (opened, verified):
        directory = root / verified.digest.removeprefix("sha256:")
        if not _cache_intact(directory, verified.manifest):
            if directory.exists():
                shutil.rmtree(directory)
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            _copy_files(opened, verified.manifest, directory)
    return directory / verified.manifest.protocol, verified


def default_cache() -> Path:
    """`$ACCORD_CACHE_DIR/packages`, or `~/.cache/accord/packages`."""
    base = os.environ.get(CACHE_VARIABLE)
    return (Path(base) if base else Path.home() / ".cache" / "accord") / "packages"


def _copy_files(opened: OpenedPackage, manifest: PackageManifest, destination: Path) -> None:
    partial = destination.with_name(destination.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True, mode=0o700)
    for name in manifest.files:
        target = partial / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(opened.member(FILES_PREFIX + name), target)
    if destination.exists():
        destination.rmdir()  # an empty directory, checked by the caller
    partial.replace(destination)


def _cache_intact(directory: Path, manifest: PackageManifest) -> bool:
    if not directory.is_dir():
        return False
    for cached in list(directory.rglob("__pycache__")):
        shutil.rmtree(cached)
    present = {
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file() or p.is_symlink()
    }
    if present != set(manifest.files):
        return False
    for name, expected in manifest.files.items():
        target = directory / name
        if target.is_symlink() or "sha256:" + sha256_hex(target.read_bytes()) != expected.sha256:
            return False
    return True
