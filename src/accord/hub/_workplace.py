"""Routes for working together: download a partner's bundle, see who owes what."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from ._service import Hub

API = "/api/v1"
Auth = Annotated[str | None, Header(alias="Authorization")]
SubmissionId = Annotated[str, Path(max_length=40)]


def workplace_router(hub: Hub) -> APIRouter:
    """The bundle download and status routes of `hub`."""
    router = APIRouter()

    @router.get(
        f"{API}/exercises/{{exercise_id}}/submissions/{{submission_id}}/bundle",
        response_class=FileResponse,
        responses={200: {"content": {"application/octet-stream": {}}}},
    )
    async def bundle(
        exercise_id: str, submission_id: SubmissionId, authorization: Auth = None
    ) -> FileResponse:
        """A submitted bundle, byte for byte as signed (partners, secondees, hub admins)."""
        who = await run_in_threadpool(hub.actor, authorization)
        path, digest, partner = await run_in_threadpool(hub.bundle, who, exercise_id, submission_id)
        return FileResponse(
            path,
            media_type="application/octet-stream",
            filename=f"{partner}-{submission_id}.accord",
            headers={"X-Accord-Bundle-Sha256": digest, "X-Accord-Partner": partner},
        )

    @router.get(f"{API}/exercises/{{exercise_id}}/status")
    def status(exercise_id: str, authorization: Auth = None) -> dict[str, Any]:
        """Who owes what: the partner x task x model matrix and what blocks closing."""
        return hub.status(hub.actor(authorization), exercise_id)

    return router
