"""A hub served over a socket with two partners and an outsider, and the hub tests' bundles."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from accord.hub import Hub, HubClient, create_app, open_hub, serve_in_background
from accord.identity import Keyring, KeyringEntry, load_private_key, write_keyring
from tests.hub.conftest import BACKENDS, Bundles, bundles

__all__ = ["BACKENDS", "Bundles", "bundles"]


@dataclass
class Served:
    """A hub on a loopback port with tokens and member ids by person."""

    hub: Hub
    url: str
    data: Path
    db: str
    tokens: dict[str, str]
    members: dict[str, str]

    def api(self, who: str) -> HubClient:
        return HubClient(self.url, self.tokens.get(who))


PEOPLE = {
    "a-admin": ("inst-a", "institute-admin"),
    "b-evaluator": ("inst-b", "evaluator"),
    "c-evaluator": ("inst-c", "evaluator"),
}


def populate(hub: Hub, url: str, bundles: Bundles) -> tuple[dict[str, str], dict[str, str]]:
    """Institutes, the people of PEOPLE with tokens, and the partners' keys, over HTTP."""
    _, admin = hub.bootstrap("hub", "Hub operators", "admin@hub.example")
    tokens, members = {"hub-admin": admin.token}, {}
    api = HubClient(url, admin.token)
    for institute in ("inst-a", "inst-b", "inst-c"):
        api.call("POST", "/institutes", json={"id": institute, "name": institute.upper()})
    for who, (institute, role) in PEOPLE.items():
        member = api.call(
            "POST",
            f"/institutes/{institute}/members",
            json={"email": f"{who}@x.example", "name": who, "role": role},
        )
        members[who] = member["id"]
        scopes = ["read", "write", "admin"] if role == "institute-admin" else ["read", "write"]
        tokens[who] = api.call("POST", f"/members/{member['id']}/tokens", json={"scopes": scopes})[
            "token"
        ]
    for partner, record in bundles.keys.items():
        api.register_key(partner, record, load_private_key(bundles.private_keys[partner]))
    return tokens, members


@pytest.fixture
def served(database: str, tmp_path: Path, bundles: Bundles) -> Iterator[Served]:
    data = tmp_path / "data"
    hub = open_hub(database, data)
    with serve_in_background(create_app(hub)) as url:
        tokens, members = populate(hub, url, bundles)
        yield Served(hub, url, data, database, tokens, members)


def write_ring(bundles: Bundles, path: Path, partners: tuple[str, ...]) -> Path:
    """A keyring trusting `partners`' keys, as a partner would keep it."""
    since = datetime.now(UTC) - timedelta(days=2)
    ring = Keyring(keys=[KeyringEntry(key=bundles.keys[p], valid_from=since) for p in partners])
    write_keyring(path, ring)
    return path
