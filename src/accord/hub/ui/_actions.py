"""State-changing pages: sign-in and -out, exercises' life cycle and bundle submission.

Each checks the session's CSRF token, then asks the hub (which asks the policy).
"""

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from .. import _policy as policy
from .._errors import BadRequest, TooManyRequests, Unauthenticated
from .._upload import UPLOAD_PREFIX, receive_bundle
from ._web import SESSION_COOKIE, SIGNIN_COOKIE, Web, client_address, set_cookie, web

WebDep = Annotated[Web, Depends(web)]
Csrf = Annotated[str, Form(max_length=100)]
CsrfQuery = Annotated[str | None, Query(max_length=100)]
MAX_PROTOCOL = 1_000_000  # characters, as the API's protocol bound


def actions_router() -> APIRouter:
    """The state-changing pages."""
    router = APIRouter(include_in_schema=False)

    @router.get("/signin")
    def signin_form(w: WebDep) -> Response:
        return _signin_page(w, None, 200)

    @router.post("/signin")
    def signin(
        *,
        request: Request,
        w: WebDep,
        token: Annotated[str, Form(max_length=200)],
        csrf: Csrf = "",
    ) -> Response:
        import secrets

        expected = request.cookies.get(SIGNIN_COOKIE, "")
        if not expected or not secrets.compare_digest(csrf, expected):
            w.hub.audit(w.actor, "ui.signin", "form", "deny", "missing or wrong CSRF token")
            return _signin_page(
                w, "The sign-in form expired or came from another site; try again.", 403
            )
        try:
            opened = w.hub.sign_in(token, client_address(request))
        except TooManyRequests as ex:
            return _signin_page(w, str(ex), 429)
        except Unauthenticated as ex:
            return _signin_page(w, f"Sign-in failed: {ex}.", 401)
        w.hub.sign_out(request.cookies.get(SESSION_COOKIE))  # a new session replaces any old one
        response = w.redirect("/exercises", "Signed in.")
        rules = w.hub.session_policy
        set_cookie(response, w, SESSION_COOKIE, opened.secret, int(rules.absolute.total_seconds()))
        response.delete_cookie(SIGNIN_COOKIE, path="/")
        return response

    @router.post("/signout")
    def signout(*, request: Request, w: WebDep, csrf: Csrf = "") -> Response:
        w.check_csrf(csrf)
        w.hub.sign_out(request.cookies.get(SESSION_COOKIE))
        response = w.redirect("/signin")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/exercises/new")
    def new_exercise(w: WebDep) -> Response:
        w.hub.check(w.actor, policy.create_exercise(w.actor, None), "exercise.create", "exercises")
        return w.render("new_exercise.html.j2", section="exercises", error=None, pasted="")

    @router.post("/exercises")
    async def create_exercise(request: Request, w: WebDep, csrf: CsrfQuery = None) -> Response:
        # Authorize (session, CSRF in the URL, policy) before the form body is parsed.
        w.check_csrf(csrf)
        decision = policy.create_exercise(w.actor, None)
        await run_in_threadpool(w.hub.check, w.actor, decision, "exercise.create", "exercises")
        async with request.form(max_files=1, max_fields=4) as form:
            upload, pasted = form.get("protocol"), form.get("protocol_yaml")
            text = ""
            if isinstance(upload, UploadFile) and upload.filename:
                raw = await upload.read(MAX_PROTOCOL * 4 + 1)
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    text = ""
                    error = f"{upload.filename} is not UTF-8 text; save the protocol as UTF-8"
                    return _new_page(w, error, "", 400)
            elif isinstance(pasted, str):
                text = pasted
        if not text.strip():
            return _new_page(w, "choose a protocol file or paste its YAML", "", 400)
        if len(text) > MAX_PROTOCOL:
            return _new_page(w, f"the protocol exceeds {MAX_PROTOCOL} characters", "", 400)
        try:
            row = await run_in_threadpool(w.hub.create_exercise, w.actor, text)
        except BadRequest as ex:
            return _new_page(w, str(ex), text if len(text) < 100_000 else "", 400)
        return w.redirect(f"/exercises/{row.id}", f"Exercise {row.id} created as a draft.")

    def transition_to(target: str, done: str) -> Callable[..., Response]:
        def transition(*, exercise_id: str, w: WebDep, csrf: Csrf = "") -> Response:
            w.check_csrf(csrf)
            w.hub.transition(w.actor, exercise_id, target)
            return w.redirect(f"/exercises/{exercise_id}", f"Exercise {exercise_id} {done}.")

        return transition

    for verb, target, done in (
        ("open", "open", "is open for submissions"),
        ("close", "closed", "is closed"),
        ("publish", "published", "is published"),
    ):
        router.post(f"/exercises/{{exercise_id}}/{verb}", name=f"ui_{verb}")(
            transition_to(target, done)
        )

    @router.post("/exercises/{exercise_id}/submissions")
    async def submit(
        exercise_id: str, request: Request, w: WebDep, csrf: CsrfQuery = None
    ) -> Response:
        # As the API: session, CSRF (in the URL) and policy before a byte of the body is read.
        hub = w.hub
        w.check_csrf(csrf)
        await run_in_threadpool(hub.authorize_upload, w.actor, exercise_id)
        hub.incoming.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX, dir=hub.incoming) as temp:
            path = Path(temp) / "bundle.accord"
            await receive_bundle(request, path, hub.limits.max_archive_bytes)
            submission, created, deviations = await run_in_threadpool(
                hub.submit, w.actor, exercise_id, path
            )
        if not created:
            note = f"This bundle was already submitted ({submission.id}); nothing changed."
        else:
            note = f"Bundle of {submission.institute_id} accepted"
            note += (
                f" with {len(deviations)} deviation(s): " + "; ".join(deviations)
                if deviations
                else "."
            )
        return w.redirect(f"/exercises/{exercise_id}", note)

    return router


def _signin_page(w: Web, error: str | None, status: int) -> Response:
    import secrets

    token = secrets.token_urlsafe(32)
    rules = w.hub.session_policy
    response = w.render(
        "signin.html.j2",
        status,
        section="signin",
        error=error,
        signin_csrf=token,
        idle=int(rules.idle.total_seconds() // 60),
        absolute=int(rules.absolute.total_seconds() // 3600),
    )
    set_cookie(response, w, SIGNIN_COOKIE, token, 3600)
    return response


def _new_page(w: Web, error: str, pasted: str, status: int) -> Response:
    return w.render("new_exercise.html.j2", status, section="exercises", error=error, pasted=pasted)
