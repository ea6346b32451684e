"""The archive layer: deterministic writing, and defensive reading of untrusted bundles."""

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .._util import (
    ZIP_READ_ERRORS,
    OpenedArchive,
    check_member,
    extract_member,
    fixed_info,
    open_untrusted_zip,
)
from ._errors import BundleError
from ._format import DOCUMENT_NAME, LOG_NAME, SIGNATURE_NAME

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


def write_archive(path: Path, members: list[tuple[str, Path]]) -> None:
    """Write `members` (name, source file) to a deterministic zip at `path`.

    Everything is stored uncompressed with fixed times and attributes, so the archive's
    bytes are a function of the member names and contents alone; `verify` relies on that.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, source in members:
            info = fixed_info(name)
            info.file_size = source.stat().st_size
            with source.open("rb") as reader, archive.open(info, "w", force_zip64=True) as writer:
                shutil.copyfileobj(reader, writer, _CHUNK)


class OpenedBundle(OpenedArchive):
    """An untrusted bundle, checked for shape and extracted into a private directory."""


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
    archive = open_untrusted_zip(path, limits.max_archive_bytes, "bundle", BundleError)
    with archive, tempfile.TemporaryDirectory(prefix="accord-bundle-") as temp:
        infos = archive.infolist()
        _check_shape(infos, limits)
        root = Path(temp)
        (root / "logs").mkdir()
        for info in infos:
            extract_member(
                archive, info, root / info.filename, limits.max_member_bytes, BundleError
            )
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
        check_member(info, seen, BundleError)
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
