"""Deterministic writing and defensive reading of package archives."""

import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..bundle import ZIP_READ_ERRORS
from ._errors import PackageError
from ._format import FILES_PREFIX, MANIFEST_NAME, SEALED_PREFIX, SIGNATURES_NAME

_EPOCH = (1980, 1, 1, 0, 0, 0)
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
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, content)
    partial.replace(path)


@dataclass(frozen=True)
class OpenedPackage:
    """An untrusted package, checked for shape and extracted into a private directory."""

    path: Path
    directory: Path
    names: list[str]

    def member(self, name: str) -> Path:
        """The extracted file of member `name`."""
        return self.directory / name


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
    try:
        size = path.stat().st_size
    except OSError as ex:
        raise PackageError(f"cannot read package {path}: {ex.strerror}") from None
    if size > limits.max_archive_bytes:
        raise PackageError(f"{path} is {size} bytes, over the limit of {limits.max_archive_bytes}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as ex:
        raise PackageError(f"{path} is not a package archive: {ex}") from None
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
            _extract(archive, info, target, limits)
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
        if name in seen:
            raise PackageError(f"duplicate member name '{name}'")
        seen.add(name)
        if name.startswith("/") or "\\" in name or ":" in name or "\x00" in name:
            raise PackageError(f"member '{name}' has an absolute or non-portable path")
        if any(part in ("..", ".", "") for part in name.split("/")):
            raise PackageError(f"member '{name}' has a path that leaves its directory")
        file_type = stat.S_IFMT(info.external_attr >> 16)
        if info.is_dir() or file_type not in (0, stat.S_IFREG):
            raise PackageError(f"member '{name}' is not a regular file (a link or directory)")
        if info.flag_bits & 0x1:
            raise PackageError(f"member '{name}' is encrypted")
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


def _extract(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limits: PackageLimits
) -> None:
    written = 0  # sizes in headers can lie: count what is actually inflated
    try:
        with archive.open(info) as reader, target.open("xb") as writer:
            while chunk := reader.read(_CHUNK):
                written += len(chunk)
                if written > info.file_size or written > limits.max_member_bytes:
                    raise PackageError(f"member '{info.filename}' inflates past its declared size")
                writer.write(chunk)
    except ZIP_READ_ERRORS as ex:
        raise PackageError(f"member '{info.filename}' cannot be read: {ex}") from None
    except FileExistsError:
        raise PackageError(f"member '{info.filename}' collides with another member") from None
