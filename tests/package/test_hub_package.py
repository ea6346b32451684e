import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from accord.cli import app
from accord.hub import create_app, open_hub, serve_in_background
from accord.identity import prove_possession, write_keyring
from accord.package import build_package
from tests.conftest import BACKENDS, new_database
from tests.package.conftest import Authors, flip_byte, write_protocol

runner = CliRunner(env={"COLUMNS": "200"})


def invoke(*args: str, token: str) -> Any:
    result = runner.invoke(app, [*args], env={"ACCORD_TOKEN": token, "COLUMNS": "200"})
    return result


def protocol_for_hub(directory: Path) -> Path:
    path = write_protocol(directory)
    data = yaml.safe_load(path.read_text())
    data["embargo_until"] = None
    data["allow_trial_submissions"] = True
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def set_up(http: httpx.Client, authors: Authors) -> dict[str, str]:
    """Institutes inst-a and inst-b with their keys, and an evaluator token for each."""
    tokens = {}
    for partner, key, record in (
        ("inst-a", authors.a, authors.a_record),
        ("inst-b", authors.b, authors.b_record),
    ):
        assert http.post("/institutes", json={"id": partner, "name": partner}).status_code == 201
        challenge = http.get(f"/institutes/{partner}/keys/challenge").json()["challenge"]
        body = {
            "key": record.model_dump(mode="json"),
            "challenge": challenge,
            "proof": prove_possession(key, partner, challenge),
        }
        assert http.post(f"/institutes/{partner}/keys", json=body).status_code == 201
        member = http.post(
            f"/institutes/{partner}/members",
            json={"email": f"eval@{partner}.example", "name": "eval", "role": "evaluator"},
        ).json()
        token = http.post(f"/members/{member['id']}/tokens", json={"scopes": ["read", "write"]})
        tokens[partner] = token.json()["token"]
    return tokens


def run_and_bundle(source: Path, protocol: Path, partner: str, authors: Authors, out: Path) -> Path:
    result = runner.invoke(
        app, ["run", str(source), "-p", partner, "-o", str(out / "run"), "--limit", "4", "--json"]
    )
    assert result.exit_code == 0, result.output
    bundle = out / f"{partner}.accord"
    built = runner.invoke(
        app,
        [
            *("bundle", "build", str(out / "run"), "--protocol", str(protocol)),
            *("--key", str(authors.key_dir / f"{partner}.key"), "-o", str(bundle)),
            "--allow-partial",
        ],
    )
    assert built.exit_code == 0, built.output
    return bundle


@pytest.mark.parametrize("backend", BACKENDS)
def test_exercise_from_package(
    backend: str, tmp_path: Path, authors: Authors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_CACHE_DIR", str(tmp_path / "cache"))
    protocol = protocol_for_hub(tmp_path / "pilot")
    package = build_package(protocol, tmp_path / "pilot.accordpkg", signer=authors.signer("inst-a"))
    ring = tmp_path / "keyring.json"
    write_keyring(ring, authors.keyring())
    with new_database(backend, tmp_path / "hub.db") as database:
        hub = open_hub(database, tmp_path / "data")
        _, admin = hub.bootstrap("hub", "Hub operators", "admin@hub.example")
        with serve_in_background(create_app(hub)) as url:
            monkeypatch.setenv("ACCORD_HUB_URL", url)
            headers = {"Authorization": f"Bearer {admin.token}"}
            with httpx.Client(base_url=f"{url}/api/v1", headers=headers) as http:
                tokens = set_up(http, authors)
                created = invoke(
                    "exercise", "create", str(package.path), "--json", token=admin.token
                )
                assert created.exit_code == 0, created.output
                exercise = json.loads(created.stdout)
                assert exercise["package"]["digest"] == package.digest
                name = exercise["id"]
                _check_upload_guards(url, name, package.path, tokens["inst-b"], admin.token)
                _check_bad_packages(http, protocol, package.path)
                for partner in ("inst-a", "inst-b"):
                    key = str(authors.key_dir / f"{partner}.key")
                    signed = invoke("exercise", "sign", name, "--key", key, token=admin.token)
                    assert signed.exit_code == 0, signed.output
                assert invoke("exercise", "open", name, token=admin.token).exit_code == 0

                # inst-b fetches the package, verifies it with its own keyring, runs it.
                fetched = invoke(
                    *("fetch", name, "--package", "-o", str(tmp_path / "fetched")),
                    *("--keyring", str(ring), "--json"),
                    token=tokens["inst-b"],
                )
                assert fetched.exit_code == 0, fetched.output
                got = json.loads(fetched.stdout)
                assert got["digest"] == package.digest and got["signers"] == ["inst-a"]
                bundle_b = run_and_bundle(
                    Path(got["path"]), protocol, "inst-b", authors, tmp_path / "b"
                )
                submitted = invoke(
                    "submit", str(bundle_b), "-e", name, "--json", token=tokens["inst-b"]
                )
                assert submitted.exit_code == 0, submitted.output
                assert json.loads(submitted.stdout)["deviations"] == []

                # inst-a runs an edited copy of the code: flagged on arrival.
                edited = protocol_for_hub(tmp_path / "edited")
                judge = edited.parent / "judging.py"
                judge.write_bytes(flip_byte(judge.read_bytes()))
                bundle_a = run_and_bundle(edited, protocol, "inst-a", authors, tmp_path / "a")
                submitted = invoke(
                    "submit", str(bundle_a), "-e", name, "--json", token=tokens["inst-a"]
                )
                assert submitted.exit_code == 0, submitted.output
                deviations = json.loads(submitted.stdout)["deviations"]
                assert deviations and all("exercise package" in d for d in deviations)
                assert any("inst-a's refusal x subject" in d for d in deviations)
        hub.engine.dispose()


def _check_upload_guards(url: str, name: str, package: Path, evaluator: str, admin: str) -> None:
    """Refused before the body is read: an outsider (the draft is hidden from them), a partner
    who does not manage the exercise; and a second package."""
    target = f"{url}/api/v1/exercises/{name}/package"
    body = package.read_bytes()
    assert httpx.put(target, content=body).status_code == 404
    denied = httpx.put(target, content=body, headers={"Authorization": f"Bearer {evaluator}"})
    assert denied.status_code == 403
    again = httpx.put(target, content=body, headers={"Authorization": f"Bearer {admin}"})
    assert again.status_code == 409 and "never changes" in again.text
    info = httpx.get(f"{target}/info", headers={"Authorization": f"Bearer {evaluator}"})
    assert info.status_code == 200 and info.json()["signers"] == ["inst-a"]


def _check_bad_packages(http: httpx.Client, protocol: Path, package: Path) -> None:
    """A draft of another protocol: garbage and another protocol's package are 422, not 500."""
    data = yaml.safe_load(protocol.read_text())
    data["name"] = "other-pilot"
    created = http.post("/exercises", json={"protocol_yaml": yaml.safe_dump(data)})
    assert created.status_code == 201, created.text
    target = "/exercises/other-pilot/package"
    garbage = http.put(target, content=b"not a zip at all")
    assert garbage.status_code == 422 and "not a package archive" in garbage.text
    wrong = http.put(target, content=package.read_bytes())
    assert wrong.status_code == 422 and "build the package from the exercise" in wrong.text
    assert http.get(target).status_code == 404
