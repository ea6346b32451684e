"""Offset pages served from bookmarks are exactly the pages a plain OFFSET gives."""

import random
from pathlib import Path
from typing import Any

import pytest

from accord.hub import _bookmarks
from tests.hub.conftest import BACKENDS, Bundles, World, build_world
from tests.hub.test_api import open_exercise, submit


def every_row(world: World, exercise: str, run: str | None = None) -> list[dict[str, Any]]:
    """All score rows in order, read by keyset (`after`), which bookmarks never touch."""
    rows: list[dict[str, Any]] = []
    after = 0
    while True:
        params = {"limit": 7, "after": after} | ({"run": run} if run else {})
        page = world.call("a-evaluator", "GET", f"/exercises/{exercise}/scores", params=params)
        assert page.status_code == 200, page.text
        rows += page.json()["items"]
        if page.json()["next_after"] is None:
            return rows
        after = page.json()["next_after"]


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_offset_pages_from_bookmarks_equal_plain_offsets(
    database: str, tmp_path: Path, bundles: Bundles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_bookmarks, "EVERY", 5)  # bookmarks every 5 rows of a small exercise
    world = build_world(database, tmp_path, bundles)
    exercise = open_exercise(world, bundles)
    for who, bundle in (("a-evaluator", bundles.a), ("b-evaluator", bundles.b)):
        assert submit(world, who, exercise, bundle).status_code == 201
    rows = every_row(world, exercise)
    assert len(rows) > 20
    one_run = rows[-1]["run_id"]
    of_run = every_row(world, exercise, one_run)
    rng = random.Random(14)
    # every offset around the bookmarks and past the end, then random ones in random order
    offsets = list(range(len(rows) + 3)) + [rng.randrange(len(rows) + 10) for _ in range(40)]
    rng.shuffle(offsets)
    for offset in offsets:
        limit = rng.choice([1, 3, 5, 11])
        for run, expected in ((None, rows), (one_run, of_run)):
            params: dict[str, Any] = {"limit": limit, "offset": offset}
            if run:
                params["run"] = run
            page = world.call("a-evaluator", "GET", f"/exercises/{exercise}/scores", params=params)
            assert page.status_code == 200, page.text
            assert page.json()["items"] == expected[offset : offset + limit], (run, offset)
    # the bookmarks were used: a worker kept some for both run sets
    assert len(world.hub.page_bookmarks._marks) == 2
