"""The archive layer: deterministic writing, and defensive reading of untrusted bundles."""

import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ._errors import BundleError
from ._format import DOCUMENT_NAME, LOG_NAME, SIGNATURE_NAME

_EPOCH = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class BundleLimits:
    """Limits on what an untrusted bundle may contain; every excess is rejected."""

    max_archive_bytes: int = 2 << 30
    max_total_bytes: int = 4 << 30
    max_members: int = 10_000
    max_member_bytes: int = 1 << 30
    max_compression_ratio: float = 100.0
    max_document_bytes: int = 64 << 20  # bundle.json and signature


# What reading a damaged or hostile zip member can raise, besides our own checks.
ZIP_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


def write_archive(path: Path, members: list[tuple[str, Path]]) -> None:
    """Write `members` (name, source file) to a deterministic zip at `path`.

    Everything is stored uncompressed with fixed times and attributes, so the archive's
    bytes are a function of the member names and contents alone; `verify` relies on that.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, source in members:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.file_size = source.stat().st_size
            with source.open("rb") as reader, archive.open(info, "w", force_zip64=True) as writer:
                shutil.copyfileobj(reader, writer, _CHUNK)


@dataclass(frozen=True)
class OpenedBundle:
    """An untrusted bundle, checked for shape and extracted into a private directory."""

    path: Path
    directory: Path
    names: list[str]

    def member(self, name: str) -> Path:
        """The extracted file of member `name`."""
        return self.directory / name


@contextmanager
def open_bundle(path: Path, limits: BundleLimits | None = None) -> Iterator[OpenedBundle]:
    """Check an untrusted bundle's shape and extract it into a temporary directory.

    Rejects, with a specific reason: oversize archives, members or totals, too many members,
    suspicious compression ratios, absolute or traversing paths, links, directories,
    duplicate names, unexpected members and encrypted entries. Nothing is written outside
    the temporary directory, which is removed on exit.

    Raises:
        BundleError: When the bundle is rejected.
    """
    limits = limits or BundleLimits()
    try:
        size = path.stat().st_size
    except OSError as ex:
        raise BundleError(f"cannot read bundle {path}: {ex.strerror}") from None
    if size > limits.max_archive_bytes:
        raise BundleError(f"{path} is {size} bytes, over the limit of {limits.max_archive_bytes}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as ex:
        raise BundleError(f"{path} is not a bundle archive: {ex}") from None
    with archive, tempfile.TemporaryDirectory(prefix="accord-bundle-") as temp:
        infos = archive.infolist()
        _check_shape(infos, limits)
        root = Path(temp)
        (root / "logs").mkdir()
        for info in infos:
            _extract(archive, info, root / info.filename, limits)
        yield OpenedBundle(path, root, [i.filename for i in infos])


def _check_shape(infos: list[zipfile.ZipInfo], limits: BundleLimits) -> None:
    if len(infos) > limits.max_members:
        raise BundleError(
            f"bundle has {len(infos)} members, over the limit of {limits.max_members}"
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if name in seen:
            raise BundleError(f"duplicate member name '{name}'")
        seen.add(name)
        if name.startswith("/") or "\\" in name or ":" in name:
            raise BundleError(f"member '{name}' has an absolute or non-portable path")
        if any(part in ("..", ".", "") for part in name.split("/")):
            raise BundleError(f"member '{name}' has a path that leaves its directory")
        file_type = stat.S_IFMT(info.external_attr >> 16)  # 0 when the writer set none
        if info.is_dir() or file_type not in (0, stat.S_IFREG):
            raise BundleError(f"member '{name}' is not a regular file (a link or directory)")
        if info.flag_bits & 0x1:
            raise BundleError(f"member '{name}' is encrypted")
        if name not in (DOCUMENT_NAME, SIGNATURE_NAME) and not LOG_NAME.match(name):
            raise BundleError(
                f"unexpected member '{name}': a bundle holds only bundle.json, signature "
                "and logs/*.eval"
            )
        small = name in (DOCUMENT_NAME, SIGNATURE_NAME)
        _check_size(info, limits.max_document_bytes if small else limits.max_member_bytes, limits)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise BundleError(f"bundle unpacks to more than {limits.max_total_bytes} bytes")


def _check_size(info: zipfile.ZipInfo, limit: int, limits: BundleLimits) -> None:
    if info.file_size > limit:
        raise BundleError(
            f"member '{info.filename}' is {info.file_size} bytes, over the limit of {limit}"
        )
    if info.file_size > 1024 and info.file_size > limits.max_compression_ratio * max(
        info.compress_size, 1
    ):
        raise BundleError(
            f"member '{info.filename}' has a suspicious compression ratio (a zip bomb?)"
        )


def _extract(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limits: BundleLimits
) -> None:
    # Sizes in headers can lie: count what is actually inflated.
    written = 0
    try:
        with archive.open(info) as reader, target.open("xb") as writer:
            while chunk := reader.read(_CHUNK):
                written += len(chunk)
                if written > info.file_size or written > limits.max_member_bytes:
                    raise BundleError(f"member '{info.filename}' inflates past its declared size")
                writer.write(chunk)
    except ZIP_READ_ERRORS as ex:
        raise BundleError(f"member '{info.filename}' cannot be read: {ex}") from None


def read_member(path: Path, name: str, limits: BundleLimits | None = None) -> bytes:
    """One small member (bundle.json or signature) of an untrusted archive, read with bounds.

    Raises:
        BundleError: When the archive or member is unreadable, missing, encrypted, larger
            than `max_document_bytes`, or suspiciously compressed.
    """
    limits = limits or BundleLimits()
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(name)
            if info.flag_bits & 0x1:
                raise BundleError(f"member '{name}' is encrypted")
            _check_size(info, limits.max_document_bytes, limits)
            with archive.open(info) as reader:
                data = reader.read(limits.max_document_bytes + 1)
    except KeyError:
        raise BundleError(f"bundle has no '{name}' member") from None
    except ZIP_READ_ERRORS as ex:
        raise BundleError(f"{path.name}: '{name}' cannot be read: {ex}") from None
    if len(data) > limits.max_document_bytes:
        raise BundleError(f"member '{name}' inflates past {limits.max_document_bytes} bytes")
    return data
