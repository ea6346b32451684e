"""Property-based API testing of the hub's OpenAPI (schemathesis): no input gives a 500.

A few generated examples per operation, as a hub admin and as an observer, against a hub
with real ids (an open exercise with a submission, institutes, members) substituted into
the paths, so routes are exercised past their 404s.
"""

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.hub.conftest import BACKENDS, Bundles, World, agree, build_world

# Bounded in the suite; set ACCORD_SCHEMATHESIS_EXAMPLES for a deeper run by hand.
EXAMPLES = int(os.environ.get("ACCORD_SCHEMATHESIS_EXAMPLES", "6"))


@pytest.fixture
def served(database: str, tmp_path: Path, bundles: Bundles) -> World:
    world = build_world(database, tmp_path, bundles)
    exercise = world.call(
        "hub-admin", "POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml}
    ).json()["id"]
    agree(world, exercise, bundles.private_keys)
    assert world.call("hub-admin", "POST", f"/exercises/{exercise}/open").status_code == 200
    with bundles.a.open("rb") as stream:
        submitted = world.call(
            "a-evaluator",
            "POST",
            f"/exercises/{exercise}/submissions",
            files={"bundle": ("a.accord", stream)},
        )
    assert submitted.status_code == 201
    world.members["exercise"] = exercise
    return world


def _real_ids(world: World) -> dict[str, str]:
    # Ids that exist, so generated requests reach the handlers. Token, key and secondment
    # ids stay generated: revoking the callers' own credentials would end the run.
    return {
        "exercise_id": world.members["exercise"],
        "institute_id": "inst-a",
        "member_id": world.members["a-observer"],
    }


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_no_input_gives_a_server_error(served: World) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", served.client.app)
    real = _real_ids(served)
    failures: list[str] = []
    calls = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: Any) -> None:
            nonlocal calls
            for name in list(case.path_parameters or {}):
                if name in real:
                    case.path_parameters[name] = real[name]
            for who in ("a-observer", "hub-admin"):  # the admin may change state: last
                response = case.call(headers=served.as_(who))
                calls += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} as {who}: "
                        f"{response.status_code} {response.text[:200]}"
                    )

        exercise()
    assert failures == []
    assert calls >= len(operations) * 2
