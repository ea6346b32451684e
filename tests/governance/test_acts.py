"""Signed partner acts, offline: signing, verifying with a keyring, and the CLI."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from accord._util import InputError
from accord.cli import app
from accord.identity import (
    Keyring,
    PartnerAct,
    load_private_key,
    public_record,
    read_act,
    sign_act,
    verify_act,
    write_key_pair,
    write_keyring,
)
from accord.protocol import load_protocol, protocol_id
from tests.conftest import ProtocolFactory

runner = CliRunner(env={"COLUMNS": "200"})
PID = "sha256:" + "ab" * 32
T0 = datetime(2026, 11, 1, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()


def ring(partner: str = "inst-a", key: Ed25519PrivateKey = KEY) -> Keyring:
    keyring = Keyring()
    keyring.add(public_record(key, partner, T0), T0, None)
    return keyring


def test_a_sign_off_verifies_only_for_its_protocol_partner_and_key() -> None:
    act = sign_act(KEY, "sign-off", PID, "inst-a", T0 + timedelta(days=1))
    assert verify_act(act, ring(), PID) is None
    other = verify_act(act, ring(), "sha256:" + "cd" * 32)
    assert other is not None and "not sha256:cdcd" in other
    assert "not a known key" in str(verify_act(act, Keyring()))
    stranger = ring("inst-b")  # the same key listed as inst-b's
    assert "belongs to 'inst-b', not 'inst-a'" in str(verify_act(act, stranger))
    assert "valid only from" in str(
        verify_act(sign_act(KEY, "sign-off", PID, "inst-a", T0 - timedelta(days=1)), ring())
    )


def test_a_revoked_key_signs_nothing_after_its_revocation() -> None:
    keyring = ring()
    keyring.revoke(keyring.keys[0].key.key_id, T0 + timedelta(days=10), "laptop lost")
    before = sign_act(KEY, "sign-off", PID, "inst-a", T0 + timedelta(days=9))
    after = sign_act(KEY, "sign-off", PID, "inst-a", T0 + timedelta(days=11))
    assert verify_act(before, keyring, PID) is None  # signed while it was trusted
    assert "revoked" in str(verify_act(after, keyring, PID))


def test_an_objection_needs_a_reason_and_times_must_be_aware() -> None:
    with pytest.raises(InputError, match="needs a reason"):
        sign_act(KEY, "object", PID, "inst-a", T0, "  ")
    with pytest.raises(InputError, match="timezone-aware"):
        sign_act(KEY, "approve", PID, "inst-a", datetime(2026, 11, 1))


@given(
    field=st.sampled_from(["act", "partner", "signed_at", "reason", "protocol_id"]),
    reason=st.text(max_size=40).map(lambda text: "why: " + text),
)
def test_any_change_to_a_signed_act_breaks_its_signature(field: str, reason: str) -> None:
    act = sign_act(KEY, "object", PID, "inst-a", T0 + timedelta(days=1), reason)
    changed = {
        "act": "approve",
        "partner": "inst-b",
        "signed_at": act.signed_at + timedelta(seconds=1),
        "reason": reason + ".",
        "protocol_id": "sha256:" + "ef" * 32,
    }[field]
    forged = PartnerAct.model_validate({**act.model_dump(), field: changed})
    assert verify_act(act, ring()) is None
    assert verify_act(forged, ring()) is not None


def test_protocol_sign_and_verify_signature_offline(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    protocol = make_protocol()
    keys = write_key_pair("inst-a", tmp_path / "keys", datetime.now(UTC) - timedelta(hours=1))
    keyring_file = tmp_path / "keyring.json"
    write_keyring(keyring_file, ring("inst-a", load_private_key(keys.private_key)))
    sig = tmp_path / "inst-a.sig.json"
    signed = runner.invoke(
        app, ["protocol", "sign", str(protocol), "--key", str(keys.private_key), "-o", str(sig)]
    )
    assert signed.exit_code == 0, signed.output
    act = read_act(sig)
    pid = protocol_id(load_protocol(protocol, resolve_tasks=False).protocol)
    assert (act.act, act.partner, act.protocol_id) == ("sign-off", "inst-a", pid)

    args = ["protocol", "verify-signature", str(sig), "--keyring", str(keyring_file)]
    ok = runner.invoke(app, [*args, "--protocol", str(protocol), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["valid"] is True, ok.output

    changed = make_protocol(lambda d: d.update(description="v2"), name="v2")
    wrong = runner.invoke(app, [*args, "--protocol", str(changed)])
    assert wrong.exit_code == 1 and "sign the exact protocol" in wrong.stderr

    again = runner.invoke(
        app, ["protocol", "sign", str(protocol), "--key", str(keys.private_key), "-o", str(sig)]
    )
    assert again.exit_code == 2 and "exists" in again.stderr
    junk = tmp_path / "junk.json"
    junk.write_text('{"act": "sign-off"}')
    bad = runner.invoke(
        app, ["protocol", "verify-signature", str(junk), "--keyring", str(keyring_file)]
    )
    assert bad.exit_code == 2 and "not a signed partner act" in bad.stderr

    lone = tmp_path / "lone.key"
    lone.write_bytes(keys.private_key.read_bytes())  # no .pub.json beside it
    nameless = runner.invoke(
        app, ["protocol", "sign", str(protocol), "--key", str(lone), "-o", str(tmp_path / "n.json")]
    )
    assert nameless.exit_code == 2 and "pass --partner" in nameless.stderr
    assert not (tmp_path / "n.json").exists()
