"""The authorization matrix: every route x every kind of caller, before and after publication."""

import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accord.identity import load_private_key, public_record, sign_act
from accord.store import AuditEvent, Submission
from tests.hub.conftest import BACKENDS, Bundles, World, agree, build_world, key_body

IDENTITIES = [
    "anonymous",
    "hub-admin",
    "a-admin",
    "a-evaluator",
    "a-observer",
    "b-evaluator",
    "c-evaluator",
    "c-secondee",
    "c-expired",
]
SIGNED_IN = set(IDENTITIES) - {"anonymous"}
INSIDERS = {"hub-admin", "a-admin", "a-evaluator", "a-observer", "b-evaluator", "c-secondee"}
A_MEMBERS = {"hub-admin", "a-admin", "a-evaluator", "a-observer"}
A_ADMINS = {"hub-admin", "a-admin"}
counter = itertools.count()


def routes(
    world: World, exercise: str, bundles: Bundles, tmp_path: Path
) -> list[tuple[str, object, set[str], set[str]]]:
    """(name, request maker, allowed before publication, allowed after)."""

    def get(path: str):  # type: ignore[no-untyped-def]
        return lambda who: world.call(who, "GET", path)

    def post(path: str, body=None):  # type: ignore[no-untyped-def]
        return lambda who: world.call(who, "POST", path, json=body() if callable(body) else body)

    def new_key(who: str):  # type: ignore[no-untyped-def]
        from datetime import UTC, datetime

        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        private = Ed25519PrivateKey.generate()
        record = public_record(private, "inst-a", datetime.now(UTC))
        return world.call(
            who,
            "POST",
            "/institutes/inst-a/keys",
            json=key_body(world, "hub-admin", record, private),
        )

    def upload(who: str):  # type: ignore[no-untyped-def]
        with bundles.a.open("rb") as stream:
            return world.call(
                who,
                "POST",
                f"/exercises/{exercise}/submissions",
                files={"bundle": ("a.accord", stream)},
            )

    def act(who: str):  # type: ignore[no-untyped-def]
        pid = world.call("hub-admin", "GET", f"/exercises/{exercise}").json()["protocol_id"]
        key = load_private_key(bundles.private_keys["inst-a"])
        signed = sign_act(key, "withdraw", pid, "inst-a", world.clock.now)
        body = signed.model_dump(mode="json")
        return world.call(who, "POST", f"/exercises/{exercise}/acts", json=body)

    member = world.members["a-evaluator"]
    with world.hub.sessions() as session:
        submission = session.scalars(select(Submission.id)).first()
    secondment = {
        "member_id": world.members["b-admin"],
        "host_institute": "inst-a",
        "exercise_id": exercise,
        "role": "observer",
        "starts_at": world.clock.now.isoformat(),
        "ends_at": (world.clock.now + timedelta(days=1)).isoformat(),
    }
    return [
        ("list institutes", get("/institutes"), SIGNED_IN, SIGNED_IN),
        (
            "create institute",
            post("/institutes", lambda: {"id": f"new-{next(counter)}", "name": "N"}),
            {"hub-admin"},
            {"hub-admin"},
        ),
        ("list members", get("/institutes/inst-a/members"), A_MEMBERS, A_MEMBERS),
        (
            "add member",
            post(
                "/institutes/inst-a/members",
                lambda: {"email": f"n{next(counter)}@a.example", "name": "N", "role": "observer"},
            ),
            A_ADMINS,
            A_ADMINS,
        ),
        (
            "create token",
            post(f"/members/{member}/tokens", {"scopes": ["read"]}),
            A_ADMINS | {"a-evaluator"},
            A_ADMINS | {"a-evaluator"},
        ),
        ("list keys", get("/institutes/inst-a/keys"), SIGNED_IN, SIGNED_IN),
        ("register key", new_key, A_ADMINS, A_ADMINS),
        ("key challenge", get("/institutes/inst-a/keys/challenge"), A_ADMINS, A_ADMINS),
        ("list secondments", get("/institutes/inst-a/secondments"), A_MEMBERS, A_MEMBERS),
        ("grant secondment", post("/secondments", secondment), A_ADMINS, A_ADMINS),
        (
            "create exercise",
            post("/exercises", {"protocol_yaml": bundles.protocol_yaml}),
            A_ADMINS | {"b-admin"},
            A_ADMINS | {"b-admin"},
        ),
        ("read exercise", get(f"/exercises/{exercise}"), INSIDERS, set(IDENTITIES)),
        ("read results", get(f"/exercises/{exercise}/results"), INSIDERS, set(IDENTITIES)),
        ("read scores", get(f"/exercises/{exercise}/scores"), INSIDERS, INSIDERS),
        ("list submissions", get(f"/exercises/{exercise}/submissions"), INSIDERS, INSIDERS),
        (
            "download bundle",
            get(f"/exercises/{exercise}/submissions/{submission}/bundle"),
            INSIDERS,
            INSIDERS,
        ),
        ("exercise status", get(f"/exercises/{exercise}/status"), INSIDERS, set(IDENTITIES)),
        (
            "add webhook",
            post("/institutes/inst-a/webhooks", {"url": "http://127.0.0.1:9/hook"}),
            A_ADMINS,
            A_ADMINS,
        ),
        ("list webhooks", get("/institutes/inst-a/webhooks"), A_ADMINS, A_ADMINS),
        ("webhook deliveries", get("/institutes/inst-a/webhook-deliveries"), A_ADMINS, A_ADMINS),
        (
            "submit",
            upload,
            {"a-admin", "a-evaluator", "c-secondee"},
            # Once published, any partner's writer gets 409 before the body (and so the
            # bundle's partner) is read.
            {"a-admin", "a-evaluator", "c-secondee", "b-evaluator"},
        ),
        ("open exercise", post(f"/exercises/{exercise}/open"), A_ADMINS, A_ADMINS),
        ("record inst-a's act", act, A_ADMINS, A_ADMINS),
        ("read agreement", get(f"/exercises/{exercise}/agreement"), INSIDERS, set(IDENTITIES)),
        (
            "read developer responses",
            get(f"/exercises/{exercise}/responses"),
            INSIDERS,
            set(IDENTITIES),
        ),
        (  # nobody: the protocol names no developers (tests/governance covers developers)
            "attach a developer response",
            post(f"/exercises/{exercise}/responses", {"text": "noted"}),
            set(),
            set(),
        ),
        ("hub identity", get("/identity"), set(IDENTITIES), set(IDENTITIES)),
        (  # the same protocol again: allowed callers get 409 (nothing to amend)
            "amend exercise",
            post(f"/exercises/{exercise}/amendments", {"protocol_yaml": bundles.protocol_yaml}),
            A_ADMINS,
            A_ADMINS,
        ),
        ("read ledger", get("/ledger"), SIGNED_IN, SIGNED_IN),
        ("verify ledger", get("/ledger/verify"), SIGNED_IN, SIGNED_IN),
        ("read audit", get("/audit"), {"hub-admin", "a-admin"}, {"hub-admin", "a-admin"}),
    ]


def denial_count(world: World) -> int:
    with world.hub.sessions() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "deny")
            )
            or 0
        )


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_authorization_matrix(database: str, tmp_path: Path, bundles: Bundles) -> None:
    world = build_world(database, tmp_path, bundles)
    exercise = world.call(
        "a-admin", "POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml}
    ).json()["id"]
    agree(world, exercise, bundles.private_keys)
    world.call("a-admin", "POST", f"/exercises/{exercise}/open")
    now = world.clock.now
    for who, ends in (
        ("c-secondee", now + timedelta(days=30)),
        ("c-expired", now + timedelta(hours=1)),
    ):
        body = {
            "member_id": world.members[who],
            "host_institute": "inst-a",
            "exercise_id": exercise,
            "role": "evaluator",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": ends.isoformat(),
        }
        assert world.call("a-admin", "POST", "/secondments", json=body).status_code == 201
    with bundles.a.open("rb") as stream:  # a submission whose bundle can be downloaded
        files = {"bundle": ("a.accord", stream)}
        upload = world.call("a-admin", "POST", f"/exercises/{exercise}/submissions", files=files)
        assert upload.status_code == 201, upload.text
    world.clock.advance(hours=2)  # c-expired's secondment has ended, c-secondee's runs on
    assert world.call("c-secondee", "GET", "/me").json()["secondments"]
    assert world.call("c-expired", "GET", "/me").json()["secondments"] == []

    failures = []
    for phase in ("before", "after"):
        if phase == "after":
            assert (
                world.call("hub-admin", "POST", f"/exercises/{exercise}/close").status_code == 200
            )
            agree(world, exercise, bundles.private_keys, "approve")
            assert (
                world.call("hub-admin", "POST", f"/exercises/{exercise}/publish").status_code == 200
            )
        for name, request, before, after in routes(world, exercise, bundles, tmp_path):
            allowed = before if phase == "before" else after
            for who in IDENTITIES:
                denials = denial_count(world)
                response = request(who)
                granted = response.status_code not in (401, 403, 404)
                if granted != (who in allowed):
                    failures.append(
                        f"{phase}: {name} as {who}: got {response.status_code} {response.text[:120]}"
                    )
                after_denials = denial_count(world)
                if not granted and after_denials != denials + 1:
                    failures.append(f"{phase}: {name} as {who}: the denial was not audited")
    assert failures == []


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_tokens_expire_are_revocable_and_scoped(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    member = world.members["a-evaluator"]
    expiring = world.call(
        "a-evaluator",
        "POST",
        f"/members/{member}/tokens",
        json={"scopes": ["read"], "expires_at": (world.clock.now + timedelta(hours=1)).isoformat()},
    ).json()
    headers = {"Authorization": f"Bearer {expiring['token']}"}
    assert world.client.get("/api/v1/institutes", headers=headers).status_code == 200
    denied = world.client.post(
        "/api/v1/exercises", headers=headers, json={"protocol_yaml": bundles.protocol_yaml}
    )
    assert (
        denied.status_code == 403 and "lacks the 'write' scope" in denied.json()["error"]["message"]
    )
    world.clock.advance(hours=2)
    expired = world.client.get("/api/v1/institutes", headers=headers)
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
    fresh = world.call(
        "a-evaluator", "POST", f"/members/{member}/tokens", json={"scopes": ["read"]}
    ).json()
    assert world.call("a-evaluator", "POST", f"/tokens/{fresh['id']}/revoke").status_code == 200
    revoked = world.client.get(
        "/api/v1/institutes", headers={"Authorization": f"Bearer {fresh['token']}"}
    )
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]
    assert (
        world.client.get(
            "/api/v1/institutes", headers={"Authorization": "Bearer acc_nope"}
        ).status_code
        == 401
    )
    assert (
        world.client.get("/api/v1/institutes", headers={"Authorization": "Basic abc"}).status_code
        == 401
    )
