"""Routes of exercises' test packages: attach one (authorized before the body is read), fetch it."""

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from ._packages import PACKAGE_LIMITS
from ._service import Hub
from ._upload import UPLOAD_PREFIX, receive_bundle

API = "/api/v1"
Auth = Annotated[str | None, Header(alias="Authorization")]
_BODY = {
    "required": True,
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


def package_router(hub: Hub) -> APIRouter:
    """`PUT` and `GET /api/v1/exercises/{id}/package`."""
    router = APIRouter()

    @router.put(
        f"{API}/exercises/{{exercise_id}}/package",
        status_code=201,
        openapi_extra={"requestBody": _BODY},
    )
    async def attach(exercise_id: str, request: Request, authorization: Auth = None) -> Any:
        who = await run_in_threadpool(hub.actor, authorization)
        await run_in_threadpool(hub.authorize_package, who, exercise_id)
        hub.incoming.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX, dir=hub.incoming) as temp:
            path = Path(temp) / "package.accordpkg"
            await receive_bundle(request, path, PACKAGE_LIMITS.max_archive_bytes)
            row = await run_in_threadpool(hub.attach_package, who, exercise_id, path)
        return _package(row)

    @router.get(f"{API}/exercises/{{exercise_id}}/package")
    def download(exercise_id: str, authorization: Auth = None) -> FileResponse:
        row, path = hub.exercise_package(hub.actor(authorization), exercise_id)
        return FileResponse(
            path,
            media_type="application/octet-stream",
            filename=f"{exercise_id}.accordpkg",
            headers={"X-Accord-Package-Digest": row.digest},
        )

    @router.get(f"{API}/exercises/{{exercise_id}}/package/info")
    def info(exercise_id: str, authorization: Auth = None) -> dict[str, Any]:
        row, _ = hub.exercise_package(hub.actor(authorization), exercise_id)
        return _package(row)

    return router


def _package(row: Any) -> dict[str, Any]:
    return {
        "exercise_id": row.exercise_id,
        "digest": row.digest,
        "sha256": row.sha256,
        "task_code": row.task_code,
        "signers": row.signers,
        "uploaded_at": row.uploaded_at.isoformat(),
    }
