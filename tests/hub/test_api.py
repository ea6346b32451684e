"""The API end to end over HTTP, on SQLite and PostgreSQL."""

from pathlib import Path

import pytest
from sqlalchemy import text

from accord.store import make_engine
from tests.hub.conftest import BACKENDS, Bundles, agree, build_world


def open_exercise(world, bundles: Bundles) -> str:  # type: ignore[no-untyped-def]
    exercise = world.call(
        "hub-admin", "POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml}
    ).json()["id"]
    agree(world, exercise, bundles.private_keys)
    assert world.call("hub-admin", "POST", f"/exercises/{exercise}/open").status_code == 200
    return str(exercise)


def submit(world, who: str, exercise: str, bundle: Path):  # type: ignore[no-untyped-def]
    with bundle.open("rb") as stream:
        return world.call(
            who,
            "POST",
            f"/exercises/{exercise}/submissions",
            files={"bundle": ("b.accord", stream)},
        )


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_exercise_lifecycle_submissions_and_results(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    created = world.call(
        "a-admin", "POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml}
    )
    assert created.status_code == 201, created.text
    exercise = created.json()["id"]
    assert created.json()["state"] == "draft"
    assert submit(world, "a-evaluator", exercise, bundles.a).status_code == 409  # not open yet
    agree(world, exercise, bundles.private_keys)
    assert world.call("a-admin", "POST", f"/exercises/{exercise}/open").json()["state"] == "open"

    first = submit(world, "a-evaluator", exercise, bundles.a)
    assert first.status_code == 201, first.text
    assert first.json()["created"] is True and first.json()["institute_id"] == "inst-a"
    counts = world.hub.counts()
    again = submit(world, "a-evaluator", exercise, bundles.a)
    assert (
        again.status_code == 200
        and again.json()["id"] == first.json()["id"]
        and again.json()["created"] is False
    )
    assert world.hub.counts() == counts  # idempotent: nothing added
    assert submit(world, "b-evaluator", exercise, bundles.b).status_code == 201

    results = world.call("a-observer", "GET", f"/exercises/{exercise}/results").json()
    assert {(r["institute_id"], r["model_id"]) for r in results["runs"]} == {
        ("inst-a", "subject"),
        ("inst-a", "ref"),
        ("inst-b", "subject"),
    }
    assert results["deviations"] == []
    analysis = results["analysis"]
    # identical scores of 24 samples in 6 clusters cannot show agreement within +-0.05
    assert [r["verdict"] for r in analysis["replications"]] == ["inconclusive"]
    assert any(e["partner"] is None for e in analysis["estimates"])  # pooled over comparable runs
    assert results["ledger_head"].startswith("sha256:")

    page = world.call(
        "b-evaluator", "GET", f"/exercises/{exercise}/scores", params={"limit": 5, "offset": 0}
    ).json()
    assert len(page["items"]) == 5
    assert all(
        item["answer"] in ("refused", "answered") for item in page["items"]
    )  # disclosure: samples
    total = world.hub.counts()["sample_scores"]
    assert total == (6 * 2) * 3  # 6 samples x 2 epochs x 3 runs, one scorer
    everything = world.call(
        "b-evaluator", "GET", f"/exercises/{exercise}/scores", params={"limit": 1000}
    ).json()["items"]
    assert len(everything) == total

    for verb, state in (("close", "closed"), ("publish", "published")):
        if verb == "publish":
            agree(world, exercise, bundles.private_keys, "approve")
        assert (
            world.call("a-admin", "POST", f"/exercises/{exercise}/{verb}").json()["state"] == state
        )
    public = world.call("anonymous", "GET", f"/exercises/{exercise}/results")
    assert public.status_code == 200 and public.json()["analysis"]["estimates"]
    assert "log_sha256" not in public.json()["runs"][0]  # outsiders see aggregates only
    assert world.call("anonymous", "GET", f"/exercises/{exercise}/scores").status_code == 403

    kinds = [e["kind"] for e in world.call("a-observer", "GET", "/ledger").json()]
    assert kinds.count("submission.accepted") == 2
    assert {
        "exercise.created",
        "exercise.opened",
        "exercise.closed",
        "exercise.published",
        "key.registered",
    } <= set(kinds)
    verify = world.call("a-observer", "GET", "/ledger/verify").json()
    assert verify["ok"] is True and verify["entries"] == len(kinds)

    openapi = world.client.get("/openapi.json").json()
    assert "/api/v1/exercises/{exercise_id}/submissions" in openapi["paths"]
    assert world.client.get("/docs").status_code == 200


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_rejected_submissions_leave_nothing_behind(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    exercise = open_exercise(world, bundles)
    before = world.hub.counts()
    tampered = tmp_path / "tampered.accord"
    raw = bytearray(bundles.a.read_bytes())
    raw[len(raw) // 2] ^= 0x55
    tampered.write_bytes(bytes(raw))
    cases = [
        (tampered, "the bundle does not verify"),
        (bundles.a_other_protocol, "bundle is for protocol"),
    ]
    for bundle, reason in cases:
        response = submit(world, "a-evaluator", exercise, bundle)
        assert response.status_code == 422, response.text
        assert reason in response.json()["error"]["message"]
    after = world.hub.counts()
    assert {k: v for k, v in after.items() if k != "ledger"} == {
        k: v for k, v in before.items() if k != "ledger"
    }
    ledger = world.call("hub-admin", "GET", "/ledger", params={"after": before["ledger"]}).json()
    assert [e["kind"] for e in ledger] == ["submission.rejected", "submission.rejected"]
    assert "does not verify" in ledger[0]["payload"]["reason"]
    # b's bundle submitted by a's evaluator: denied before any check, and audited
    denied = submit(world, "a-evaluator", exercise, bundles.b)
    assert denied.status_code == 403
    audit = world.call("hub-admin", "GET", "/audit", params={"outcome": "deny"}).json()
    assert (
        audit[0]["action"] == "submission.create"
        and audit[0]["actor"] == world.members["a-evaluator"]
    )


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_disagreeing_dataset_digests_are_recorded_as_deviations(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    exercise = open_exercise(world, bundles)
    assert submit(world, "a-evaluator", exercise, bundles.a).status_code == 201
    response = submit(world, "b-evaluator", exercise, bundles.b_other_data)
    assert response.status_code == 201
    [deviation] = response.json()["deviations"]  # once, naming the run's model
    assert "did not run the same samples" in deviation and "refusal x subject" in deviation
    results = world.call("a-evaluator", "GET", f"/exercises/{exercise}/results").json()
    assert results["deviations"][0]["kind"] == "dataset_digest"
    [replication] = results["analysis"]["replications"]
    assert replication["verdict"] == "deviation"


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_ledger_tampering_is_detected(database: str, tmp_path: Path, bundles: Bundles) -> None:
    world = build_world(database, tmp_path, bundles)
    open_exercise(world, bundles)  # entries to tamper with
    assert world.call("hub-admin", "GET", "/ledger/verify").json()["ok"]
    engine = make_engine(database)
    tampers = {
        "edit": ["UPDATE ledger SET subject = 'forged' WHERE seq = 3"],
        "delete": ["DELETE FROM ledger WHERE seq = 3"],
        "reorder": [
            "UPDATE ledger SET seq = -1 WHERE seq = 3",
            "UPDATE ledger SET seq = 3 WHERE seq = 4",
            "UPDATE ledger SET seq = 4 WHERE seq = -1",
        ],
    }
    for kind, statements in tampers.items():
        with engine.begin() as connection:
            snapshot = (
                connection.execute(text("SELECT * FROM ledger ORDER BY seq")).mappings().all()
            )
            for statement in statements:
                connection.execute(text(statement))
        check = world.call("hub-admin", "GET", "/ledger/verify").json()
        assert check["ok"] is False and check["first_broken"] == (4 if kind == "delete" else 3), (
            kind,
            check,
        )
        with engine.begin() as connection:  # restore
            connection.execute(text("DELETE FROM ledger"))
            for row in snapshot:
                connection.execute(
                    text(
                        "INSERT INTO ledger (seq, at, kind, subject, actor, payload, prev_hash, hash) VALUES (:seq, :at, :kind, :subject, :actor, :payload, :prev_hash, :hash)"
                    ),
                    {**row, "payload": _json(row["payload"])},
                )
        assert world.call("hub-admin", "GET", "/ledger/verify").json()["ok"], kind


def _json(value: object) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)


def test_an_operation_the_hub_cannot_do_is_503_not_a_500(tmp_path: Path) -> None:
    """E.g. printing a PDF on a host without Chromium: the API and the pages say so with 503."""
    from fastapi.testclient import TestClient

    from accord._util import InputError, OperationError
    from accord.hub import create_app, open_hub

    app = create_app(open_hub(str(tmp_path / "hub.db"), tmp_path))

    @app.get("/api/v1/probe/{kind}")
    @app.get("/probe/{kind}")
    def probe(kind: str) -> None:
        raise (InputError if kind == "input" else OperationError)(f"{kind} failed here")

    client = TestClient(app, raise_server_exceptions=False)
    api = client.get("/api/v1/probe/operation")
    assert api.status_code == 503 and api.json()["error"]["message"] == "operation failed here"
    assert client.get("/api/v1/probe/input").status_code == 400
    page = client.get("/probe/operation")
    assert page.status_code == 503 and "Not available on this hub" in page.text
    assert "operation failed here" in page.text
