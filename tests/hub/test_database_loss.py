"""The hub survives PostgreSQL dropping its pooled connections (a restart, a proxy timeout).

Reads are repeated once on a fresh connection; a write that was cut off answers 503 with
nothing stored, and the same request then succeeds.
"""

from pathlib import Path

import psycopg
import pytest

from tests.hub.conftest import BACKENDS, Bundles, World, build_world
from tests.hub.test_api import open_exercise


def drop_hub_connections(database: str) -> int:
    """Terminate every other session on the hub's database; how many there were."""
    with psycopg.connect(database, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(killed[0]) if killed else 0


def warm(world: World, exercise: str) -> None:
    for _ in range(3):  # several pooled connections, all alive and just returned
        assert world.call("a-evaluator", "GET", f"/exercises/{exercise}/scores").status_code == 200


@pytest.mark.parametrize("database", BACKENDS[1:], indirect=True)
def test_reads_are_repeated_and_a_cut_write_is_a_503(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    exercise = open_exercise(world, bundles)
    warm(world, exercise)
    assert drop_hub_connections(database) >= 1
    for path in ("/exercises", f"/exercises/{exercise}", f"/exercises/{exercise}/results"):
        response = world.call("a-evaluator", "GET", path)
        assert response.status_code == 200, (path, response.text)

    warm(world, exercise)
    assert drop_hub_connections(database) >= 1
    body = {"id": "inst-d", "name": "inst-d"}
    cut = world.call("hub-admin", "POST", "/institutes", json=body)
    assert cut.status_code == 503, cut.text
    assert "retry" in cut.json()["error"]["message"]
    listed = world.call("hub-admin", "GET", "/institutes").json()
    assert "inst-d" not in {i["id"] for i in listed}  # nothing half-stored
    assert world.call("hub-admin", "POST", "/institutes", json=body).status_code == 201
