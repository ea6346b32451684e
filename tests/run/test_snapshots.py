"""Model snapshots: what the provider said served each call, recorded and compared end to end."""

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from accord.run import compare_runs, read_manifest
from tests.conftest import ProtocolFactory
from tests.run._hub import submit_runs
from tests.run._loopback import LoopbackServer
from tests.run.conftest import run_trial as run

runner = CliRunner(env={"COLUMNS": "160"})
LOOPBACK = "openai-api/loopback/echo-latest"


def test_a_run_records_and_shows_the_snapshots_that_served_it(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    from accord.cli import app

    path = make_protocol()
    result = runner.invoke(app, ["run", str(path), "-p", "inst-a", "-o", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    by_model = {r.model_id: r.snapshots for r in read_manifest(tmp_path / "a").logs}
    # The stand-ins answer as their bare names, as a provider names its snapshot.
    assert by_model == {
        "subject": {"accord/guarded": ["guarded"]},
        "ref": {"accord/refuser": ["refuser"]},
    }
    assert "Models called" in result.stdout and "accord/refuser" in result.stdout


def loopback_protocol(make_protocol: ProtocolFactory, server: LoopbackServer) -> Path:
    def edit(data: dict[str, Any]) -> None:
        data["models"][0].update(model=LOOPBACK, base_url=server.base_url)
        data["tasks"][0]["epochs"] = 1
        data["embargo_until"] = None
        data["allow_trial_submissions"] = True

    return make_protocol(edit)


def test_runs_served_by_different_snapshots_are_not_comparable(
    make_protocol: ProtocolFactory, tmp_path: Path, server: LoopbackServer
) -> None:
    path = loopback_protocol(make_protocol, server)
    server.serve_snapshot("echo-2026-01-15")
    a = run(path, "inst-a", tmp_path / "a")
    same = run(path, "inst-b", tmp_path / "b-same")
    server.serve_snapshot("echo-2026-03-02")
    b = run(path, "inst-b", tmp_path / "b")
    subject = read_manifest(a).log("refusal", "subject")
    assert subject is not None and subject.snapshots == {LOOPBACK: ["echo-2026-01-15"]}
    assert compare_runs(a, same).comparable
    comparison = compare_runs(a, b)
    assert not comparison.comparable
    [difference] = [d for d in comparison.differences if d.field.startswith("snapshots.")]
    assert difference.run == "refusal x subject"
    assert difference.field == f"snapshots.{LOOPBACK}"
    assert (difference.a, difference.b) == (["echo-2026-01-15"], ["echo-2026-03-02"])


def test_the_hub_records_a_snapshot_deviation_and_the_report_lists_snapshots(
    make_protocol: ProtocolFactory, tmp_path: Path, server: LoopbackServer
) -> None:
    path = loopback_protocol(make_protocol, server)
    runs = {}
    for partner, snapshot in (("inst-a", "echo-2026-01-15"), ("inst-b", "echo-2026-03-02")):
        server.serve_snapshot(snapshot)
        runs[partner] = run(path, partner, tmp_path / partner)
    world, exercise, [first, response] = submit_runs(tmp_path, path, runs)
    assert first.status_code == 201 and response.status_code == 201, response.text
    [deviation] = response.json()["deviations"]
    assert "echo-2026-03-02" in deviation and "echo-2026-01-15" in deviation
    assert "did not test the same snapshot" in deviation
    results = world.call("a-evaluator", "GET", f"/exercises/{exercise}/results").json()
    assert [d["kind"] for d in results["deviations"]] == ["snapshots"]
    [replication] = results["analysis"]["replications"]
    assert replication["verdict"] == "deviation"
    report = world.call("a-evaluator", "GET", f"/exercises/{exercise}/report?format=json")
    assert report.status_code == 200
    rows = json.loads(report.text)["provenance"]["runs"]
    listed = {(r["partner"], r["model"]): r["snapshots"] for r in rows}
    assert listed[("inst-b", "subject")] == [f"{LOOPBACK}: echo-2026-03-02"]
    assert listed[("inst-a", "ref")] == ["accord/refuser: refuser"]
    markdown = world.call("a-evaluator", "GET", f"/exercises/{exercise}/report?format=md").text
    assert f"{LOOPBACK}: echo-2026-01-15" in markdown
