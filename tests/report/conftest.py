"""The demo exercise (runs, signed bundles, keyring, report) and a hub it was submitted to."""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accord.cli import app
from accord.hub import Hub, create_app, open_hub
from accord.identity import (
    ActKind,
    load_private_key,
    sign_act,
)
from tests.conftest import key_registration

runner = CliRunner(env={"COLUMNS": "200"})
PARTNERS = ("inst-a", "inst-b")


@dataclass(frozen=True)
class Demo:
    """What `accord demo` left in its directory."""

    root: Path

    @property
    def protocol(self) -> Path:
        return self.root / "protocol.yaml"

    @property
    def runs(self) -> list[Path]:
        return [self.root / "runs" / p for p in PARTNERS]

    @property
    def bundles(self) -> list[Path]:
        return [self.root / "bundles" / f"{p}.accord" for p in PARTNERS]

    @property
    def keyring(self) -> Path:
        return self.root / "keyring.json"

    def models(self) -> list[dict[str, str]]:
        data: dict[str, Any] = yaml.safe_load(self.protocol.read_text())
        return list(data["models"])


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("report-demo") / "demo"
    result = runner.invoke(app, ["demo", "--dir", str(root)])
    assert result.exit_code == 0, result.output
    assert f"Joint report: {root / 'report.html'}" in " ".join(result.stdout.split())
    return Demo(root)


@dataclass
class HubWorld:
    """A hub with the demo exercise submitted by both partners; tokens by person."""

    hub: Hub
    client: TestClient
    tokens: dict[str, str]
    keys: Path
    exercise: str = "safeguards-demo"

    def agree(self, act: ActKind) -> None:
        """Both partners sign `act` on the exercise's protocol (the hub admin relays it)."""
        pid = self.get("hub-admin", f"/exercises/{self.exercise}").json()["protocol_id"]
        for partner in PARTNERS:
            key = load_private_key(self.keys / f"{partner}.key")
            signed = sign_act(key, act, pid, partner, datetime.now(UTC))
            self.post(
                "hub-admin", f"/exercises/{self.exercise}/acts", json=signed.model_dump(mode="json")
            )

    def get(self, who: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who != "anonymous" else {}
        return self.client.get(f"/api/v1{path}", headers=headers, **kwargs)

    def post(self, who: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        response = self.client.post(f"/api/v1{path}", headers=headers, **kwargs)
        assert response.is_success, response.text
        return response.json()


def build_hub(database: str, data_dir: Path, demo: Demo) -> HubWorld:
    """A hub where inst-a and inst-b submitted the demo bundles; inst-c is an outsider."""
    hub = open_hub(database, data_dir)
    _, admin = hub.bootstrap("hub", "Hub operators", "admin@hub.example")
    world = HubWorld(
        hub, TestClient(create_app(hub)), {"hub-admin": admin.token}, demo.root / "keys"
    )
    for institute in (*PARTNERS, "inst-c"):
        world.post("hub-admin", "/institutes", json={"id": institute, "name": institute})
        member = world.post(
            "hub-admin",
            f"/institutes/{institute}/members",
            json={"email": f"e@{institute}.example", "name": "E", "role": "evaluator"},
        )
        world.tokens[institute] = world.post(
            "hub-admin", f"/members/{member['id']}/tokens", json={"scopes": ["read", "write"]}
        )["token"]
    for partner in PARTNERS:
        body = key_registration(
            world.client, world.tokens["hub-admin"], demo.root / "keys", partner
        )
        world.post("hub-admin", f"/institutes/{partner}/keys", json=body)
    world.post("hub-admin", "/exercises", json={"protocol_yaml": demo.protocol.read_text()})
    world.agree("sign-off")
    world.post("hub-admin", f"/exercises/{world.exercise}/open")
    for partner, bundle in zip(PARTNERS, demo.bundles, strict=True):
        with bundle.open("rb") as stream:
            world.post(
                partner,
                f"/exercises/{world.exercise}/submissions",
                files={"bundle": (bundle.name, stream)},
            )
    return world
