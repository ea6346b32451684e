"""Hostile protocols: alias explosions and recursion, refused fast, and never for strangers."""

import time

from tests.security.conftest import Arena


def billion_laughs(levels: int = 9) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, levels + 1):
        name, previous = chr(97 + i), chr(96 + i)
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    return text


def test_billion_laughs_is_refused_at_once(arena: Arena) -> None:
    document = billion_laughs()
    assert len(document) < 400
    started = time.process_time()
    response = arena.world.call("hub-admin", "POST", "/exercises", json={"protocol_yaml": document})
    assert response.status_code == 400, response.text
    assert "anchors and aliases" in response.json()["error"]["message"]
    assert time.process_time() - started < 2  # the unchecked parse took 5.75 s at 9 levels


def test_recursive_aliases_are_400(arena: Arena) -> None:
    response = arena.world.call(
        "hub-admin", "POST", "/exercises", json={"protocol_yaml": "name: &x [*x]\n"}
    )
    assert response.status_code == 400 and "recursive" in response.json()["error"]["message"]


def test_protocols_are_not_parsed_for_callers_who_may_not_create(arena: Arena) -> None:
    # Parsing this would be a 400 (recursive); strangers get their 401/403 first.
    body = {"protocol_yaml": "name: &x [*x]\n"}
    assert arena.world.call("anonymous", "POST", "/exercises", json=body).status_code == 403
    refused = arena.world.call("a-observer", "POST", "/exercises", json=body)
    assert refused.status_code == 403
    big = {"protocol_yaml": "x" * 1_000_001}
    assert arena.world.call("hub-admin", "POST", "/exercises", json=big).status_code == 422
