"""Concurrent submissions (bounded) over a real socket lose nothing and duplicate nothing."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from accord.hub import create_app, serve_in_background
from tests.hub.conftest import BACKENDS, Bundles, agree, build_world


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_concurrent_submissions(database: str, tmp_path: Path, bundles: Bundles) -> None:
    world = build_world(database, tmp_path, bundles)
    exercise = world.call(
        "hub-admin", "POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml}
    ).json()["id"]
    agree(world, exercise, bundles.private_keys)
    world.call("hub-admin", "POST", f"/exercises/{exercise}/open")
    jobs = [("a-evaluator", bundles.a), ("b-evaluator", bundles.b)] * 4

    with serve_in_background(create_app(world.hub)) as url:

        def send(job: tuple[str, Path]) -> tuple[int, str]:
            who, bundle = job
            with bundle.open("rb") as stream:
                response = httpx.post(
                    f"{url}/api/v1/exercises/{exercise}/submissions",
                    headers=world.as_(who),
                    files={"bundle": ("b.accord", stream)},
                    timeout=120,
                )
            return response.status_code, response.json().get("id", response.text)

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(send, jobs))

    assert all(status in (200, 201) for status, _ in results), results
    assert sum(1 for status, _ in results if status == 201) == 2
    assert len({submission for _, submission in results}) == 2
    counts = world.hub.counts()
    assert counts["submissions"] == 2 and counts["runs"] == 3
    assert counts["sample_scores"] == 6 * 2 * 3
    ledger = world.call("hub-admin", "GET", "/ledger").json()
    assert [e["kind"] for e in ledger].count("submission.accepted") == 2
    assert world.call("hub-admin", "GET", "/ledger/verify").json()["ok"]
