"""Runs submitted to a real hub (SQLite, TestClient) as signed bundles, for end-to-end tests."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from accord.bundle import build_bundle
from accord.identity import load_private_key, write_key_pair
from accord.protocol import load_protocol
from tests.hub.conftest import Bundles, World, build_world
from tests.hub.test_api import open_exercise, submit


def submit_runs(
    tmp_path: Path, protocol: Path, runs: dict[str, Path]
) -> tuple[World, str, list[Any]]:
    """Sign each partner's run, open the exercise on a new hub and submit them in order.

    Returns the hub, the exercise id and each submission's response.
    """
    when = datetime.now(UTC) - timedelta(days=1)
    keys = {p: write_key_pair(p, tmp_path / "keys", when) for p in ("inst-a", "inst-b")}
    built = {
        partner: build_bundle(
            run_dir,
            load_protocol(protocol),
            load_private_key(keys[partner].private_key),
            tmp_path / f"{partner}.accord",
            allow_partial=True,
        ).path
        for partner, run_dir in runs.items()
    }
    first = next(iter(built.values()))
    bundles = Bundles(
        protocol.read_text(),
        "refusal-pilot",
        built.get("inst-a", first),
        built.get("inst-b", first),
        first,
        first,
        {p: k.record for p, k in keys.items()},
        {p: k.private_key for p, k in keys.items()},
    )
    world = build_world(str(tmp_path / "hub.db"), tmp_path, bundles)
    exercise = open_exercise(world, bundles)
    evaluators = {"inst-a": "a-evaluator", "inst-b": "b-evaluator"}
    responses = [submit(world, evaluators[p], exercise, bundle) for p, bundle in built.items()]
    return world, exercise, responses
