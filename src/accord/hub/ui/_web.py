"""What every web page shares: the session, CSRF checks, templates and HTML error pages."""

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ... import __version__
from .. import _policy as policy
from .._auth import ANONYMOUS, Actor
from .._errors import Forbidden, Unauthenticated
from .._service import Hub
from ._results import ReportCache

HERE = Path(__file__).parent
SESSION_COOKIE = "accord_session"
SIGNIN_COOKIE = "accord_signin"  # double-submit token of the sign-in form (login CSRF)


@dataclass(frozen=True)
class Web:
    """One request as the pages see it: the hub, the caller, and the session's CSRF token."""

    hub: Hub
    request: Request
    actor: Actor
    csrf: str
    secure: bool

    @property
    def signed_in(self) -> bool:
        """True with an active session."""
        return not self.actor.anonymous

    def nav(self) -> dict[str, bool]:
        """Which navigation entries the policy lets the caller use."""
        who = self.actor
        return {
            "ledger": policy.signed_in(who).allowed,
            "admin": policy.signed_in(who).allowed,
            "audit": policy.see_audit(who).allowed,
        }

    @property
    def reports(self) -> ReportCache:
        """The app's cache of rendered report parts."""
        cache: ReportCache = self.request.app.state.ui_reports
        return cache

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A page rendered with the shared layout."""
        from ._templates import environment

        context.setdefault("note", self.notice())
        body = (
            environment()
            .get_template(template)
            .render(web=self, actor=self.actor, nav=self.nav(), version=__version__, **context)
        )
        return HTMLResponse(body, status, headers=SECURITY_HEADERS)

    def check_csrf(self, supplied: str | None) -> None:
        """Refuse a state-changing request without the session's CSRF token (audited)."""
        if self.actor.anonymous:
            self.hub.audit(self.actor, "ui.post", self.request.url.path, "deny", "no session")
            raise Unauthenticated("sign in first: your session has ended or never began")
        if not supplied or not secrets.compare_digest(supplied, self.csrf):
            reason = "missing or wrong CSRF token"
            self.hub.audit(self.actor, "ui.post", self.request.url.path, "deny", reason)
            raise Forbidden(
                "this form is stale or was sent from another site (its CSRF token does not "
                "match your session); reload the page and submit it again"
            )

    def redirect(self, path: str, note: str | None = None) -> RedirectResponse:
        """A 303 to `path` (after a successful POST), with an optional notice for the page.

        The notice travels in the URL with the hub's MAC, so a crafted link cannot make a
        hub page show words the hub did not write.
        """
        from urllib.parse import urlencode

        query = f"?{urlencode({'note': note, 'sig': self._mac(note)})}" if note else ""
        return RedirectResponse(path + query, status_code=303, headers=SECURITY_HEADERS)

    def notice(self) -> str | None:
        """The notice a redirect passed to this page, if its MAC is the hub's."""
        note = self.request.query_params.get("note")
        sig = self.request.query_params.get("sig", "")
        if not note or len(note) > 1000 or not secrets.compare_digest(sig, self._mac(note)):
            return None
        return note

    def _mac(self, note: str) -> str:
        import hashlib
        import hmac

        return hmac.new(self.hub.secret, b"ui-note\0" + note.encode(), hashlib.sha256).hexdigest()


# No script, style or frame from anywhere but the hub; the pages need no JavaScript.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def web(request: Request) -> Web:
    """The `Web` of a request (a FastAPI dependency)."""
    hub: Hub = request.app.state.hub
    active = hub.session(request.cookies.get(SESSION_COOKIE))
    secure = bool(request.app.state.secure_cookies) or request.url.scheme == "https"
    if active is None:
        return Web(hub, request, ANONYMOUS, "", secure)
    return Web(hub, request, active.actor, active.csrf, secure)


def client_address(request: Request) -> str:
    """The caller's address (the reverse proxy's, unless it passes the client's)."""
    return request.client.host if request.client else "unknown"


def set_cookie(response: Response, web: Web, name: str, value: str, max_age: int) -> None:
    """A cookie the page's scripts cannot read and other sites never send."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=web.secure,
    )
