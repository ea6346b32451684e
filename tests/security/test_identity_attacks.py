"""Escalation, time-zone tricks, key squatting and small leaks in the hub's identity layer."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.identity import public_record
from tests.hub.conftest import key_body, register_key
from tests.security.conftest import BACKENDS, Arena, Bundles, arena_for


def _token(arena: Arena, who: str, body: dict[str, object], member: str | None = None) -> object:
    member = member or arena.world.members[who]
    return arena.world.call(who, "POST", f"/members/{member}/tokens", json=body)


def test_a_read_only_token_cannot_mint_itself_more(arena: Arena) -> None:
    world = arena.world
    member = world.members["a-admin"]
    read_only = _token(arena, "a-admin", {"scopes": ["read"]}).json()["token"]  # type: ignore[attr-defined]
    world.tokens["a-admin-read"] = read_only
    escalated = world.call(
        "a-admin-read", "POST", f"/members/{member}/tokens", json={"scopes": ["read", "admin"]}
    )
    assert escalated.status_code == 403
    assert "cannot issue admin" in escalated.json()["error"]["message"]
    same = world.call(
        "a-admin-read", "POST", f"/members/{member}/tokens", json={"scopes": ["read"]}
    )
    assert same.status_code == 201 and same.json()["scopes"] == ["read"]


def test_a_token_cannot_outlive_its_issuer(arena: Arena) -> None:
    world = arena.world
    member = world.members["a-evaluator"]
    soon = (world.clock.now + timedelta(hours=1)).isoformat()
    short = _token(arena, "a-evaluator", {"scopes": ["read"], "expires_at": soon})
    world.tokens["short"] = short.json()["token"]  # type: ignore[attr-defined]
    for expires in (None, (world.clock.now + timedelta(days=1)).isoformat()):
        longer = world.call(
            "short",
            "POST",
            f"/members/{member}/tokens",
            json={"scopes": ["read"], "expires_at": expires},
        )
        assert longer.status_code == 403, longer.text
        assert "no later than" in longer.json()["error"]["message"]
    # An admin's token issuing for a member is held to the same cap.
    admin_short = _token(
        arena, "a-admin", {"scopes": ["read", "write", "admin"], "expires_at": soon}
    )
    world.tokens["admin-short"] = admin_short.json()["token"]  # type: ignore[attr-defined]
    forever = world.call(
        "admin-short", "POST", f"/members/{member}/tokens", json={"scopes": ["read"]}
    )
    assert forever.status_code == 403


def test_revoking_twice_keeps_the_first_time(arena: Arena) -> None:
    issued = _token(arena, "a-evaluator", {"scopes": ["read"]}).json()  # type: ignore[attr-defined]
    first = arena.world.call("a-evaluator", "POST", f"/tokens/{issued['id']}/revoke").json()
    arena.world.clock.advance(hours=1)
    second = arena.world.call("a-evaluator", "POST", f"/tokens/{issued['id']}/revoke")
    assert second.status_code == 200 and second.json()["revoked_at"] == first["revoked_at"]


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_offsets_are_honoured_and_naive_times_refused(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    arena = arena_for(database, tmp_path, bundles)
    world = arena.world
    plus_ten = timezone(timedelta(hours=10))
    now = world.clock.now
    # Ended one hour ago, written in +10:00 (its wall time is nine hours ahead of UTC).
    body = {
        "member_id": world.members["c-evaluator"],
        "host_institute": "inst-a",
        "exercise_id": arena.exercise,
        "role": "observer",
        "starts_at": (now - timedelta(days=1)).astimezone(plus_ten).isoformat(),
        "ends_at": (now - timedelta(hours=1)).astimezone(plus_ten).isoformat(),
    }
    granted = world.call("a-admin", "POST", "/secondments", json=body)
    assert granted.status_code == 201, granted.text
    stored = datetime.fromisoformat(granted.json()["ends_at"])
    assert stored == now - timedelta(hours=1)
    assert world.call("c-evaluator", "GET", "/me").json()["secondments"] == []
    scores = world.call("c-evaluator", "GET", f"/exercises/{arena.exercise}/scores")
    assert scores.status_code == 404
    # A token that expired an hour ago, written in +10:00, no longer works.
    expiring = _token(
        arena,
        "a-evaluator",
        {
            "scopes": ["read"],
            "expires_at": (now + timedelta(minutes=5)).astimezone(plus_ten).isoformat(),
        },
    )
    world.tokens["tz"] = expiring.json()["token"]  # type: ignore[attr-defined]
    assert world.call("tz", "GET", "/me").status_code == 200
    world.clock.advance(minutes=6)
    assert world.call("tz", "GET", "/me").status_code == 401
    naive = {**body, "ends_at": "2030-01-01T00:00:00"}
    refused = world.call("a-admin", "POST", "/secondments", json=naive)
    assert refused.status_code == 422 and "ends_at" in refused.json()["error"]["message"]
    naive_token = _token(
        arena, "a-evaluator", {"scopes": ["read"], "expires_at": "2030-01-01T00:00"}
    )
    assert naive_token.status_code == 422  # type: ignore[attr-defined]


def test_key_squatting_and_unparseable_keys_are_refused(arena: Arena) -> None:
    world = arena.world
    victim = Ed25519PrivateKey.generate()
    victim_record = public_record(victim, "inst-a", datetime.now(UTC))
    squatted = victim_record.model_copy(update={"partner": "inst-b"})
    attacker = Ed25519PrivateKey.generate()
    # inst-b's admin holds no private key of inst-a's: any proof it makes fails.
    body = key_body(world, "b-admin", squatted, attacker)
    response = world.call("b-admin", "POST", "/institutes/inst-b/keys", json=body)
    assert response.status_code == 400 and "proof is not" in response.json()["error"]["message"]
    # Nor can it replay inst-a's own proof: it is bound to inst-a.
    genuine = key_body(world, "a-admin", victim_record, victim)
    replay = {**genuine, "key": squatted.model_dump(mode="json")}
    assert world.call("b-admin", "POST", "/institutes/inst-b/keys", json=replay).status_code == 400
    # No proof at all, a malformed key, a key id not derived from the key: all refused.
    bare = {"key": squatted.model_dump(mode="json")}
    assert (
        "proof of possession"
        in world.call("b-admin", "POST", "/institutes/inst-b/keys", json=bare).json()["error"][
            "message"
        ]
    )
    for change, reason in (
        ({"public_key": "!!notbase64"}, "not the base64"),
        ({"key_id": "ed25519:" + "0" * 32}, "does not match"),
    ):
        broken = victim_record.model_copy(update=change).model_dump(mode="json")
        bad = world.call(
            "a-admin", "POST", "/institutes/inst-a/keys", json={**genuine, "key": broken}
        )
        assert bad.status_code == 400 and reason in bad.json()["error"]["message"]
    # The rightful owner registers it; an expired challenge would not do.
    assert register_key(world, "a-admin", victim_record, victim).status_code == 201
    world.clock.advance(minutes=16)
    other = Ed25519PrivateKey.generate()
    late = key_body(world, "a-admin", public_record(other, "inst-a", datetime.now(UTC)), other)
    world.clock.advance(minutes=16)
    expired = world.call("a-admin", "POST", "/institutes/inst-a/keys", json=late)
    assert expired.status_code == 400 and "expired" in expired.json()["error"]["message"]


def test_hidden_and_missing_exercises_look_the_same(arena: Arena) -> None:
    hidden = arena.world.call("c-evaluator", "GET", f"/exercises/{arena.exercise}")
    missing = arena.world.call("c-evaluator", "GET", "/exercises/no-such-exercise")
    assert hidden.status_code == missing.status_code == 404
    for path in ("results", "scores", "submissions"):
        assert (
            arena.world.call(
                "c-evaluator", "GET", f"/exercises/{arena.exercise}/{path}"
            ).status_code
            == 404
        )


@pytest.mark.parametrize(
    "path",
    [
        "/exercises/{e}/scores?limit=10&offset={big}",
        "/exercises/{e}/scores?after={big}",
        "/ledger?after={big}",
        "/audit?offset={big}",
    ],
)
def test_paging_values_beyond_64_bits_are_422(arena: Arena, path: str) -> None:
    response = arena.world.call("hub-admin", "GET", path.format(e=arena.exercise, big=2**70))
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/institutes", {"id": "x-1", "name": "n" * 2_000_000}),
        ("/institutes", {"id": "x-2", "name": "nul\x00byte"}),
        (
            "/institutes/inst-a/members",
            {"email": "a\x00@b.example", "name": "N", "role": "observer"},
        ),
        (
            "/institutes/inst-a/members",
            {"email": "a@b.example", "name": "line\nbreak", "role": "observer"},
        ),
    ],
)
def test_names_and_emails_are_bounded_and_printable(
    arena: Arena, route: str, body: dict[str, str]
) -> None:
    response = arena.world.call("hub-admin", "POST", route, json=body)
    huge = len(str(body)) > 1_000_000
    assert response.status_code == (413 if huge else 422), response.text[:200]
    assert arena.world.hub.counts()["institutes"] == arena.before["institutes"]


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        ("anonymous", b"[" * 30_000 + b"]" * 30_000, 400),
        ("anonymous", b'{"id": "x", "name": "' + b"n" * 200_000 + b'"}', 413),
        ("hub-admin", b'{"id": "x", "name": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", 400),
    ],
)
def test_json_bodies_are_bounded_before_any_handler(
    arena: Arena, who: str, body: bytes, status: int
) -> None:
    response = arena.world.client.post(
        "/api/v1/institutes",
        content=body,
        headers={**arena.world.as_(who), "Content-Type": "application/json"},
    )
    assert response.status_code == status, response.text[:200]
    assert response.json()["error"]["status"] == status
