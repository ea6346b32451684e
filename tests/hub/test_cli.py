"""The hub from the command line: init, ledger verify, and the HTTP client commands."""

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from accord.cli import app
from accord.hub import create_app, open_hub, serve_in_background
from tests.hub.conftest import Bundles

runner = CliRunner(env={"COLUMNS": "200"})
ACCORD = [sys.executable, "-m", "accord.cli"]


def test_hub_from_the_command_line(tmp_path: Path, bundles: Bundles, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db, data = str(tmp_path / "hub.db"), tmp_path / "data"
    init = subprocess.run(
        [*ACCORD, "hub", "init", "--db", db, "--data", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    admin = init.stdout.strip()
    assert admin.startswith("acc_") and "shown once" in init.stderr
    again = subprocess.run(
        [*ACCORD, "hub", "init", "--db", db, "--data", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 2 and "already has members" in again.stderr

    protocol = tmp_path / "protocol.yaml"
    protocol.write_text(bundles.protocol_yaml)
    with serve_in_background(create_app(open_hub(db, data))) as url:
        monkeypatch.setenv("ACCORD_HUB_URL", url)
        monkeypatch.setenv("ACCORD_TOKEN", admin)
        for institute in ("inst-a", "inst-b"):
            assert (
                runner.invoke(
                    app, ["hub", "institutes", "--add", institute, "--name", institute.upper()]
                ).exit_code
                == 0
            )
            keyfile = tmp_path / f"{institute}.pub.json"
            keyfile.write_text(bundles.keys[institute].model_dump_json())
            private = str(bundles.private_keys[institute])
            bare = runner.invoke(app, ["hub", "key", institute, "--add", str(keyfile)])
            assert bare.exit_code == 2 and "proof of possession" in bare.output
            if institute == "inst-a":  # online: the command fetches and signs a challenge
                added = runner.invoke(
                    app, ["hub", "key", institute, "--add", str(keyfile), "--private-key", private]
                )
            else:  # offline: challenge from the hub, proof where the key is, then register
                challenge = json.loads(
                    runner.invoke(
                        app, ["hub", "key", institute, "--challenge-for-key", "--json"]
                    ).stdout
                )["challenge"]
                proof = runner.invoke(
                    app,
                    [
                        *("keys", "prove", "--key", private),
                        *("--institute", institute, "--challenge", challenge),
                    ],
                ).stdout.strip()
                added = runner.invoke(
                    app,
                    [
                        *("hub", "key", institute, "--add", str(keyfile)),
                        *("--challenge", challenge, "--proof", proof),
                    ],
                )
            assert added.exit_code == 0, added.output
        member = json.loads(
            runner.invoke(
                app, ["hub", "members", "inst-a", "--add", "eve@a.example", "--json"]
            ).stdout
        )
        token = json.loads(runner.invoke(app, ["hub", "token", member["id"], "--json"]).stdout)[
            "token"
        ]
        listed = runner.invoke(app, ["hub", "institutes"])
        assert "inst-a" in listed.stdout and "inst-b" in listed.stdout

        created = runner.invoke(app, ["exercise", "create", str(protocol), "--json"])
        assert created.exit_code == 0, created.output
        exercise = json.loads(created.stdout)["id"]
        unsigned = runner.invoke(app, ["exercise", "open", exercise])
        assert unsigned.exit_code == 2 and "partner sign-offs" in unsigned.stderr
        # inst-a signs online; inst-b signs offline and the admin relays its signature file
        key_a, key_b = (str(bundles.private_keys[p]) for p in ("inst-a", "inst-b"))
        signed = runner.invoke(app, ["exercise", "sign", exercise, "--key", key_a])
        assert signed.exit_code == 0 and "inst-a" in signed.stdout, signed.output
        sig = tmp_path / "inst-b.sig.json"
        offline = runner.invoke(
            app, ["protocol", "sign", str(protocol), "--key", key_b, "-o", str(sig)]
        )
        assert offline.exit_code == 0, offline.output
        relayed = runner.invoke(app, ["exercise", "sign", exercise, "--file", str(sig), "--json"])
        assert json.loads(relayed.stdout)["can_open"] is True, relayed.output
        assert runner.invoke(app, ["exercise", "open", exercise]).exit_code == 0
        listing = runner.invoke(app, ["exercise", "list", "--json"])
        assert json.loads(listing.stdout)[0]["state"] == "open"

        denied = runner.invoke(app, ["submit", str(bundles.a), "--exercise", exercise])
        assert denied.exit_code == 1 and "403" in denied.stderr  # the hub admin is not a partner
        monkeypatch.setenv("ACCORD_TOKEN", token)
        submitted = runner.invoke(app, ["submit", str(bundles.a)])  # the exercise is inferred
        assert submitted.exit_code == 0 and "accepted" in submitted.stdout, submitted.output
        results = runner.invoke(app, ["results", exercise, "--json"])
        assert results.exit_code == 0
        assert len(json.loads(results.stdout)["runs"]) == 2
        table = runner.invoke(app, ["results", exercise])
        assert "ledger head: sha256:" in table.stdout and "Estimates" in table.stdout
        monkeypatch.delenv("ACCORD_HUB_URL")
        no_hub = runner.invoke(
            app,
            ["exercise", "list"],
            env={"ACCORD_CONFIG": str(tmp_path / "none.toml"), "ACCORD_HUB_URL": ""},
        )
        assert no_hub.exit_code == 2 and "no hub URL" in no_hub.stderr

    verify = subprocess.run(
        [*ACCORD, "hub", "ledger", "verify", "--db", db],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0 and "ledger intact" in verify.stdout
    import sqlite3

    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE ledger SET subject = 'forged' WHERE seq = 2")
    broken = subprocess.run(
        [*ACCORD, "hub", "ledger", "verify", "--db", db],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert broken.returncode == 1 and "broken at entry 2" in broken.stdout
