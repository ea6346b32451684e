"""Write an export (CSV, Parquet or Every Eval Ever) into a directory, never half-written."""

import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Literal

from .._util import InputError
from ._eee import export_eee
from ._samples import ExportData
from ._tabular import export_tables

ExportFormat = Literal["csv", "parquet", "eee"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "parquet", "eee")


def check_format(fmt: str) -> ExportFormat:
    """The export format named by `fmt`.

    Raises:
        InputError: For anything but csv, parquet or eee.
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"export format '{fmt}' is unknown: use csv, parquet or eee")
    return fmt


def write_export(data: ExportData, out_dir: Path, fmt: str) -> list[Path]:
    """Export `data` into `out_dir` (created); files appear only once all are written."""
    chosen = check_format(fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".accord-export-", dir=out_dir) as temp:
        staging = Path(temp)
        if chosen == "eee":
            export_eee(data, staging)
        else:
            export_tables(data, staging, chosen)
        names = sorted(p.name for p in staging.iterdir())
        for name in names:
            os.chmod(staging / name, 0o644)
            os.replace(staging / name, out_dir / name)
    return [out_dir / name for name in names]


def export_archive(data: ExportData, fmt: str) -> bytes:
    """The export as a zip archive (what the hub serves)."""
    with tempfile.TemporaryDirectory(prefix="accord-export-") as temp:
        files = write_export(data, Path(temp) / "export", fmt)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.name)
        return buffer.getvalue()


def extract_archive(payload: bytes, out_dir: Path) -> list[Path]:
    """Unpack a hub export archive into `out_dir`: flat file names only, nothing else.

    Raises:
        InputError: When the archive is not a flat zip of export files.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile:
        raise InputError("the hub's export is not a zip archive") from None
    with archive:
        names = archive.namelist()
        bad = [n for n in names if Path(n).name != n or n.startswith(".")]
        if bad:
            raise InputError(f"the hub's export holds unexpected paths: {', '.join(bad[:3])}")
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".accord-export-", dir=out_dir) as temp:
            for name in names:
                with archive.open(name) as source, (Path(temp) / name).open("wb") as target:
                    shutil.copyfileobj(source, target)
            for name in names:
                os.replace(Path(temp) / name, out_dir / name)
    return [out_dir / n for n in sorted(names)]
