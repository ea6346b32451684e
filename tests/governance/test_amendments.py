"""Amendments end to end: sign v1, submit, amend to v2, re-sign, submit; on SQLite and PostgreSQL."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from accord.bundle import build_bundle
from accord.cli import app
from accord.hub import create_app, serve_in_background
from accord.identity import load_private_key
from accord.protocol import load_protocol, protocol_diff
from accord.run import plan_share, run_share
from tests.conftest import example_data
from tests.governance.conftest import BACKENDS
from tests.hub.conftest import Bundles, World, agree, build_world


def bundle(protocol: Path, partner: str, keys: dict[str, Path], out: Path) -> Path:
    loaded = load_protocol(protocol)
    result = run_share(plan_share(loaded, partner, out / partner), display="none", limit=4)
    key = load_private_key(keys[partner])
    return build_bundle(
        result.out_dir, loaded, key, out / f"{partner}.accord", allow_partial=True
    ).path


def submit(world: World, who: str, exercise: str, path: Path) -> Any:
    with path.open("rb") as stream:
        return world.call(
            who, "POST", f"/exercises/{exercise}/submissions", files={"bundle": ("b", stream)}
        )


def test_the_diff_names_sections_and_which_runs_it_affects(tmp_path: Path) -> None:
    data = example_data(tmp_path)
    old = load_protocol(tmp_path / "protocol.yaml").protocol
    data["models"][1]["model"] = "accord/complier"
    data["thresholds"][0]["when"] = "delta < -0.20"
    data["disclosure"] = {"default": "samples"}
    (tmp_path / "v2.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    diff = protocol_diff(old, load_protocol(tmp_path / "v2.yaml").protocol)
    assert diff.changes["models"] == ["changed ref: model"]
    assert diff.changes["thresholds"] == ["changed over-refusal: when"]
    assert "disclosure" in diff.changes and "tasks" not in diff.changes
    assert diff.affects("refusal", "ref") and not diff.affects("refusal", "subject")
    assert diff.analysis_changed


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_amendment_flow_sets_aside_incomparable_runs_and_marks_post_hoc(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    data = example_data(tmp_path / "p")
    data.update(embargo_until=None, allow_trial_submissions=True)
    v1 = tmp_path / "p" / "protocol.yaml"
    v1.write_text(yaml.safe_dump(data, sort_keys=False))
    keys = bundles.private_keys
    a1 = bundle(v1, "inst-a", keys, tmp_path / "v1")
    b1 = bundle(v1, "inst-b", keys, tmp_path / "v1")

    created = world.call("a-admin", "POST", "/exercises", json={"protocol_yaml": v1.read_text()})
    exercise, v1_id = created.json()["id"], created.json()["protocol_id"]
    agree(world, exercise, keys)
    assert world.call("a-admin", "POST", f"/exercises/{exercise}/open").status_code == 200
    assert submit(world, "a-evaluator", exercise, a1).status_code == 201

    data["models"][1]["model"] = "accord/complier"  # the reference changes: its runs differ
    data["thresholds"][0]["when"] = "delta < -0.20"  # and a threshold, after results: post hoc
    v2 = tmp_path / "p" / "protocol-v2.yaml"
    v2.write_text(yaml.safe_dump(data, sort_keys=False))
    body = {"protocol_yaml": v2.read_text()}
    path = f"/exercises/{exercise}/amendments"
    assert world.call("b-evaluator", "POST", path, json=body).status_code == 403
    renamed = yaml.safe_dump({**data, "name": "renamed"}, sort_keys=False)
    assert world.call("a-admin", "POST", path, json={"protocol_yaml": renamed}).status_code == 400
    unchanged = world.call("a-admin", "POST", path, json={"protocol_yaml": v1.read_text()})
    assert unchanged.status_code == 409

    amended = world.call("a-admin", "POST", path, json=body)
    assert amended.status_code == 201, amended.text
    change = amended.json()
    assert change["previous"] == v1_id and change["protocol_id"] != v1_id
    assert change["changes"]["models"] == ["changed ref: model"]
    assert change["post_hoc"] is True and change["runs_set_aside"] == 1  # inst-a's ref run

    state = world.call("a-admin", "GET", f"/exercises/{exercise}").json()
    assert state["state"] == "draft" and state["protocol_id"] == change["protocol_id"]
    assert submit(world, "b-evaluator", exercise, b1).status_code == 409  # not open
    reopen = world.call("a-admin", "POST", f"/exercises/{exercise}/open")
    assert reopen.status_code == 409 and "0 of the 2" in reopen.text  # v1 sign-offs do not count
    agree(world, exercise, keys)
    assert world.call("a-admin", "POST", f"/exercises/{exercise}/open").status_code == 200
    old = submit(world, "b-evaluator", exercise, b1)
    assert old.status_code == 422  # a bundle says which version it ran: v1 is refused now
    b2 = bundle(v2, "inst-b", keys, tmp_path / "v2")
    assert submit(world, "b-evaluator", exercise, b2).status_code == 201

    runs = world.call("a-admin", "GET", f"/exercises/{exercise}/results").json()["runs"]
    # inst-a's v1 subject run is comparable and counts; its v1 ref run is set aside
    assert sorted((r["institute_id"], r["model_id"]) for r in runs) == [
        ("inst-a", "subject"),
        ("inst-b", "subject"),
    ]
    report = world.call("a-admin", "GET", f"/exercises/{exercise}/report", params={"format": "md"})
    assert f"from {v1_id} to {change['protocol_id']}" in report.text
    assert "1 run(s) of the earlier version are kept but not pooled" in report.text
    assert "POST HOC" in report.text and "Post hoc: the analysis plan" in report.text
    entries = world.call("a-admin", "GET", "/ledger").json()
    link = next(e for e in entries if e["kind"] == "protocol.amended")
    assert link["payload"]["previous"] == v1_id
    assert world.call("a-admin", "GET", "/ledger/verify").json()["ok"] is True

    # the command line shows the structural difference of a further amendment
    data["disclosure"] = {"default": "samples"}
    v3 = tmp_path / "p" / "protocol-v3.yaml"
    v3.write_text(yaml.safe_dump(data, sort_keys=False))
    with serve_in_background(create_app(world.hub)) as url:
        shown = CliRunner(env={"COLUMNS": "200"}).invoke(
            app,
            [
                "exercise",
                "amend",
                exercise,
                str(v3),
                "--hub",
                url,
                "--token",
                world.tokens["a-admin"],
            ],
        )
    assert shown.exit_code == 0, shown.output
    assert "disclosure" in shown.stdout and "changed default" in shown.stdout
    assert "post hoc" not in shown.output  # disclosure is not the analysis plan
