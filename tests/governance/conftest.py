"""A hub with a three-partner exercise (inst-a, inst-b, inst-c), each partner holding a key."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from accord.identity import ActKind, PartnerAct, load_private_key, sign_act, write_key_pair
from tests.hub.conftest import BACKENDS, Bundles, World, build_world, register_key
from tests.hub.conftest import bundles as bundles

__all__ = ["BACKENDS", "bundles"]


@dataclass
class Three:
    """A World with a draft three-partner exercise and every partner's private key."""

    world: World
    exercise: str
    protocol_yaml: str
    protocol_id: str
    keys: dict[str, Path]

    def act(self, partner: str, act: ActKind = "sign-off", **kwargs: Any) -> PartnerAct:
        """`partner`'s act signed now (by the hub's clock) over the exercise's protocol, for
        this hub (pass `hub=None` for an unbound act)."""
        key = load_private_key(kwargs.pop("key", self.keys[partner]))
        protocol_id = kwargs.pop("protocol_id", self.protocol_id)
        kwargs.setdefault("hub", self.world.hub.hub_id)  # as `accord exercise sign` does
        return sign_act(key, act, protocol_id, partner, self.world.clock.now, **kwargs)

    def send(self, act: PartnerAct, who: str = "hub-admin") -> Any:
        """Post a signed act to the hub as `who`."""
        return self.world.call(
            who, "POST", f"/exercises/{self.exercise}/acts", json=act.model_dump(mode="json")
        )

    def everyone(self, act: ActKind) -> None:
        """Every partner signs `act`; the hub admin relays each."""
        for partner in self.keys:
            response = self.send(self.act(partner, act))
            assert response.status_code == 201, response.text

    def transition(self, verb: str, who: str = "hub-admin") -> Any:
        return self.world.call(who, "POST", f"/exercises/{self.exercise}/{verb}")

    def agreement(self, who: str = "hub-admin") -> Any:
        return self.world.call(who, "GET", f"/exercises/{self.exercise}/agreement").json()


def three_partner_yaml(bundles: Bundles, edit: dict[str, Any] | None = None) -> str:
    """The bundles' protocol with a third partner, inst-c, sharing inst-a's work."""
    data = yaml.safe_load(bundles.protocol_yaml)
    data["name"] = "three-way"
    data["partners"].append({"id": "inst-c", "name": "Institute C"})
    share = next(a for a in data["assignments"] if a["partner"] == "inst-a")
    data["assignments"].append({**share, "partner": "inst-c"})
    data.update(edit or {})
    return yaml.safe_dump(data, sort_keys=False)


def make_three(
    database: str, tmp_path: Path, bundles: Bundles, edit: dict[str, Any] | None = None
) -> Three:
    world = build_world(database, tmp_path, bundles)
    keys = dict(bundles.private_keys)
    made = write_key_pair("inst-c", tmp_path / "keys", world.clock.now - timedelta(minutes=1))
    assert register_key(world, "hub-admin", made.record, made.private_key).status_code == 201
    keys["inst-c"] = made.private_key
    for who, institute in (("c-admin", "inst-c"),):
        member = world.call(
            "hub-admin",
            "POST",
            f"/institutes/{institute}/members",
            json={"email": f"{who}@x.example", "name": who, "role": "institute-admin"},
        ).json()
        world.members[who] = member["id"]
        world.tokens[who] = world.call(
            "hub-admin",
            "POST",
            f"/members/{member['id']}/tokens",
            json={"scopes": ["read", "write", "admin"]},
        ).json()["token"]
    text = three_partner_yaml(bundles, edit)
    created = world.call("a-admin", "POST", "/exercises", json={"protocol_yaml": text})
    assert created.status_code == 201, created.text
    body = created.json()
    return Three(world, body["id"], text, body["protocol_id"], keys)
