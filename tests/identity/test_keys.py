import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord._util import InputError
from accord.cli import app
from accord.identity import (
    Keyring,
    key_id_of,
    load_private_key,
    load_public_record,
    read_keyring,
    sign,
    signature_valid,
    write_key_pair,
)

runner = CliRunner(env={"COLUMNS": "200"})
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_key_pair_files(tmp_path: Path) -> None:
    files = write_key_pair("inst-a", tmp_path, NOW)
    assert stat.S_IMODE(files.private_key.stat().st_mode) == 0o600
    assert files.private_key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    record = load_public_record(files.public_key)
    assert record == files.record
    assert (record.partner, record.algorithm, record.created) == ("inst-a", "ed25519", NOW)
    key = load_private_key(files.private_key)
    assert key_id_of(key.public_key()) == record.key_id and record.key_id.startswith("ed25519:")
    signature = sign(key, b"payload")
    assert signature_valid(record, b"payload", signature)
    assert not signature_valid(record, b"payload!", signature)
    assert not signature_valid(record, b"payload", "not base64!")


def test_keys_are_never_overwritten(tmp_path: Path) -> None:
    write_key_pair("inst-a", tmp_path, NOW)
    before = (tmp_path / "inst-a.key").read_bytes()
    with pytest.raises(InputError, match="keys are never overwritten"):
        write_key_pair("inst-a", tmp_path, NOW)
    assert (tmp_path / "inst-a.key").read_bytes() == before


def test_passphrase_encrypts_the_private_key(tmp_path: Path) -> None:
    files = write_key_pair("inst-a", tmp_path, NOW, passphrase=b"correct horse")
    assert "ENCRYPTED" in files.private_key.read_text()
    assert load_private_key(files.private_key, b"correct horse")
    with pytest.raises(InputError, match="give its passphrase"):
        load_private_key(files.private_key)
    with pytest.raises(InputError, match="passphrase is wrong"):
        load_private_key(files.private_key, b"wrong")


def test_tampered_public_key_file_is_refused(tmp_path: Path) -> None:
    files = write_key_pair("inst-a", tmp_path, NOW)
    other = write_key_pair("inst-b", tmp_path, NOW)
    data = json.loads(files.public_key.read_text())
    data["public_key"] = other.record.public_key
    files.public_key.write_text(json.dumps(data))
    with pytest.raises(InputError, match="does not match the key it holds"):
        load_public_record(files.public_key)


def test_trust_windows_and_revocation(tmp_path: Path) -> None:
    record = write_key_pair("inst-a", tmp_path, NOW).record
    ring = Keyring()
    entry = ring.add(record, NOW, NOW + timedelta(days=30))
    assert entry.trusted_at(NOW + timedelta(days=1)) is None
    assert "valid only from" in (entry.trusted_at(NOW - timedelta(seconds=1)) or "")
    assert "expired" in (entry.trusted_at(NOW + timedelta(days=30)) or "")
    revoked = ring.revoke(record.key_id, NOW + timedelta(days=10), "laptop lost")
    assert revoked.trusted_at(NOW + timedelta(days=9)) is None  # signed before: still good
    assert "revoked" in (revoked.trusted_at(NOW + timedelta(days=10)) or "")
    with pytest.raises(InputError, match="already revoked"):
        ring.revoke(record.key_id, NOW, None)
    with pytest.raises(InputError, match="already in the keyring"):
        ring.add(record, NOW, None)
    with pytest.raises(InputError, match="not in the keyring"):
        ring.revoke("ed25519:0000", NOW, None)


def test_keys_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEY_PASS", "s3cret-phrase")
    keys, ring = tmp_path / "keys", tmp_path / "ring.json"
    result = runner.invoke(
        app,
        ["keys", "init", "--partner", "inst-a", "--out", str(keys), "--passphrase-env", "KEY_PASS"],
    )
    assert result.exit_code == 0, result.output
    assert load_private_key(keys / "inst-a.key", b"s3cret-phrase")
    result = runner.invoke(
        app,
        [
            "keys",
            "init",
            "--partner",
            "inst-b",
            "--out",
            str(keys),
            "--passphrase-env",
            "UNSET_VAR",
        ],
    )
    assert (
        result.exit_code == 2
        and "UNSET_VAR" in result.stderr
        and not (keys / "inst-b.key").exists()
    )
    result = runner.invoke(
        app,
        [
            "keys",
            "add",
            str(keys / "inst-a.pub.json"),
            "--keyring",
            str(ring),
            "--valid-until",
            "2099-01-01",
        ],
    )
    assert result.exit_code == 0, result.output
    key_id = load_public_record(keys / "inst-a.pub.json").key_id
    result = runner.invoke(
        app, ["keys", "revoke", key_id, "--keyring", str(ring), "--reason", "rotated"]
    )
    assert result.exit_code == 0, result.output
    [entry] = read_keyring(ring).keys
    assert entry.revocation_reason == "rotated" and entry.valid_until == datetime(
        2099, 1, 1, tzinfo=UTC
    )
    listed = runner.invoke(app, ["keys", "list", "--keyring", str(ring), "--json"])
    assert json.loads(listed.stdout)["keys"][0]["key"]["key_id"] == key_id
    table = runner.invoke(app, ["keys", "list", "--keyring", str(ring)])
    assert key_id in table.stdout and "rotated" in table.stdout
    bad = runner.invoke(
        app,
        [
            "keys",
            "add",
            str(keys / "inst-a.pub.json"),
            "--keyring",
            str(ring),
            "--valid-from",
            "yesterday",
        ],
    )
    assert bad.exit_code == 2 and "not an ISO 8601 date" in bad.stderr
