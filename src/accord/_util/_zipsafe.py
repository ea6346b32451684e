"""Defensive reading of untrusted zip archives, shared by bundles and test packages."""

import stat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Fail = Callable[[str], Exception]
"""Makes the caller's error (a BundleError, a PackageError) from a message."""

ZIP_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)
"""What reading a damaged or hostile zip member can raise, besides our own checks."""

_CHUNK = 1 << 20
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class OpenedArchive:
    """An untrusted archive, checked for shape and extracted into a private directory."""

    path: Path
    directory: Path
    names: list[str]

    def member(self, name: str) -> Path:
        """The extracted file of member `name`."""
        return self.directory / name


def fixed_info(name: str) -> zipfile.ZipInfo:
    """A stored member's header with fixed time and mode: archives depend on content alone."""
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def open_untrusted_zip(path: Path, max_bytes: int, what: str, fail: Fail) -> zipfile.ZipFile:
    """Open an untrusted archive no larger than `max_bytes`.

    Raises:
        Exception: `fail(message)` when it is unreadable, too large or not a zip.
    """
    try:
        size = path.stat().st_size
    except OSError as ex:
        raise fail(f"cannot read {what} {path}: {ex.strerror}") from None
    if size > max_bytes:
        raise fail(f"{path} is {size} bytes, over the limit of {max_bytes}")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as ex:
        raise fail(f"{path} is not a {what} archive: {ex}") from None


def check_member(info: zipfile.ZipInfo, seen: set[str], fail: Fail) -> None:
    """Refuse a duplicate, absolute or traversing name, a link or directory, an encrypted entry.

    Raises:
        Exception: `fail(message)` naming the member.
    """
    name = info.filename
    if name in seen:
        raise fail(f"duplicate member name '{name}'")
    seen.add(name)
    if name.startswith("/") or "\\" in name or ":" in name or "\x00" in name:
        raise fail(f"member '{name}' has an absolute or non-portable path")
    if any(part in ("..", ".", "") for part in name.split("/")):
        raise fail(f"member '{name}' has a path that leaves its directory")
    file_type = stat.S_IFMT(info.external_attr >> 16)  # 0 when the writer set none
    if info.is_dir() or file_type not in (0, stat.S_IFREG):
        raise fail(f"member '{name}' is not a regular file (a link or directory)")
    if info.flag_bits & 0x1:
        raise fail(f"member '{name}' is encrypted")


def extract_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, max_bytes: int, fail: Fail
) -> None:
    """Write one member to a new file, counting what is actually inflated.

    Raises:
        Exception: `fail(message)` when it inflates past its declared size or `max_bytes`,
            or cannot be read.
    """
    written = 0  # sizes in headers can lie
    try:
        with archive.open(info) as reader, target.open("xb") as writer:
            while chunk := reader.read(_CHUNK):
                written += len(chunk)
                if written > info.file_size or written > max_bytes:
                    raise fail(f"member '{info.filename}' inflates past its declared size")
                writer.write(chunk)
    except FileExistsError:
        raise fail(f"member '{info.filename}' collides with another member") from None
    except ZIP_READ_ERRORS as ex:
        raise fail(f"member '{info.filename}' cannot be read: {ex}") from None
