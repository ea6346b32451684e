"""Re-signed copies of one run: each newer one supersedes, none multiplies the results."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.security.conftest import Arena, Bundles, resigned


def _signed_later(bundles: Bundles, tmp_path: Path, hours: float) -> Path:
    def later(data: dict[str, Any]) -> None:
        created = datetime.fromisoformat(data["created"])
        data["created"] = (created + timedelta(hours=hours)).isoformat()

    return resigned(bundles, tmp_path, later)


def _score_count(arena: Arena) -> int:
    page = arena.world.call("a-admin", "GET", f"/exercises/{arena.exercise}/scores?limit=10000")
    return len(page.json()["items"])


def test_resubmissions_supersede_and_never_duplicate(
    arena: Arena, bundles: Bundles, tmp_path: Path
) -> None:
    assert arena.upload("a-evaluator", bundles.a).status_code == 201
    future = arena.upload("a-evaluator", _signed_later(bundles, tmp_path, 1))
    assert future.status_code == 422 and "in the future" in future.json()["error"]["message"]
    arena.world.clock.advance(hours=4)
    once = _score_count(arena)
    runs = len(
        arena.world.call("a-admin", "GET", f"/exercises/{arena.exercise}/results").json()["runs"]
    )
    copies = [_signed_later(bundles, tmp_path, hours) for hours in (1, 2, 3)]
    for copy in copies:
        response = arena.upload("a-evaluator", copy)
        assert response.status_code == 201, response.text
    assert _score_count(arena) == once
    results = arena.world.call("a-admin", "GET", f"/exercises/{arena.exercise}/results").json()
    assert len(results["runs"]) == runs
    listed = arena.world.call("a-admin", "GET", f"/exercises/{arena.exercise}/submissions").json()
    assert [s["current"] for s in listed] == [False, False, False, True]
    ledger = arena.world.call("a-admin", "GET", "/ledger").json()
    accepted = [e for e in ledger if e["kind"] == "submission.accepted"]
    assert [len(e["payload"]["supersedes"]) for e in accepted] == [0, 1, 1, 1]
    # Replaying an older signed bundle does not roll the results back.
    replay = arena.upload("a-evaluator", _signed_later(bundles, tmp_path, 2.5))
    assert replay.status_code == 422 and "only a newer bundle" in replay.json()["error"]["message"]
    assert arena.world.call("a-admin", "GET", "/ledger").json()[-1]["kind"] == "submission.rejected"
    assert _score_count(arena) == once
