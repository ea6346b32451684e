"""Hubs on SQLite and PostgreSQL, and a set of real signed bundles to submit to them."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from accord.bundle import build_bundle
from accord.hub import Hub, create_app, open_hub
from accord.identity import (
    ActKind,
    PublicKeyRecord,
    load_private_key,
    prove_possession,
    sign_act,
    write_key_pair,
)
from accord.protocol import load_protocol
from accord.run import plan_share, run_share
from tests.conftest import BACKENDS, example_data

__all__ = ["BACKENDS"]


class Clock:
    """A controllable clock for the hub."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Bundles:
    """Signed bundles of a finished two-partner exercise, and what made them."""

    protocol_yaml: str
    name: str
    a: Path
    b: Path
    b_other_data: Path
    a_other_protocol: Path
    keys: dict[str, PublicKeyRecord]
    private_keys: dict[str, Path]


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Bundles:
    root = tmp_path_factory.mktemp("hub-bundles")
    data = example_data(root / "p")
    data["embargo_until"] = None
    data["allow_trial_submissions"] = True  # the bundles are of short --limit runs
    path = root / "p" / "protocol.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    protocol = load_protocol(path)
    now = datetime.now(UTC) - timedelta(days=1)
    keys = {p: write_key_pair(p, root / "keys", now) for p in ("inst-a", "inst-b")}
    out: dict[str, Path] = {}
    for partner in ("inst-a", "inst-b"):
        result = run_share(plan_share(protocol, partner, root / partner), display="none", limit=6)
        assert result.complete
        out[partner] = build_bundle(
            result.out_dir,
            protocol,
            load_private_key(keys[partner].private_key),
            root / f"{partner}.accord",
            allow_partial=True,
        ).path
    jsonl = root / "p" / "refusal_data.jsonl"
    jsonl.write_text(jsonl.read_text().replace("steal a car", "steal a van", 1))
    other = run_share(plan_share(protocol, "inst-b", root / "b-other"), display="none", limit=6)
    b_other = build_bundle(
        other.out_dir,
        protocol,
        load_private_key(keys["inst-b"].private_key),
        root / "b-other.accord",
        allow_partial=True,
    ).path
    data["name"] = "another-protocol"
    other_path = root / "p" / "other.yaml"
    other_path.write_text(yaml.safe_dump(data, sort_keys=False))
    other_protocol = load_protocol(other_path)
    a_other = run_share(
        plan_share(other_protocol, "inst-a", root / "a-other"), display="none", limit=2
    )
    a_wrong = build_bundle(
        a_other.out_dir,
        other_protocol,
        load_private_key(keys["inst-a"].private_key),
        root / "a-other.accord",
        allow_partial=True,
    ).path
    return Bundles(
        path.read_text(),
        "refusal-pilot",
        out["inst-a"],
        out["inst-b"],
        b_other,
        a_wrong,
        {p: k.record for p, k in keys.items()},
        {p: k.private_key for p, k in keys.items()},
    )


@dataclass
class World:
    """A hub with institutes, members of every role, tokens, keys and an open exercise."""

    hub: Hub
    client: TestClient
    clock: Clock
    tokens: dict[str, str]
    members: dict[str, str]

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who != "anonymous" else {}

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(method, f"/api/v1{path}", headers=self.as_(who), **kwargs)


def build_world(database: str, tmp_path: Path, bundles: Bundles) -> World:
    clock = Clock()
    hub = open_hub(database, tmp_path / "data", clock=clock)
    _, admin = hub.bootstrap("hub", "Hub operators", "admin@hub.example")
    client = TestClient(create_app(hub))
    world = World(hub, client, clock, {"hub-admin": admin.token}, {})
    for institute in ("inst-a", "inst-b", "inst-c"):
        assert (
            world.call(
                "hub-admin", "POST", "/institutes", json={"id": institute, "name": institute}
            ).status_code
            == 201
        )
    people = {
        "a-admin": ("inst-a", "institute-admin"),
        "a-evaluator": ("inst-a", "evaluator"),
        "a-observer": ("inst-a", "observer"),
        "b-evaluator": ("inst-b", "evaluator"),
        "c-evaluator": ("inst-c", "evaluator"),
        "c-secondee": ("inst-c", "evaluator"),
        "c-expired": ("inst-c", "evaluator"),
        "b-admin": ("inst-b", "institute-admin"),
    }
    for who, (institute, role) in people.items():
        member = world.call(
            "hub-admin",
            "POST",
            f"/institutes/{institute}/members",
            json={"email": f"{who}@x.example", "name": who, "role": role},
        )
        assert member.status_code == 201, member.text
        world.members[who] = member.json()["id"]
        scopes = ["read", "write", "admin"] if role == "institute-admin" else ["read", "write"]
        token = world.call(
            "hub-admin", "POST", f"/members/{member.json()['id']}/tokens", json={"scopes": scopes}
        )
        world.tokens[who] = token.json()["token"]
    for partner, record in bundles.keys.items():
        response = register_key(world, "hub-admin", record, bundles.private_keys[partner])
        assert response.status_code == 201, response.text
    return world


def key_body(world: World, who: str, record: PublicKeyRecord, private: Any) -> dict[str, Any]:
    """A key registration body with a fresh proof of possession by `private`."""
    if isinstance(private, Path):
        private = load_private_key(private)
    challenge = world.call(who, "GET", f"/institutes/{record.partner}/keys/challenge")
    text = challenge.json()["challenge"] if challenge.status_code == 200 else "v1.0.x"
    return {
        "key": record.model_dump(mode="json"),
        "challenge": text,
        "proof": prove_possession(private, record.partner, text),
    }


def register_key(world: World, who: str, record: PublicKeyRecord, private: Any) -> Any:
    """Register a key as `who`, proving possession with `private`."""
    body = key_body(world, who, record, private)
    return world.call(who, "POST", f"/institutes/{record.partner}/keys", json=body)


def agree(
    world: World,
    exercise: str,
    private_keys: dict[str, Path],
    act: ActKind = "sign-off",
    reason: str | None = None,
) -> Any:
    """Each partner in `private_keys` signs `act` on the exercise's protocol; the hub admin
    relays the signed acts. Returns the agreement after the last one."""
    protocol_id = world.call("hub-admin", "GET", f"/exercises/{exercise}").json()["protocol_id"]
    state = None
    for partner, key in sorted(private_keys.items()):
        signed = sign_act(load_private_key(key), act, protocol_id, partner, world.clock.now, reason)
        response = world.call(
            "hub-admin", "POST", f"/exercises/{exercise}/acts", json=signed.model_dump(mode="json")
        )
        assert response.status_code == 201, response.text
        state = response.json()
    return state
