"""Mounting the web interface on the hub's FastAPI app: pages at `/`, the API at `/api/v1`."""

import inspect
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..._util import AccordError
from .._errors import HubError, http_status
from ._actions import actions_router
from ._admin import admin_router
from ._agreement import agreement_router
from ._pages import pages_router
from ._web import HERE, web

SECURE_ENV = "ACCORD_HUB_SECURE_COOKIES"
_API_PREFIXES = ("/api/", "/docs", "/openapi.json", "/redoc")
_ADVICE = {
    400: "Correct the input named above and try again.",
    401: "Sign in with your API token, then try again.",
    403: "Ask an administrator of the institute concerned if you need this access.",
    404: "Check the address; it may also be something your account may not see.",
    409: "The exercise is not in a state that allows this; reload the page to see its state.",
    413: "The upload is too large for this hub; check that you chose the right file.",
    415: "Upload the file through the form on the page.",
    422: "Fix what the message names and try again.",
    429: "Wait, then try again.",
}
Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def install_ui(app: FastAPI, secure_cookies: bool | None = None) -> None:
    """Add the web pages, their static files and HTML error pages to the hub's `app`.

    Args:
        app: The app from `create_app` (its `state.hub` serves the pages).
        secure_cookies: Mark cookies `Secure` even over plain HTTP (behind a TLS proxy);
            default from the environment variable ACCORD_HUB_SECURE_COOKIES=1. Requests
            arriving over HTTPS always get `Secure` cookies.
    """
    if secure_cookies is None:
        secure_cookies = os.environ.get(SECURE_ENV, "") in ("1", "true", "yes")
    app.state.secure_cookies = secure_cookies
    app.state.ui_reports = OrderedDict()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="ui-static")
    app.include_router(actions_router())
    app.include_router(pages_router())
    app.include_router(admin_router())
    app.include_router(agreement_router())
    for kind in (HubError, AccordError, StarletteHTTPException, RequestValidationError):
        api_handler = app.exception_handlers.get(kind)
        if api_handler is not None:
            app.add_exception_handler(kind, _html_or(api_handler))


def _html_or(api_handler: Handler) -> Callable[[Request, Any], Awaitable[Response]]:
    async def handle(request: Request, ex: Any) -> Response:
        if request.url.path.startswith(_API_PREFIXES):
            answer = api_handler(request, ex)
            return await answer if inspect.isawaitable(answer) else answer
        return _error_page(request, ex)

    return handle


def _error_page(request: Request, ex: Exception) -> Response:
    if isinstance(ex, HubError):
        status, message = ex.status, str(ex)
    elif isinstance(ex, StarletteHTTPException):
        status, message = ex.status_code, str(ex.detail)
    elif isinstance(ex, RequestValidationError):
        status = 422
        message = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in ex.errors()
        )
    elif isinstance(ex, AccordError):
        status, message = http_status(ex), str(ex)
    else:  # pragma: no cover - only the kinds above are registered
        status, message = 500, "internal error"
    try:
        page = web(request)
    except AccordError:
        from .._auth import ANONYMOUS
        from ._web import Web

        page = Web(request.app.state.hub, request, ANONYMOUS, "", False)
    headings = {
        401: "Sign in needed",
        403: "Not allowed",
        404: "Not found",
        429: "Too many attempts",
        503: "Not available on this hub",
    }
    return page.render(
        "error.html.j2",
        status,
        section="",
        heading=headings.get(status, "The request was not accepted"),
        code=status,
        message=message,
        advice=_ADVICE.get(status, "Try again later; if it persists, tell the hub's operators."),
    )
