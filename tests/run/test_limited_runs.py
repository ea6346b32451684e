"""Trial runs (`--limit`): marked in the manifest, named by compare, refused by bundle and hub."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accord.cli import app
from accord.hub import create_app, open_hub
from accord.identity import load_private_key, sign_act, write_key_pair
from accord.run import read_manifest
from tests.conftest import ProtocolFactory, key_registration

runner = CliRunner(env={"COLUMNS": "80"})


def run(path: Path, partner: str, out: Path, *extra: str) -> Path:
    result = runner.invoke(app, ["run", str(path), "-p", partner, "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out


def build(run_dir: Path, protocol: Path, key: Path, out: Path, *extra: str) -> Any:
    return runner.invoke(
        app,
        [
            *("bundle", "build", str(run_dir), "--protocol", str(protocol)),
            *("--key", str(key), "-o", str(out), *extra),
        ],
    )


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    for partner in ("inst-a", "inst-b"):
        write_key_pair(partner, directory, datetime.now(UTC) - timedelta(days=1))
    return directory


def test_a_limited_run_is_marked_and_compare_names_the_limit(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    full = run(path, "inst-a", tmp_path / "a")
    trial = run(path, "inst-b", tmp_path / "b", "--limit", "5")
    assert read_manifest(trial).partial and read_manifest(trial).options.limit == 5
    assert not read_manifest(full).partial
    result = runner.invoke(app, ["run", "compare", str(full), str(trial)])
    assert result.exit_code == 1
    assert "not comparable" in result.stdout
    assert "because inst-b ran with --limit 5" in result.stdout
    data = json.loads(
        runner.invoke(app, ["run", "compare", str(full), str(trial), "--json"]).stdout
    )
    assert any("--limit 5" in r for r in data["reasons"])
    assert {"run": None, "field": "options.limit", "a": None, "b": 5} in [
        {k: d[k] for k in ("run", "field", "a", "b")} for d in data["differences"]
    ]


def test_bundle_build_refuses_a_trial_unless_allowed_and_marks_it(
    make_protocol: ProtocolFactory, tmp_path: Path, keys: Path
) -> None:
    path = make_protocol()
    trial = run(path, "inst-a", tmp_path / "a", "--limit", "3")
    out = tmp_path / "a.accord"
    refused = build(trial, path, keys / "inst-a.key", out)
    assert refused.exit_code == 2
    assert "--limit 3" in refused.stderr and "--allow-partial" in refused.stderr
    assert not out.exists()
    built = build(trial, path, keys / "inst-a.key", out, "--allow-partial", "--json")
    assert built.exit_code == 0, built.output
    assert json.loads(built.stdout)["trial_limit"] == 3
    shown = runner.invoke(app, ["bundle", "show", str(out)])
    assert "trial bundle" in shown.stdout and "--limit 3" in shown.stdout


def test_bundle_build_refuses_another_partners_key(
    make_protocol: ProtocolFactory, tmp_path: Path, keys: Path
) -> None:
    path = make_protocol()
    run_dir = run(path, "inst-a", tmp_path / "a", "--limit", "2")
    out = tmp_path / "a.accord"
    result = build(run_dir, path, keys / "inst-b.key", out, "--allow-partial")
    assert result.exit_code == 2
    assert "the key is inst-b's" in result.stderr and "keys/inst-a.key" in result.stderr
    assert not out.exists()


def test_the_hub_refuses_a_trial_bundle_unless_the_protocol_allows_trials(
    make_protocol: ProtocolFactory, tmp_path: Path, keys: Path
) -> None:
    for allowed in (False, True):

        def edit(data: dict[str, Any], allowed: bool = allowed) -> None:
            data["embargo_until"] = None
            data["allow_trial_submissions"] = allowed

        path = make_protocol(edit, name=f"trials-{allowed}")
        run_dir = run(path, "inst-a", tmp_path / f"a-{allowed}", "--limit", "2")
        bundle = tmp_path / f"a-{allowed}.accord"
        assert build(run_dir, path, keys / "inst-a.key", bundle, "--allow-partial").exit_code == 0
        response = _submit(tmp_path / f"hub-{allowed}", path, keys, bundle)
        if allowed:
            assert response.status_code == 201, response.text
        else:
            assert response.status_code == 422
            message = response.json()["error"]["message"]
            assert "trial run (--limit 2)" in message and "allow_trial_submissions" in message


def _submit(directory: Path, protocol: Path, keys: Path, bundle: Path) -> Any:
    hub = open_hub(str(directory / "hub.db"), directory)
    _, admin = hub.bootstrap("hub", "Hub operators", "admin@hub.example")
    client = TestClient(create_app(hub))

    def call(token: str, method: str, route: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        return client.request(method, f"/api/v1{route}", headers=headers, **kwargs)

    for partner in ("inst-a", "inst-b"):
        call(admin.token, "POST", "/institutes", json={"id": partner, "name": partner})
        body = key_registration(client, admin.token, keys, partner)
        assert call(admin.token, "POST", f"/institutes/{partner}/keys", json=body).is_success
    member = call(
        admin.token,
        "POST",
        "/institutes/inst-a/members",
        json={"email": "e@a.example", "name": "e", "role": "evaluator"},
    ).json()
    token = call(
        admin.token, "POST", f"/members/{member['id']}/tokens", json={"scopes": ["read", "write"]}
    ).json()["token"]
    yaml_text = protocol.read_text()
    exercise = call(admin.token, "POST", "/exercises", json={"protocol_yaml": yaml_text})
    name = yaml.safe_load(yaml_text)["name"]
    assert exercise.status_code == 201, exercise.text
    for partner in ("inst-a", "inst-b"):
        key = load_private_key(keys / f"{partner}.key")
        act = sign_act(key, "sign-off", exercise.json()["protocol_id"], partner, datetime.now(UTC))
        signed = call(
            admin.token, "POST", f"/exercises/{name}/acts", json=act.model_dump(mode="json")
        )
        assert signed.status_code == 201, signed.text
    call(admin.token, "POST", f"/exercises/{name}/open")
    with bundle.open("rb") as stream:
        return call(
            token, "POST", f"/exercises/{name}/submissions", files={"bundle": ("b.accord", stream)}
        )


def test_the_manifest_records_the_limit_the_logs_ran_with(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    out = tmp_path / "b"
    run(path, "inst-b", out, "--limit", "3")
    assert read_manifest(out).options.limit == 3
    run(path, "inst-b", out)  # the full run replaces the trial
    assert not read_manifest(out).partial and read_manifest(out).logs[0].samples == 24
    # Asking for a trial where the full logs are done runs nothing: the run stays a full one,
    # and --json output stays pure JSON even though Inspect reports that all was done.
    again = runner.invoke(app, ["run", str(path), "-p", "inst-b", "-o", str(out), "--limit", "3"])
    assert again.exit_code == 0 and "--limit 3 changed nothing" in again.stderr
    as_json = runner.invoke(
        app, ["run", str(path), "-p", "inst-b", "-o", str(out), "--limit", "3", "--json"]
    )
    assert json.loads(as_json.stdout)["options"]["limit"] is None
    assert not read_manifest(out).partial
