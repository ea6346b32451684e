"""Operating a hub: admin-token recovery, backup -> wipe -> restore, onboarding from a protocol."""

import json
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from accord.cli import app
from accord.hub import HubClient, create_app, open_hub, serve_in_background
from accord.identity import load_private_key
from tests.conftest import new_database, partners_agree
from tests.workplace.conftest import BACKENDS, Bundles, Served

runner = CliRunner(env={"COLUMNS": "200"})


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env or {})
    return result.exit_code, result.output


@pytest.fixture
def empty_database(database: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same backend as `database` (a wiped machine's)."""
    backend = "sqlite" if "://" not in database else "postgresql"
    with new_database(backend, tmp_path / "restored" / "hub.db") as url:
        yield url


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_admin_token_recovery_is_audited_and_on_the_ledger(served: Served) -> None:
    old = served.tokens["hub-admin"]
    code, output = invoke(
        "hub", "admin-token", "--db", served.db, "--data", str(served.data), "--json"
    )
    assert code == 0, output
    issued = json.loads(output)
    assert issued["revoked"] == 1
    me = HubClient(served.url, issued["token"]).call("GET", "/me")
    assert me["role"] == "hub-admin" and "admin" in me["scopes"]
    refused = HubClient(served.url, old).http.get("/me")
    assert refused.status_code == 401  # the lost token no longer works
    api = HubClient(served.url, issued["token"])
    entries = api.call("GET", "/ledger")
    assert entries[-1]["kind"] == "admin.token.recovered"
    assert entries[-1]["payload"]["token_id"] == issued["token_id"]
    audit = api.call("GET", "/audit")
    assert audit[0]["action"] == "admin.token.recover" and issued["token_id"] in audit[0]["detail"]
    assert api.call("GET", "/ledger/verify")["ok"]

    data = ("--data", str(served.data))
    code, output = invoke(
        "hub", "admin-token", "--db", served.db, *data, "--email", "nobody@x.example"
    )
    assert code == 2 and "--create" in output
    code, output = invoke(
        "hub",
        "admin-token",
        "--db",
        served.db,
        "--data",
        str(served.data),
        "--email",
        "ops2@hub.example",
        "--create",
        "--json",
    )
    assert code == 0, output
    code, output = invoke("hub", "admin-token", "--db", served.db, "--data", str(served.data))
    assert code == 2 and "name one with --email" in output
    code, output = invoke(
        "hub", "admin-token", "--db", served.db, *data, "--email", "a-admin@x.example"
    )
    assert code == 2 and "not a hub admin" in output


def methods(database: str) -> list[str]:
    return ["sqlite", "logical"] if "://" not in database else ["pg_dump", "logical"]


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_backup_wipe_restore_serves_identical_results(
    served: Served, bundles: Bundles, empty_database: str, database: str, tmp_path: Path
) -> None:
    admin = served.api("a-admin")
    exercise = admin.call("POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml})["id"]
    partners_agree(served.api("hub-admin"), exercise, bundles.private_keys)
    admin.call("POST", f"/exercises/{exercise}/open")
    a = admin.submit(exercise, bundles.a)
    served.api("b-evaluator").submit(exercise, bundles.b)
    before = admin.call("GET", f"/exercises/{exercise}/results")
    scores = admin.call("GET", f"/exercises/{exercise}/scores", params={"limit": 10000})

    for method in methods(database):
        backup = tmp_path / f"hub-{method}.tar"
        code, output = invoke(
            "hub",
            "backup",
            "--db",
            served.db,
            "--data",
            str(served.data),
            "-o",
            str(backup),
            "--method",
            method,
            "--json",
        )
        assert code == 0, output
        assert json.loads(output)["blobs"] == 2

        target_data = tmp_path / f"restored-{method}"
        code, output = invoke(
            "hub",
            "restore",
            str(backup),
            "--db",
            empty_database,
            "--data",
            str(target_data),
            "--json",
        )
        assert code == 0, output
        assert json.loads(output)["ok"]
        restored = open_hub(empty_database, target_data)
        with serve_in_background(create_app(restored)) as url:
            api = HubClient(url, served.tokens["a-admin"])  # the same tokens work
            assert api.call("GET", f"/exercises/{exercise}/results") == before
            again = api.call("GET", f"/exercises/{exercise}/scores", params={"limit": 10000})
            assert again == scores
            bundle = api.http.get(f"/exercises/{exercise}/submissions/{a['id']}/bundle")
            assert bundle.content == bundles.a.read_bytes()
            assert api.call("GET", "/ledger/verify")["ok"]
            # The restored hub keeps working: a new ledger entry chains on.
            HubClient(url, served.tokens["hub-admin"]).call(
                "POST", "/institutes", json={"id": f"new-{method}", "name": "New"}
            )
            assert api.call("GET", "/ledger/verify")["ok"]
        restored.engine.dispose()
        # Into a target that is not empty: refused, nothing changed.
        code, output = invoke(
            "hub", "restore", str(backup), "--db", empty_database, "--data", str(target_data)
        )
        assert code == 2 and (
            "not empty" in output or "exists" in output or "already has" in output
        )
        if "://" in empty_database:
            _drop_tables(empty_database)
        else:
            Path(empty_database).unlink()
            for suffix in ("-wal", "-shm"):
                Path(empty_database + suffix).unlink(missing_ok=True)

    # An altered backup is refused before anything is written.
    altered = tmp_path / "altered.tar"
    with (
        tarfile.open(tmp_path / f"hub-{methods(database)[0]}.tar") as source,
        tarfile.open(altered, "w") as sink,
    ):
        for member in source.getmembers():
            data = source.extractfile(member)
            content = data.read() if data else b""
            if member.name.startswith("data/blobs/"):
                content = content[:-1] + bytes([content[-1] ^ 1])
            import io

            sink.addfile(member, io.BytesIO(content))
    fresh = tmp_path / "fresh-data"
    code, output = invoke(
        "hub", "restore", str(altered), "--db", str(tmp_path / "fresh.db"), "--data", str(fresh)
    )
    assert code == 2 and "does not match its SHA-256" in output
    assert not fresh.exists() and not (tmp_path / "fresh.db").exists()


def _drop_tables(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_onboarding_from_a_protocol_then_the_demo_flow(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    hub = open_hub(database, tmp_path / "data")
    _, admin = hub.bootstrap("hub", "Hub operators", "ops@hub.example")
    protocol = tmp_path / "protocol.yaml"
    protocol.write_text(bundles.protocol_yaml)
    partners = [p["id"] for p in yaml.safe_load(bundles.protocol_yaml)["partners"]]
    admins = tmp_path / "admins.yaml"
    admins.write_text(yaml.safe_dump({p: {"email": f"lead@{p}.example"} for p in partners[:1]}))
    with serve_in_background(create_app(hub)) as url:
        env = {"ACCORD_HUB_URL": url, "ACCORD_TOKEN": admin.token}
        code, output = invoke("hub", "onboard", str(protocol), "--admins", str(admins), env=env)
        assert code == 2 and f"no admin for partner '{partners[1]}'" in output
        assert [i["id"] for i in HubClient(url, admin.token).call("GET", "/institutes")] == ["hub"]

        admins.write_text(yaml.safe_dump({p: {"email": f"lead@{p}.example"} for p in partners}))
        invitations = tmp_path / "invitations"
        args = ["hub", "onboard", str(protocol), "--admins", str(admins)]
        code, output = invoke(*args, "--tokens-dir", str(invitations), "--json", env=env)
        assert code == 0, output
        done = json.loads(output)
        assert done["exercise_created"] and sorted(done["institutes_created"]) == sorted(partners)
        tokens = {}
        for partner in partners:
            path = invitations / f"{partner}.token"
            assert path.stat().st_mode & 0o777 == 0o600
            tokens[partner] = path.read_text().strip()
            assert path.name in output and tokens[partner] not in output  # not shown when filed
        exercise = done["exercise"]

        # The demo's flow: each partner's admin registers its key and submits its bundle.
        for partner in partners:
            api = HubClient(url, tokens[partner])
            assert api.call("GET", "/me")["role"] == "institute-admin"
            private = load_private_key(bundles.private_keys[partner])
            api.register_key(partner, bundles.keys[partner], private)
        partners_agree(HubClient(url, admin.token), exercise, bundles.private_keys)
        HubClient(url, admin.token).call("POST", f"/exercises/{exercise}/open")
        for partner, bundle in zip(partners, (bundles.a, bundles.b), strict=True):
            HubClient(url, tokens[partner]).submit(exercise, bundle)
        results = HubClient(url, tokens[partners[0]]).call("GET", f"/exercises/{exercise}/results")
        assert results["status"]["complete"] and results["analysis"]["estimates"]

        code, output = invoke(*args, "--json", env=env)  # a re-run changes nothing
        assert code == 0, output
        again = json.loads(output)
        assert not again["exercise_created"] and again["institutes_created"] == []
        assert all(i["token"] is None for i in again["invitations"])
    shutil.rmtree(invitations)


def test_backup_refuses_bad_input_with_exit_2(tmp_path: Path) -> None:
    db, data = tmp_path / "hub.db", tmp_path / "data"
    open_hub(str(db), data).engine.dispose()
    out = tmp_path / "b.tar"
    cases = [
        (["--db", str(db), "--data", str(data), "--method", "pg_dump"], "needs a PostgreSQL"),
        (["--db", str(db), "--data", str(tmp_path / "nope")], "does not exist"),
        (["--db", str(tmp_path / "none.db"), "--data", str(data)], "no SQLite database"),
        (["--db", str(db), "--data", str(data), "--method", "zip"], "use sqlite, pg_dump"),
    ]
    for args, message in cases:
        code, output = invoke("hub", "backup", *args, "-o", str(out))
        assert code == 2 and message in output, output
        assert not out.exists()
    missing = str(tmp_path / "missing.tar")
    code, output = invoke("hub", "restore", missing, "--db", str(db), "--data", str(data))
    assert code == 2 and "not an Accord hub backup" in output
