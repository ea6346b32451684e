"""Receiving an uploaded bundle: streamed to disk under a size limit, after authorization.

The route authorizes the caller before calling `receive_bundle`, so nobody without a
submitting role makes the hub read, buffer or store a byte of the body.
"""

import os
import shutil
import time
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import BinaryIO

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from ._errors import BadRequest, PayloadTooLarge, UnsupportedMedia

UPLOAD_PREFIX = "accord-upload-"
_ENVELOPE = 64 << 10  # multipart headers and boundaries around the bundle
_STALE_SECONDS = 3600


async def receive_bundle(request: Request, target: Path, limit: int) -> None:
    """Write the bundle in `request`'s body to `target`.

    The body is either the raw archive (`application/octet-stream`) or a multipart form
    with the archive in the file field `bundle`.

    Raises:
        PayloadTooLarge: When the body (declared or actual) exceeds `limit` bytes.
        UnsupportedMedia: For any other content type.
        BadRequest: For a malformed form or one without a `bundle` file.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + _ENVELOPE:
        raise PayloadTooLarge(f"the upload is {declared} bytes; bundles may be {limit} at most")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = _bounded(request.stream(), limit + _ENVELOPE)
    if kind == "multipart/form-data":
        parser = MultiPartParser(request.headers, body, max_files=1, max_fields=4)
        try:
            form = await parser.parse()
        except MultiPartException as ex:
            raise BadRequest(f"the multipart body is malformed: {ex.message}") from None
        try:
            upload = form.get("bundle")
            if not isinstance(upload, UploadFile):
                raise BadRequest("send the bundle as the multipart file field 'bundle'")
            await run_in_threadpool(_copy, upload.file, target, limit)
        finally:
            await form.close()
    elif kind in ("application/octet-stream", "application/zip", ""):
        with target.open("wb") as stream:
            async for chunk in body:
                stream.write(chunk)
        if target.stat().st_size > limit:
            raise PayloadTooLarge(f"the bundle exceeds the limit of {limit} bytes")
    else:
        raise UnsupportedMedia(
            f"content type '{kind}' is not accepted: send application/octet-stream or a "
            "multipart form with the file field 'bundle'"
        )


async def _bounded(stream: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the upload exceeds the bundle size limit of {limit} bytes")
        yield chunk


def _copy(source: BinaryIO, target: Path, limit: int) -> None:
    source.seek(0)
    with target.open("wb") as stream:
        shutil.copyfileobj(source, stream, 1 << 20)
    if target.stat().st_size > limit:
        raise PayloadTooLarge(f"the bundle exceeds the limit of {limit} bytes")


def remove_stale_uploads(directory: Path, now: float | None = None) -> int:
    """Remove upload folders left by a crash (untouched for an hour); returns how many."""
    if not directory.is_dir():
        return 0
    now = time.time() if now is None else now
    removed = 0
    for entry in directory.iterdir():
        if not entry.name.startswith(UPLOAD_PREFIX) or not entry.is_dir():
            continue
        try:
            newest = max([entry.stat().st_mtime] + [f.stat().st_mtime for f in entry.iterdir()])
        except OSError:
            continue  # removed meanwhile
        if now - newest > _STALE_SECONDS:
            shutil.rmtree(entry, ignore_errors=True)
            removed += not os.path.exists(entry)
    return removed
