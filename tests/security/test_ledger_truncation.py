"""Cutting the newest entries off the ledger: caught by the hub's checkpoint and by a kept head."""

from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from accord.cli import app
from accord.hub import signed_head_valid
from accord.identity import PublicKeyRecord
from accord.store import LedgerEntry
from tests.security.conftest import BACKENDS, Arena, Bundles, arena_for


def _cut_tail(arena: Arena, entries: int) -> None:
    with arena.world.hub.sessions() as session, session.begin():
        last = session.scalar(select(func.max(LedgerEntry.seq)))
        assert last is not None
        session.execute(delete(LedgerEntry).where(LedgerEntry.seq > last - entries))


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_a_removed_tail_is_detected(database: str, tmp_path: Path, bundles: Bundles) -> None:
    arena = arena_for(database, tmp_path, bundles)
    world = arena.world
    assert arena.upload("a-evaluator", bundles.a).status_code == 201
    kept = world.call("a-admin", "GET", f"/exercises/{arena.exercise}/results").json()
    head = kept["ledger_checkpoint"]
    record = PublicKeyRecord(
        partner="hub",
        key_id=head["key_id"],
        public_key=head["public_key"],
        created=world.clock.now,
    )
    assert head["hash"] == kept["ledger_head"] and signed_head_valid(head, record)
    assert not signed_head_valid({**head, "seq": head["seq"] - 1}, record)
    assert world.call("a-admin", "GET", "/ledger/verify").json()["ok"]

    _cut_tail(arena, 2)  # the accepted submission and the exercise's opening
    # The remaining chain is still a valid chain...
    verdict = world.call("a-admin", "GET", "/ledger/verify").json()
    # ...but it lacks the hub's checkpoint and the head a partner kept.
    assert not verdict["ok"] and "removed from its end" in verdict["reason"]
    data = world.hub.blobs.root.parent
    if database.endswith(".db"):
        command = ["hub", "ledger", "verify", "--db", database, "--data", str(data)]
        result = CliRunner().invoke(app, [*command, "--expect-head", head["hash"]])
        assert result.exit_code == 1 and "removed from its end" in result.output
    # An operator who also removed the checkpoint still fails against a partner's kept head;
    # without either, the cut chain verifies: the chain alone cannot prove its own end.
    (data / "ledger-checkpoint.json").unlink()
    assert world.call("a-admin", "GET", "/ledger/verify").json()["ok"]
    kept_only = world.call("a-admin", "GET", f"/ledger/verify?expect_head={head['hash']}")
    assert not kept_only.json()["ok"]
