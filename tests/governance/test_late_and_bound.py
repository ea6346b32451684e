"""A late partner signs after a quorum opened the exercise; acts name the hub they are for."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.hub import create_app, serve_in_background
from accord.identity import PartnerAct
from tests.governance.conftest import BACKENDS, make_three
from tests.hub.conftest import Bundles


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_a_late_partner_signs_after_a_quorum_opened_it(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    three = make_three(database, tmp_path, bundles, {"governance": {"quorum": 2}})
    for partner in ("inst-a", "inst-b"):
        assert three.send(three.act(partner)).status_code == 201
    assert three.transition("open").status_code == 200
    assert three.agreement()["late_signatures"] == []
    three.world.clock.advance(hours=1)
    late = three.send(three.act("inst-c"), who="c-admin")
    assert late.status_code == 201, late.text
    state = late.json()
    assert state["late_signatures"] == ["inst-c"] and state["missing_signatures"] == []
    assert three.send(three.act("inst-c"), who="c-admin").status_code == 409  # once only
    report = three.world.call(
        "a-admin", "GET", f"/exercises/{three.exercise}/report", params={"format": "md"}
    ).text
    assert "inst-c signed the protocol after the exercise opened on" in report
    assert "inst-a signed the protocol on" in report
    assert three.world.call("hub-admin", "GET", "/ledger/verify").json()["ok"] is True
    token = three.world.tokens["a-observer"]
    with serve_in_background(create_app(three.world.hub)) as url:
        shown = CliRunner().invoke(
            app,
            [*("exercise", "agreement", three.exercise), "--hub", url, "--token", token],
        )
    assert shown.exit_code == 0, shown.output
    assert "signed after it opened: inst-c" in shown.stderr


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_an_act_names_its_hub_and_is_refused_on_another(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    three = make_three(database, tmp_path, bundles)
    world = three.world
    identity = world.client.get("/api/v1/identity").json()
    assert identity["hub_id"] == world.hub.hub_id and identity["ledger_key"]["partner"] == "hub"

    elsewhere = three.act("inst-a", hub="ed25519:" + "0" * 32)
    refused = three.send(elsewhere)
    assert refused.status_code == 422
    assert "signed for hub ed25519:0000" in refused.json()["error"]["message"]
    # the hub name is covered by the signature: changing it breaks the act
    moved = PartnerAct.model_validate({**elsewhere.model_dump(), "hub": world.hub.hub_id})
    assert "does not verify" in three.send(moved).json()["error"]["message"]

    bound = three.send(three.act("inst-a"))
    assert bound.status_code == 201
    unbound = three.send(three.act("inst-b", hub=None))  # made before acts named a hub
    assert unbound.status_code == 201, unbound.text
    rows = {s["partner"]: s for s in unbound.json()["signatures"]}
    assert rows["inst-a"]["hub"] == world.hub.hub_id and rows["inst-b"]["hub"] is None
    assert three.send(three.act("inst-c"), who="c-admin").status_code == 201
    report = world.call(
        "a-admin", "GET", f"/exercises/{three.exercise}/report", params={"format": "md"}
    ).text
    line = next(x for x in report.splitlines() if x.startswith("- Agreement:"))
    inst_b = next(part for part in line.split("; ") if "inst-b signed" in part)
    assert "not bound to a hub" in inst_b
    inst_a = next(part for part in line.split("; ") if "inst-a signed" in part)
    assert "not bound" not in inst_a
