"""Partners working together through a hub over a socket: status, fetch, scores, audit, ledger."""

import csv
import io
import json
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log
from sqlalchemy import select, text
from typer.testing import CliRunner

from accord.cli import app
from accord.run import file_digest
from accord.store import SampleScore, transaction
from tests.conftest import partners_agree
from tests.workplace.conftest import BACKENDS, Bundles, Served, write_ring

runner = CliRunner(env={"COLUMNS": "200"})


def cli(served: Served, who: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, list(args), env={"ACCORD_HUB_URL": served.url, "ACCORD_TOKEN": served.tokens[who]}
    )
    return result.exit_code, result.output


def fetch(served: Served, exercise: str, out: Path, ring: Path, *extra: str) -> tuple[int, str]:
    args = ("fetch", exercise, "-o", str(out), "--keyring", str(ring), *extra)
    return cli(served, "b-evaluator", *args)


def open_exercise(served: Served, bundles: Bundles) -> str:
    api = served.api("a-admin")
    exercise = str(
        api.call("POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml})["id"]
    )
    partners_agree(served.api("hub-admin"), exercise, bundles.private_keys)
    api.call("POST", f"/exercises/{exercise}/open")
    return exercise


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_status_matrix_of_a_half_finished_exercise(served: Served, bundles: Bundles) -> None:
    exercise = open_exercise(served, bundles)
    status = served.api("b-evaluator").call("GET", f"/exercises/{exercise}/status")
    assert status["owed"] == len(status["cells"]) > 0 and status["submitted"] == 0
    assert {c["partner"] for c in status["cells"]} == {"inst-a", "inst-b"}
    assert [b.split(" owes ")[0] for b in status["blocking"]] == ["inst-a", "inst-b"]

    served.api("a-admin").submit(exercise, bundles.a)
    status = served.api("b-evaluator").call("GET", f"/exercises/{exercise}/status")
    a_cells = [c for c in status["cells"] if c["partner"] == "inst-a"]
    b_cells = [c for c in status["cells"] if c["partner"] == "inst-b"]
    assert {c["state"] for c in a_cells} == {"submitted"}
    assert {c["state"] for c in b_cells} == {"owed"}
    assert {c["submitter_id"] for c in a_cells} == {served.members["a-admin"]}
    assert {c["bundle_sha256"] for c in a_cells} == {file_digest(bundles.a)}
    assert status["blocking"] == [
        "inst-b owes " + ", ".join(f"{c['task_id']} x {c['model_id']}" for c in b_cells)
    ]
    results = served.api("a-admin").call("GET", f"/exercises/{exercise}/results")
    assert results["status"] == status

    code, output = cli(served, "b-evaluator", "exercise", "status", exercise)
    assert code == 0, output
    assert "blocks closing: inst-b owes" in " ".join(output.split())
    assert served.members["a-admin"] in output  # ids are never cut

    # inst-b submits, then resubmits from a run on other data: superseded, with a deviation.
    served.api("b-evaluator").submit(exercise, bundles.b)
    served.api("b-evaluator").submit(exercise, bundles.b_other_data)
    status = served.api("a-admin").call("GET", f"/exercises/{exercise}/status")
    assert status["complete"] and status["blocking"] == [] and status["owed"] == 0
    b_cells = [c for c in status["cells"] if c["partner"] == "inst-b"]
    assert all(len(c["superseded"]) == 1 for c in b_cells)
    assert all(c["bundle_sha256"] == file_digest(bundles.b_other_data) for c in b_cells)
    assert any("dataset digest" in d for c in b_cells for d in c["deviations"])
    code, output = cli(served, "a-admin", "exercise", "status", exercise, "--json")
    assert code == 0 and json.loads(output)["complete"] is True

    # Once published, the public sees the matrix but not who submitted which bundle.
    served.api("a-admin").call("POST", f"/exercises/{exercise}/close")
    partners_agree(served.api("hub-admin"), exercise, bundles.private_keys, "approve")
    served.api("a-admin").call("POST", f"/exercises/{exercise}/publish")
    public = served.api("c-evaluator").call("GET", f"/exercises/{exercise}/status")
    assert public["complete"] and all("submitter_id" not in c for c in public["cells"])
    assert all("bundle_sha256" not in c for c in public["cells"])


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_fetch_verifies_and_unpacks_for_inspect_and_analyze(
    served: Served, bundles: Bundles, tmp_path: Path
) -> None:
    exercise = open_exercise(served, bundles)
    a = served.api("a-admin").submit(exercise, bundles.a)
    served.api("b-evaluator").submit(exercise, bundles.b)

    # The route serves the very bytes submitted, to partners only.
    response = served.api("b-evaluator").http.get(
        f"/exercises/{exercise}/submissions/{a['id']}/bundle"
    )
    assert response.status_code == 200
    assert response.content == bundles.a.read_bytes()
    assert response.headers["x-accord-bundle-sha256"] == file_digest(bundles.a)
    outsider = served.api("c-evaluator").http.get(
        f"/exercises/{exercise}/submissions/{a['id']}/bundle"
    )
    assert outsider.status_code == 404  # the exercise is hidden from it
    missing = served.api("b-evaluator").http.get(f"/exercises/{exercise}/submissions/nope/bundle")
    assert missing.status_code == 404 and "no submission 'nope'" in missing.text

    ring = write_ring(bundles, tmp_path / "ring.json", ("inst-a", "inst-b"))
    out = tmp_path / "fetched"
    code, output = fetch(served, exercise, out, ring, "--json")
    assert code == 0, output
    fetched = {row["partner"]: row for row in json.loads(output)}
    assert set(fetched) == {"inst-a", "inst-b"}
    assert file_digest(Path(fetched["inst-a"]["bundle"])) == file_digest(bundles.a)
    logs = sorted((out / "inst-a").glob("*.eval"))
    assert logs and len(logs) == fetched["inst-a"]["logs"]
    log = read_eval_log(str(logs[0]))  # what `inspect view` reads
    assert log.status == "success" and log.samples
    code, output = cli(
        served,
        "b-evaluator",
        "analyze",
        str(out / "inst-a"),
        str(out / "inst-b"),
        "--protocol",
        str(out / "protocol.yaml"),
        "--json",
    )
    assert code == 0, output
    assert json.loads(output)["estimates"]

    # A keyring that does not trust inst-a: its bundle is refused, nothing of it unpacked.
    partial_ring = write_ring(bundles, tmp_path / "b-only.json", ("inst-b",))
    elsewhere = tmp_path / "untrusted"
    code, output = fetch(served, exercise, elsewhere, partial_ring, "--partner", "inst-a")
    assert code == 1 and "not in the keyring" in " ".join(output.split())
    assert not (elsewhere / "inst-a").exists() and not list((elsewhere / "bundles").iterdir())

    code, output = fetch(served, exercise, elsewhere, ring, "--partner", "inst-z")
    assert code == 2 and "not a partner" in output

    # A bundle altered in the hub's blob store no longer verifies against the keyring.
    blob = served.hub.blobs.path(file_digest(bundles.a))
    original = blob.read_bytes()
    blob.write_bytes(original[:-10] + b"\0" * 10)
    code, output = fetch(served, exercise, tmp_path / "t", ring, "--partner", "inst-a")
    blob.write_bytes(original)
    assert code == 1 and "does not verify" in " ".join(output.split())


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_scores_submissions_and_audit_from_the_cli(
    served: Served, bundles: Bundles, monkeypatch: pytest.MonkeyPatch
) -> None:
    exercise = open_exercise(served, bundles)
    served.api("a-admin").submit(exercise, bundles.a)
    served.api("b-evaluator").submit(exercise, bundles.b)
    with transaction(served.hub.reads) as session:
        stored = set(session.scalars(select(SampleScore.id)))
    monkeypatch.setattr("accord.cli.scores.PAGE", 7)  # many pages from a small exercise
    code, output = cli(served, "b-evaluator", "scores", exercise, "--csv")
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    assert len(rows) == len(stored) > 7 and {int(r["id"]) for r in rows} == stored
    code, output = cli(served, "b-evaluator", "scores", exercise, "--json", "--limit", "10")
    assert code == 0 and len(json.loads(output)) == 10
    code, output = cli(served, "b-evaluator", "scores", exercise, "--json", "--csv")
    assert code == 2

    code, output = cli(served, "a-admin", "submissions", exercise, "--json")
    assert code == 0
    assert {s["institute_id"] for s in json.loads(output)} == {"inst-a", "inst-b"}
    code, output = cli(served, "c-evaluator", "submissions", exercise)
    assert code == 2 and "404" in output  # hidden: answered as missing

    code, output = cli(served, "hub-admin", "audit", "--outcome", "deny", "--json")
    assert code == 0
    denied = json.loads(output)
    assert any(e["actor"] == served.members["c-evaluator"] for e in denied)
    code, output = cli(served, "b-evaluator", "audit")
    assert code == 1 and "only administrators" in output


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_remote_ledger_verification(served: Served, bundles: Bundles) -> None:
    exercise = open_exercise(served, bundles)
    served.api("a-admin").submit(exercise, bundles.a)
    code, output = cli(served, "c-evaluator", "ledger", "verify", "--json")
    assert code == 0, output
    check = json.loads(output)
    assert check["ok"] and check["entries"] >= 3
    key = check["signed_head"]["key_id"]
    head = check["head"]
    code, output = cli(
        served, "c-evaluator", "ledger", "verify", "--hub-key", key, "--expect-head", head
    )
    assert code == 0 and "ledger intact" in output
    code, output = cli(
        served, "c-evaluator", "ledger", "verify", "--hub-key", "ed25519:" + "0" * 32
    )
    assert code == 1 and "not the pinned hub key" in " ".join(output.split())
    code, output = cli(
        served, "c-evaluator", "ledger", "verify", "--expect-head", "sha256:" + "1" * 64
    )
    assert code == 1 and "lacks the expected head" in " ".join(output.split())

    # Someone with the database edits an entry: the remote check names it.
    with served.hub.engine.begin() as connection:
        connection.execute(
            text("UPDATE ledger SET subject = 'forged' WHERE seq = 2"),
        )
    code, output = cli(served, "c-evaluator", "ledger", "verify", "--json")
    check = json.loads(output)
    assert code == 1 and check["first_broken"] == 2 and "edited" in check["reason"]


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_whoami_secondments_and_ledger_from_the_cli(served: Served) -> None:
    code, output = cli(served, "c-evaluator", "hub", "whoami", "--json")
    assert code == 0 and json.loads(output)["institute_id"] == "inst-c"
    member = served.members["c-evaluator"]
    code, output = cli(
        served,
        "a-admin",
        "hub",
        "second",
        member,
        "--host",
        "inst-a",
        "--until",
        "2099-01-01",
        "--json",
    )
    assert code == 0, output
    granted = json.loads(output)["id"]
    code, output = cli(served, "a-admin", "hub", "secondments", "inst-a")
    assert code == 0 and granted in output and member in output
    code, output = cli(
        served, "a-admin", "hub", "secondments", "inst-a", "--revoke", granted, "--json"
    )
    assert code == 0 and json.loads(output)["revoked_at"]

    code, output = cli(served, "c-evaluator", "ledger", "show", "--json")
    entries = json.loads(output)
    assert code == 0 and [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    code, output = cli(
        served, "c-evaluator", "ledger", "show", "--after", "2", "--limit", "1", "--json"
    )
    assert [e["seq"] for e in json.loads(output)] == [3]
    code, output = cli(served, "c-evaluator", "ledger", "head", "--json")
    assert code == 0 and json.loads(output)["hash"] == entries[-1]["hash"]
