"""A hub world (every role, an exercise, signed bundles) and sign-in helpers for the web pages."""

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.hub.conftest import BACKENDS, Bundles, World, build_world, bundles

__all__ = ["BACKENDS", "Bundles", "World", "build_world", "bundles"]


def form_csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def signin_csrf(html: str) -> str:
    """The CSRF token of the sign-in form (not the sign-out form's, when signed in)."""
    match = re.search(r'action="/signin">\s*<input type="hidden" name="csrf" value="([^"]+)"', html)
    assert match, "no sign-in form on the page"
    return match.group(1)


def sign_in(world: World, who: str) -> TestClient:
    """A fresh browser-like client signed in as `who` (anonymous: not signed in)."""
    client = TestClient(world.client.app, base_url="http://testserver")
    if who == "anonymous":
        return client
    page = client.get("/signin")
    response = client.post(
        "/signin",
        data={"token": world.tokens[who], "csrf": signin_csrf(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def csrf_of(client: TestClient, path: str = "/exercises") -> str:
    """The session's CSRF token, read from a page's sign-out form."""
    return form_csrf(client.get(path).text)


def post(client: TestClient, path: str, **data: Any) -> Any:
    """A form post with the session's CSRF token (not following the redirect)."""
    return client.post(path, data={"csrf": csrf_of(client), **data}, follow_redirects=False)
