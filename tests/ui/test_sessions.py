"""Signing in and out: server-side sessions, cookies, CSRF, expiry, failed-attempt limits."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.store import AuditEvent, UiSession
from tests.hub.conftest import agree
from tests.ui.conftest import (
    BACKENDS,
    Bundles,
    build_world,
    csrf_of,
    form_csrf,
    sign_in,
    signin_csrf,
)


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_sign_in_keeps_the_token_on_the_server(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    client = sign_in(world, "anonymous")
    pre = client.get("/signin")
    assert "accord_signin" in pre.headers["set-cookie"]
    response = client.post(
        "/signin",
        data={"token": world.tokens["a-evaluator"], "csrf": form_csrf(pre.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "accord_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    secret = client.cookies.get("accord_session")
    assert secret and world.tokens["a-evaluator"] not in cookie
    with world.hub.sessions() as session:
        stored = [row.id for row in session.scalars(select(UiSession))]
    assert secret not in stored  # the hub keeps only the id's hash
    page = client.get("/exercises")
    assert world.members["a-evaluator"] in page.text and "Sign out" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]

    again = client.get("/signin")  # signing in again replaces the session
    client.post(
        "/signin", data={"token": world.tokens["a-evaluator"], "csrf": signin_csrf(again.text)}
    )
    first, secret = secret, client.cookies.get("accord_session")
    assert secret != first and world.hub.session(first) is None
    assert world.hub.session(secret) is not None

    out = client.post("/signout", data={"csrf": csrf_of(client)}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("accord_session", secret)  # a copied cookie is dead after sign-out
    assert "Sign in" in client.get("/exercises").text
    assert world.members["a-evaluator"] not in client.get("/exercises").text


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_sessions_expire_idle_absolute_and_with_their_token(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    member = world.members["a-evaluator"]
    client = sign_in(world, "a-evaluator")
    world.clock.advance(minutes=29)
    assert member in client.get("/exercises").text  # use keeps it alive
    world.clock.advance(minutes=29)
    assert member in client.get("/exercises").text
    world.clock.advance(minutes=31)
    assert member not in client.get("/exercises").text  # idle for over 30 minutes
    refused = client.post("/signout", data={"csrf": "x"}, follow_redirects=False)
    assert refused.status_code == 401 and "Sign in" in refused.text

    client = sign_in(world, "a-evaluator")
    for _ in range(25):  # active all along, but 12 hours after sign-in it ends
        world.clock.advance(minutes=29)
        client.get("/exercises")
    assert member not in client.get("/exercises").text

    fresh = world.call(
        "a-evaluator", "POST", f"/members/{member}/tokens", json={"scopes": ["read"]}
    )
    token = fresh.json()
    client = sign_in(world, "anonymous")
    page = client.get("/signin")
    client.post("/signin", data={"token": token["token"], "csrf": form_csrf(page.text)})
    assert member in client.get("/exercises").text
    world.call("a-evaluator", "POST", f"/tokens/{token['id']}/revoke")
    assert member not in client.get("/exercises").text  # revoking the token ends the session

    world.clock.advance(days=2)  # a new sign-in forgets sessions over a day past their end
    sign_in(world, "a-admin")
    with world.hub.sessions() as session:
        assert len(session.scalars(select(UiSession)).all()) == 1


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_failed_sign_ins_are_audited_and_limited(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    client = sign_in(world, "anonymous")
    for attempt in range(5):
        page = client.get("/signin")
        response = client.post(
            "/signin", data={"token": f"acc_wrong{attempt}", "csrf": form_csrf(page.text)}
        )
        assert response.status_code == 401 and "unknown token" in response.text
    page = client.get("/signin")
    limited = client.post(
        "/signin", data={"token": world.tokens["a-evaluator"], "csrf": form_csrf(page.text)}
    )
    assert limited.status_code == 429 and "wait 15 minutes" in limited.text
    with world.hub.sessions() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "ui.signin")))
    assert [e.outcome for e in events] == ["deny"] * 5 + ["limit"]
    world.clock.advance(minutes=16)
    page = client.get("/signin")
    ok = client.post(
        "/signin",
        data={"token": world.tokens["a-evaluator"], "csrf": form_csrf(page.text)},
        follow_redirects=False,
    )
    assert ok.status_code == 303


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_forms_without_the_csrf_token_are_refused(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    exercise = world.call(
        "a-admin", "POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml}
    ).json()["id"]
    client = sign_in(world, "a-admin")
    for data in ({}, {"csrf": "forged"}):
        refused = client.post(f"/exercises/{exercise}/open", data=data, follow_redirects=False)
        assert refused.status_code == 403 and "CSRF" in refused.text
    assert world.call("a-admin", "GET", f"/exercises/{exercise}").json()["state"] == "draft"
    page = client.get("/signin")  # the sign-in form needs its own token too
    forged = client.post("/signin", data={"token": world.tokens["a-admin"], "csrf": "forged"})
    assert forged.status_code == 403 and page.status_code == 200
    with world.hub.sessions() as session:
        denials = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.outcome == "deny")
        ).all()
    assert sum("CSRF" in d for d in denials) == 3
    for path in ("/exercises", f"/exercises/{exercise}/submissions"):  # uploads: CSRF in the URL
        upload = client.post(path, files={"bundle": ("b", bundles.a.read_bytes())})
        assert upload.status_code == 403 and "CSRF" in upload.text
    assert world.hub.counts()["submissions"] == 0
    agree(world, exercise, bundles.private_keys)
    ok = client.post(
        f"/exercises/{exercise}/open", data={"csrf": csrf_of(client)}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert world.call("a-admin", "GET", f"/exercises/{exercise}").json()["state"] == "open"


def test_secure_cookies_over_https(tmp_path: Path, bundles: Bundles) -> None:
    from fastapi.testclient import TestClient

    world = build_world(str(tmp_path / "hub.db"), tmp_path, bundles)
    client = TestClient(world.client.app, base_url="https://hub.example")
    page = client.get("/signin")
    response = client.post(
        "/signin",
        data={"token": world.tokens["a-admin"], "csrf": form_csrf(page.text)},
        follow_redirects=False,
    )
    assert "Secure" in response.headers["set-cookie"]
    assert timedelta(hours=12).total_seconds() == world.hub.session_policy.absolute.total_seconds()
