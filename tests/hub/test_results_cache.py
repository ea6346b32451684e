"""Cached results: fresh after every change, across workers, and never across policy views."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from accord.hub import create_app, open_hub
from tests.hub.conftest import BACKENDS, Bundles, World, agree, build_world
from tests.hub.test_api import open_exercise, submit
from tests.hub.test_columns import both_submitted


class Worker:
    """A second hub on the same database and data directory, as another worker process has."""

    def __init__(self, world: World, database: str, data: Path) -> None:
        self.hub = open_hub(database, data, clock=world.clock, upgrade=False)
        self.client = TestClient(create_app(self.hub))
        self.world = world

    def results(self, who: str, exercise: str) -> dict[str, Any]:
        response = self.client.get(
            f"/api/v1/exercises/{exercise}/results", headers=self.world.as_(who)
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def head(world: World) -> str:
    return str(world.call("a-evaluator", "GET", "/ledger/head").json()["hash"])


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_every_change_reaches_a_worker_with_a_warm_cache(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    other = Worker(world, database, tmp_path / "data")
    exercise = open_exercise(world, bundles)
    assert submit(world, "a-evaluator", exercise, bundles.a).status_code == 201

    first = other.results("a-evaluator", exercise)
    assert other.results("a-evaluator", exercise) == first  # now served from its cache
    assert len(other.hub.results_cache) == 1
    assert {r["institute_id"] for r in first["runs"]} == {"inst-a"}

    # an accepted submission, through the first worker
    assert submit(world, "b-evaluator", exercise, bundles.b).status_code == 201
    second = other.results("a-evaluator", exercise)
    assert {r["institute_id"] for r in second["runs"]} == {"inst-a", "inst-b"}
    assert second["analysis"] != first["analysis"] and second["ledger_head"] == head(world)

    # a superseding submission (signed later) replaces inst-b's run and records a deviation
    assert submit(world, "b-evaluator", exercise, bundles.b_other_data).status_code == 201
    third = other.results("a-evaluator", exercise)
    b_runs = lambda r: {x["id"] for x in r["runs"] if x["institute_id"] == "inst-b"}  # noqa: E731
    assert b_runs(third) and b_runs(third).isdisjoint(b_runs(second))
    assert [d["kind"] for d in third["deviations"]] == ["dataset_digest"]
    assert [r["verdict"] for r in third["analysis"]["replications"]] == ["deviation"]

    # an amendment: a changed reference model sets its runs aside
    data = yaml.safe_load(bundles.protocol_yaml)
    data["models"][1]["model"] = "accord/complier"
    body = {"protocol_yaml": yaml.safe_dump(data, sort_keys=False)}
    amended = world.call("hub-admin", "POST", f"/exercises/{exercise}/amendments", json=body)
    assert amended.status_code == 201, amended.text
    sixth = other.results("a-evaluator", exercise)
    assert sixth["protocol_id"] == amended.json()["protocol_id"] != third["protocol_id"]
    assert sixth["state"] == "draft"
    assert len(sixth["runs"]) == len(third["runs"]) - amended.json()["runs_set_aside"] > 0

    # governance acts (sign-offs of the amended protocol) and a transition
    agree(world, exercise, bundles.private_keys)
    assert other.results("a-evaluator", exercise)["ledger_head"] == head(world)
    assert world.call("hub-admin", "POST", f"/exercises/{exercise}/open").status_code == 200
    opened = other.results("a-evaluator", exercise)
    assert opened["state"] == "open" and opened["status"]["state"] == "open"

    # a key revocation: validity changes, and so does the signed head results carry
    key_id = bundles.keys["inst-b"].key_id
    revoked = world.call(
        "b-admin", "POST", f"/institutes/inst-b/keys/{key_id}/revoke", json={"reason": "lost"}
    )
    assert revoked.status_code == 200, revoked.text
    seventh = other.results("a-evaluator", exercise)
    assert seventh["ledger_head"] == head(world) != opened["ledger_head"]
    assert seventh["ledger_checkpoint"]["hash"] == seventh["ledger_head"]


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_cached_results_keep_each_policy_view(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world, exercise = both_submitted(database, tmp_path, bundles)
    assert world.call("hub-admin", "POST", f"/exercises/{exercise}/close").status_code == 200
    agree(world, exercise, bundles.private_keys, "approve")
    assert world.call("hub-admin", "POST", f"/exercises/{exercise}/publish").status_code == 200
    path = f"/exercises/{exercise}/results"

    def read(who: str) -> dict[str, Any]:
        response = world.call(who, "GET", path)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def insider_fields(results: dict[str, Any]) -> set[str]:
        run_fields = {k for r in results["runs"] for k in r} & {"disclosure", "log_sha256"}
        cell_fields = {k for c in results["status"]["cells"] for k in c}
        return run_fields | (cell_fields & {"submission_id", "bundle_sha256", "submitter_id"})

    everything = {"disclosure", "log_sha256", "submission_id", "bundle_sha256", "submitter_id"}
    for order in (("a-evaluator", "c-evaluator"), ("c-evaluator", "a-evaluator")):
        world.hub.results_cache.clear()
        for _ in range(2):  # the second round is served from the cache
            for who in order:
                fields = insider_fields(read(who))
                assert fields == (everything if who == "a-evaluator" else set()), who
        assert len(world.hub.results_cache) == 2  # one entry per view, never shared
    insider, outsider = read("a-evaluator"), read("c-evaluator")
    assert insider["analysis"] == outsider["analysis"]  # the analysis is the same for both
    assert read("hub-admin")["runs"] == insider["runs"]
