"""The hub's HTTP API (FastAPI; OpenAPI at /docs). Every route asks the one policy module."""

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from .._util import AccordError
from ._auth import Actor
from ._base import as_dict
from ._errors import HubError, http_status
from ._governance_routes import governance_router
from ._limits import BodyLimit
from ._queries import MAX_PAGE
from ._reports import reports_router
from ._schemas import (
    MAX_OFFSET,
    MAX_SEQ,
    ExerciseIn,
    InstituteIn,
    KeyIn,
    MemberIn,
    RevokeIn,
    SecondmentIn,
    TokenIn,
)
from ._service import Hub
from ._upload import UPLOAD_PREFIX, receive_bundle
from ._webhook_routes import webhook_router
from ._workplace import workplace_router

_T = TypeVar("_T")
API = "/api/v1"
Auth = Annotated[str | None, Header(alias="Authorization")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


def create_app(hub: Hub) -> FastAPI:
    """The FastAPI application serving `hub`."""
    app = FastAPI(title="Accord hub", version=__version__, docs_url="/docs")
    app.state.hub = hub
    app.add_middleware(BodyLimit)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, ex: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": {"status": ex.status_code, "message": str(ex.detail)}}, ex.status_code
        )

    @app.exception_handler(HubError)
    async def hub_error(_: Request, ex: HubError) -> JSONResponse:
        return JSONResponse({"error": {"status": ex.status, "message": str(ex)}}, ex.status)

    @app.exception_handler(AccordError)
    async def accord_error(_: Request, ex: AccordError) -> JSONResponse:
        status = http_status(ex)
        return JSONResponse({"error": {"status": status, "message": str(ex)}}, status)

    @app.exception_handler(DBAPIError)
    async def database_error(_: Request, ex: DBAPIError) -> JSONResponse:
        if not ex.connection_invalidated:
            raise ex  # a bug, not the database going away: a 500 with its traceback logged
        message = "the connection to the hub's database was lost; nothing was stored, retry"
        return JSONResponse({"error": {"status": 503, "message": message}}, 503)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, ex: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in ex.errors()
        )
        return JSONResponse({"error": {"status": 422, "message": problems}}, 422)

    def actor(authorization: str | None) -> Actor:
        return hub.actor(authorization)

    async def read(answer: Callable[[], _T]) -> _T:
        # A read-only answer: one thread-pool hop (FastAPI validates an async route's result
        # without another) and one read session for the caller, the exercise and the rows.
        def in_one_session() -> _T:
            try:
                with hub.reading():
                    return answer()
            except DBAPIError as ex:
                if not ex.connection_invalidated:
                    raise
            with hub.reading():  # a pooled connection had died: a read is safe to repeat
                return answer()

        return await run_in_threadpool(in_one_session)

    @app.get(f"{API}/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "version": __version__}

    @app.get(f"{API}/me")
    def me(authorization: Auth = None) -> dict[str, Any]:
        who = actor(authorization)
        return {
            "member_id": who.member_id,
            "institute_id": who.institute_id,
            "role": who.role,
            "scopes": sorted(who.scopes),
            "secondments": [s.__dict__ for s in who.secondments],
        }

    @app.post(f"{API}/institutes", status_code=201)
    def create_institute(body: InstituteIn, authorization: Auth = None) -> dict[str, Any]:
        row = hub.create_institute(actor(authorization), body.id, body.name)
        return as_dict(row, "id", "name", "created_at")

    @app.get(f"{API}/institutes")
    def institutes(authorization: Auth = None) -> list[dict[str, Any]]:
        return [
            as_dict(r, "id", "name", "created_at") for r in hub.institutes(actor(authorization))
        ]

    @app.post(f"{API}/institutes/{{institute_id}}/members", status_code=201)
    def create_member(
        institute_id: str, body: MemberIn, authorization: Auth = None
    ) -> dict[str, Any]:
        row = hub.create_member(
            actor(authorization), institute_id, body.email, body.name, body.role
        )
        return as_dict(row, "id", "institute_id", "email", "name", "role", "created_at")

    @app.get(f"{API}/institutes/{{institute_id}}/members")
    def members(institute_id: str, authorization: Auth = None) -> list[dict[str, Any]]:
        rows = hub.members(actor(authorization), institute_id)
        return [
            as_dict(r, "id", "institute_id", "email", "name", "role", "created_at") for r in rows
        ]

    @app.post(f"{API}/members/{{member_id}}/tokens", status_code=201)
    def create_token(member_id: str, body: TokenIn, authorization: Auth = None) -> dict[str, Any]:
        issued = hub.create_token(actor(authorization), member_id, body.scopes, body.expires_at)
        return {
            "id": issued.id,
            "token": issued.token,
            "member_id": issued.member_id,
            "scopes": issued.scopes,
            "expires_at": issued.expires_at.isoformat() if issued.expires_at else None,
            "note": "shown once: store it now",
        }

    @app.post(f"{API}/tokens/{{token_id}}/revoke")
    def revoke_token(token_id: str, authorization: Auth = None) -> dict[str, Any]:
        row = hub.revoke_token(actor(authorization), token_id)
        return as_dict(row, "id", "member_id", "prefix", "revoked_at")

    @app.post(f"{API}/institutes/{{institute_id}}/keys", status_code=201)
    def register_key(institute_id: str, body: KeyIn, authorization: Auth = None) -> dict[str, Any]:
        row = hub.register_key(
            actor(authorization),
            institute_id,
            body.key,
            body.valid_from,
            body.valid_until,
            (body.challenge, body.proof),
        )
        return _key(row)

    @app.get(f"{API}/institutes/{{institute_id}}/keys/challenge")
    def key_challenge(institute_id: str, authorization: Auth = None) -> dict[str, str]:
        return hub.key_challenge(actor(authorization), institute_id)

    @app.get(f"{API}/institutes/{{institute_id}}/keys")
    def keys(institute_id: str, authorization: Auth = None) -> list[dict[str, Any]]:
        return [_key(r) for r in hub.keys(actor(authorization), institute_id)]

    @app.post(f"{API}/institutes/{{institute_id}}/keys/{{key_id}}/revoke")
    def revoke_key(
        institute_id: str, key_id: str, body: RevokeIn, authorization: Auth = None
    ) -> dict[str, Any]:
        return _key(hub.revoke_key(actor(authorization), institute_id, key_id, body.reason))

    @app.post(f"{API}/secondments", status_code=201)
    def grant(body: SecondmentIn, authorization: Auth = None) -> dict[str, Any]:
        row = hub.grant_secondment(
            actor(authorization),
            body.member_id,
            body.host_institute,
            body.exercise_id,
            body.role,
            body.starts_at,
            body.ends_at,
        )
        return _secondment(row)

    @app.get(f"{API}/institutes/{{institute_id}}/secondments")
    def secondments(institute_id: str, authorization: Auth = None) -> list[dict[str, Any]]:
        return [_secondment(r) for r in hub.secondments(actor(authorization), institute_id)]

    @app.post(f"{API}/secondments/{{secondment_id}}/revoke")
    def revoke_secondment(secondment_id: str, authorization: Auth = None) -> dict[str, Any]:
        return _secondment(hub.revoke_secondment(actor(authorization), secondment_id))

    @app.post(f"{API}/exercises", status_code=201)
    def create_exercise(body: ExerciseIn, authorization: Auth = None) -> dict[str, Any]:
        return _exercise(hub.create_exercise(actor(authorization), body.protocol_yaml))

    @app.get(f"{API}/exercises")
    async def exercises(authorization: Auth = None) -> list[dict[str, Any]]:
        return await read(lambda: [_exercise(e) for e in hub.exercises(actor(authorization))])

    @app.get(f"{API}/exercises/{{exercise_id}}")
    async def exercise(exercise_id: str, authorization: Auth = None) -> dict[str, Any]:
        row, view = await read(lambda: hub.exercise(actor(authorization), exercise_id))
        return {
            **_exercise(row),
            "partners": sorted(view.partners),
            "protocol_yaml": row.protocol_yaml,
        }

    def transition_to(target: str) -> Any:
        # A closure per target: a defaulted parameter would become a query parameter.
        def transition(exercise_id: str, authorization: Auth = None) -> dict[str, Any]:
            return _exercise(hub.transition(actor(authorization), exercise_id, target))

        return transition

    for target, verb in (("open", "open"), ("closed", "close"), ("published", "publish")):
        app.post(f"{API}/exercises/{{exercise_id}}/{verb}", name=f"exercise_{verb}")(
            transition_to(target)
        )

    @app.post(
        f"{API}/exercises/{{exercise_id}}/submissions",
        status_code=201,
        openapi_extra={"requestBody": _BUNDLE_BODY},
    )
    async def submit(
        exercise_id: str, request: Request, authorization: Auth = None
    ) -> JSONResponse:
        # Authorize before reading the body: nobody else makes the hub store or parse a byte.
        who = await run_in_threadpool(hub.actor, authorization)
        await run_in_threadpool(hub.authorize_upload, who, exercise_id)
        hub.incoming.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX, dir=hub.incoming) as temp:
            path = Path(temp) / "bundle.accord"
            await receive_bundle(request, path, hub.limits.max_archive_bytes)
            submission, created, deviations = await run_in_threadpool(
                hub.submit, who, exercise_id, path
            )
        body = {
            **as_dict(
                submission,
                "id",
                "exercise_id",
                "institute_id",
                "bundle_sha256",
                "key_id",
                "submitted_at",
            ),
            "created": created,
            "deviations": deviations,
        }
        return JSONResponse(body, 201 if created else 200)

    @app.get(f"{API}/exercises/{{exercise_id}}/submissions")
    async def submissions(exercise_id: str, authorization: Auth = None) -> list[dict[str, Any]]:
        return await read(lambda: hub.submissions(actor(authorization), exercise_id))

    @app.get(f"{API}/exercises/{{exercise_id}}/results")
    async def results(exercise_id: str, authorization: Auth = None) -> dict[str, Any]:
        return await read(lambda: hub.results(actor(authorization), exercise_id))

    @app.get(f"{API}/exercises/{{exercise_id}}/scores")
    async def scores(
        exercise_id: str,
        run: Annotated[str | None, Query(max_length=40)] = None,
        limit: Limit = 1000,
        offset: Offset = 0,
        after: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
        authorization: Auth = None,
    ) -> dict[str, Any]:
        return await read(
            lambda: hub.scores(actor(authorization), exercise_id, run, limit, offset, after)
        )

    @app.get(f"{API}/ledger")
    def ledger(
        after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
        limit: Limit = 1000,
        authorization: Auth = None,
    ) -> list[dict[str, Any]]:
        return hub.ledger(actor(authorization), after, limit)

    @app.get(f"{API}/ledger/verify")
    def ledger_verify(
        expect_head: Annotated[str | None, Query(max_length=71)] = None,
        authorization: Auth = None,
    ) -> dict[str, Any]:
        return hub.verify_ledger(actor(authorization), expect_head)

    @app.get(f"{API}/ledger/head")
    def ledger_head(authorization: Auth = None) -> dict[str, Any]:
        return hub.ledger_head(actor(authorization))

    @app.get(f"{API}/audit")
    def audit(
        outcome: Annotated[str | None, Query(max_length=10)] = None,
        limit: Limit = 100,
        offset: Offset = 0,
        authorization: Auth = None,
    ) -> list[dict[str, Any]]:
        return hub.audit_log(actor(authorization), outcome, limit, offset)

    app.include_router(reports_router(hub))
    app.include_router(workplace_router(hub))
    app.include_router(webhook_router(hub))
    app.include_router(governance_router(hub))
    from ._package_routes import package_router

    app.include_router(package_router(hub))
    from .ui import install_ui

    install_ui(app)
    return app


_BUNDLE_BODY = {
    "required": True,
    "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["bundle"],
                "properties": {"bundle": {"type": "string", "format": "binary"}},
            }
        },
    },
}


def _key(row: Any) -> dict[str, Any]:
    return as_dict(
        row,
        "key_id",
        "institute_id",
        "public_key",
        "created",
        "valid_from",
        "valid_until",
        "revoked_at",
        "revocation_reason",
    )


def _secondment(row: Any) -> dict[str, Any]:
    return as_dict(
        row,
        "id",
        "member_id",
        "host_institute_id",
        "exercise_id",
        "role",
        "starts_at",
        "ends_at",
        "revoked_at",
    )


def _exercise(row: Any) -> dict[str, Any]:
    return as_dict(
        row, "id", "name", "protocol_id", "state", "embargo_until", "created_at", "published_at"
    )
