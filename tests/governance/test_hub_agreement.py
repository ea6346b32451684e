"""Sign-off and publication by agreement on the hub, on SQLite and PostgreSQL."""

from datetime import date, timedelta
from pathlib import Path

import pytest

from accord.hub import open_hub
from accord.identity import Keyring, PartnerAct, public_record, verify_act, write_key_pair
from accord.identity import load_private_key as load_key
from tests.governance.conftest import BACKENDS, make_three
from tests.hub.conftest import Bundles, register_key


def ledger_ok(world) -> None:  # type: ignore[no-untyped-def]
    check = world.call("hub-admin", "GET", "/ledger/verify").json()
    assert check["ok"] is True, check


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_opens_only_when_every_partner_signed_the_exact_protocol(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    three = make_three(database, tmp_path, bundles)
    world = three.world
    assert three.send(three.act("inst-a"), who="a-admin").status_code == 201
    assert three.send(three.act("inst-b"), who="b-admin").status_code == 201

    refused = three.transition("open")
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert "2 of the 3 partner sign-offs" in message and "missing: inst-c" in message

    # a signature over another protocol id is refused, and nothing is recorded
    other = three.act("inst-c", protocol_id="sha256:" + "1" * 64)
    wrong = three.send(other, who="c-admin")
    assert wrong.status_code == 422
    assert "not " + three.protocol_id in wrong.json()["error"]["message"]
    # an act altered after signing is refused
    forged = PartnerAct.model_validate({**three.act("inst-c").model_dump(), "partner": "inst-a"})
    assert three.send(forged).status_code == 422
    # a key of inst-c that was revoked is refused
    spare = write_key_pair("inst-c", tmp_path / "spare", world.clock.now - timedelta(minutes=5))
    assert register_key(world, "hub-admin", spare.record, spare.private_key).status_code == 201
    revoke = f"/institutes/inst-c/keys/{spare.record.key_id}/revoke"
    assert world.call("c-admin", "POST", revoke, json={"reason": "laptop lost"}).status_code == 200
    world.clock.advance(seconds=1)
    by_revoked = three.send(three.act("inst-c", key=spare.private_key))
    assert by_revoked.status_code == 422
    assert "revoked" in by_revoked.json()["error"]["message"]
    # members who are not inst-c's admins cannot record inst-c's act
    good = three.act("inst-c")
    assert three.send(good, who="a-admin").status_code == 403
    assert three.send(good, who="a-evaluator").status_code == 403
    assert three.agreement()["missing_signatures"] == ["inst-c"]

    assert three.send(good, who="c-admin").status_code == 201
    assert three.send(good, who="c-admin").status_code == 409  # the same act again
    opened = three.transition("open")
    assert opened.status_code == 200 and opened.json()["state"] == "open"
    late = three.send(three.act("inst-a"), who="a-admin")
    assert late.status_code == 409  # sign-offs are taken while the exercise is a draft
    ledger_ok(world)

    # the sign-off survives a restart, and the exported ledger proves it offline
    world.client.close()
    restarted = open_hub(database, tmp_path / "data", clock=world.clock)
    from fastapi.testclient import TestClient

    from accord.hub import create_app

    world.hub, world.client = restarted, TestClient(create_app(restarted))
    state = three.agreement()
    assert {s["partner"] for s in state["signatures"]} == {"inst-a", "inst-b", "inst-c"}
    ledger_ok(world)
    entries = world.call("a-observer", "GET", "/ledger").json()
    signed = [
        PartnerAct.model_validate(e["payload"]["act"])
        for e in entries
        if e["kind"] == "protocol.signed"
    ]
    keyring = Keyring()
    for partner, key in three.keys.items():
        record = public_record(load_key(key), partner, world.clock.now - timedelta(days=2))
        keyring.add(record, world.clock.now - timedelta(days=2), None)
    assert len(signed) == 3
    assert all(verify_act(a, keyring, three.protocol_id) is None for a in signed)
    assert {e["kind"] for e in entries} >= {"protocol.signed", "exercise.opened"}


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_publication_needs_every_approval_and_no_objection_after_the_embargo(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    embargo = date.today() + timedelta(days=3)
    three = make_three(database, tmp_path, bundles, {"embargo_until": embargo.isoformat()})
    world = three.world
    three.everyone("sign-off")
    assert three.transition("open").status_code == 200
    early = three.send(three.act("inst-a", "approve"))
    assert early.status_code == 409  # approvals are of final results: a closed exercise
    assert three.transition("close").status_code == 200

    world.clock.advance(days=4)  # past the embargo: only agreement is missing now
    missing = three.transition("publish")
    assert missing.status_code == 409
    assert "0 of the 3 partner approvals" in missing.json()["error"]["message"]
    for partner in ("inst-a", "inst-b"):
        assert three.send(three.act(partner, "approve")).status_code == 201
    objection = three.act("inst-c", "object", reason="finding F2 rests on 6 samples")
    assert three.send(objection, who="c-admin").status_code == 201
    assert (
        three.send(three.act("inst-c", "approve", protocol_id="sha256:" + "2" * 64)).status_code
        == 422
    )
    blocked = three.transition("publish")
    assert blocked.status_code == 409
    assert "inst-c: finding F2 rests on 6 samples" in blocked.json()["error"]["message"]
    assert three.agreement("b-evaluator")["objections"] == {
        "inst-c": "finding F2 rests on 6 samples"
    }

    world.clock.advance(seconds=1)
    assert three.send(three.act("inst-c", "withdraw"), who="c-admin").status_code == 201
    still = three.transition("publish")
    assert still.status_code == 409 and "missing: inst-c" in still.json()["error"]["message"]
    assert three.send(objection, who="c-admin").status_code == 409  # no replaying the objection
    assert three.send(three.act("inst-c", "approve"), who="c-admin").status_code == 201
    published = three.transition("publish")
    assert published.status_code == 200, published.text

    state = three.agreement("anonymous")  # public once published, as the report cites it
    assert state["approvals"] == ["inst-a", "inst-b", "inst-c"] and state["objections"] == {}
    assert [h["act"] for h in state["history"]] == [
        *["sign-off"] * 3,
        "approve",
        "approve",
        "object",
        "withdraw",
        "approve",
    ]
    report = world.call(
        "anonymous", "GET", f"/exercises/{three.exercise}/report", params={"format": "md"}
    )
    assert report.status_code == 200
    agreement_line = next(x for x in report.text.splitlines() if x.startswith("- Agreement:"))
    assert "inst-b signed the protocol on" in agreement_line
    assert "inst-c objected to publication on" in agreement_line
    assert "finding F2 rests on 6 samples" in agreement_line
    ledger_ok(world)


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_embargo_still_holds_with_every_approval(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    embargo = date.today() + timedelta(days=3)
    three = make_three(database, tmp_path, bundles, {"embargo_until": embargo.isoformat()})
    three.everyone("sign-off")
    assert three.transition("open").status_code == 200
    assert three.transition("close").status_code == 200
    three.everyone("approve")
    held = three.transition("publish")
    assert held.status_code == 409 and "embargo" in held.json()["error"]["message"]
    three.world.clock.advance(days=4)
    assert three.transition("publish").status_code == 200


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_a_quorum_in_the_protocol_opens_and_publishes_with_fewer(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    three = make_three(database, tmp_path, bundles, {"governance": {"quorum": 2}})
    assert three.send(three.act("inst-a")).status_code == 201
    assert three.transition("open").status_code == 409
    assert three.send(three.act("inst-c")).status_code == 201
    assert three.transition("open").status_code == 200
    assert three.agreement()["quorum"] == 2
    assert three.transition("close").status_code == 200
    assert three.send(three.act("inst-b", "approve")).status_code == 201
    assert three.send(three.act("inst-a", "object", reason="wait for the rerun")).status_code == 201
    assert three.send(three.act("inst-c", "approve")).status_code == 201
    assert three.transition("publish").status_code == 409  # an objection blocks any quorum
    three.world.clock.advance(seconds=1)
    assert three.send(three.act("inst-a", "withdraw")).status_code == 201
    assert three.transition("publish").status_code == 200
