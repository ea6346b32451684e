"""Deterministic writing and defensive reading of package archives."""

import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .._util import OpenedArchive, check_member, extract_member, fixed_info, open_untrusted_zip
from ._errors import PackageError
from ._format import FILES_PREFIX, MANIFEST_NAME, SEALED_PREFIX, SIGNATURES_NAME

_CHUNK = 1 << 20


@dataclass(frozen=True)
class PackageLimits:
    """Limits on what an untrusted package may contain; every excess is rejected."""

    max_archive_bytes: int = 1 << 30
    max_total_bytes: int = 1 << 30
    max_members: int = 10_000
    max_member_bytes: int = 512 << 20
    max_document_bytes: int = 16 << 20  # package.json and signatures.json


def write_package_archive(path: Path, members: list[tuple[str, bytes]]) -> None:
    """Write `members` (name, content) as a deterministic zip, atomically.

    Stored uncompressed with fixed times and modes, so the bytes depend on names and
    contents alone.
    """
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in members:
            archive.writestr(fixed_info(name), content)
    partial.replace(path)


class OpenedPackage(OpenedArchive):
    """An untrusted package, checked for shape and extracted into a private directory."""


@contextmanager
def open_package(path: Path, limits: PackageLimits | None = None) -> Iterator[OpenedPackage]:
    """Check an untrusted package's shape and extract it into a temporary directory.

    Rejects oversize archives and members, too many members, absolute or traversing paths,
    links, directories, duplicates, encrypted entries and unexpected names. The directory
    is removed on exit.

    Raises:
        PackageError: When the package is rejected.
    """
    limits = limits or PackageLimits()
    archive = open_untrusted_zip(path, limits.max_archive_bytes, "package", PackageError)
    with archive, tempfile.TemporaryDirectory(prefix="accord-package-") as temp:
        infos = archive.infolist()
        _check_shape(infos, limits)
        root = Path(temp)
        for info in infos:
            target = root / info.filename
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError:
                raise PackageError(
                    f"member '{info.filename}' collides with another member"
                ) from None
            extract_member(archive, info, target, limits.max_member_bytes, PackageError)
        yield OpenedPackage(path, root, [i.filename for i in infos])


def _check_shape(infos: list[zipfile.ZipInfo], limits: PackageLimits) -> None:
    if len(infos) > limits.max_members:
        raise PackageError(
            f"package has {len(infos)} members, over the limit of {limits.max_members}"
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        check_member(info, seen, PackageError)
        small = name in (MANIFEST_NAME, SIGNATURES_NAME)
        if not small and not name.startswith((FILES_PREFIX, SEALED_PREFIX)):
            raise PackageError(
                f"unexpected member '{name}': a package holds only {MANIFEST_NAME}, "
                f"{SIGNATURES_NAME}, {FILES_PREFIX}... and {SEALED_PREFIX}..."
            )
        limit = limits.max_document_bytes if small else limits.max_member_bytes
        if info.file_size > limit:
            raise PackageError(
                f"member '{name}' is {info.file_size} bytes, over the limit of {limit}"
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise PackageError(f"package unpacks to more than {limits.max_total_bytes} bytes")
