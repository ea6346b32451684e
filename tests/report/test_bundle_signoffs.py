"""Partners' sign-offs carried in bundles: verified with the bundle, cited by the report."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from accord.bundle import verify_bundle
from accord.cli import app
from accord.identity import load_private_key, read_keyring, sign_act, write_act
from accord.protocol import load_protocol, protocol_id
from tests.report.conftest import PARTNERS, Demo, runner


def signoffs(demo: Demo, directory: Path, pid: str) -> list[str]:
    args = []
    for partner in PARTNERS:
        key = load_private_key(demo.root / "keys" / f"{partner}.key")
        path = directory / f"{partner}.sig.json"
        write_act(path, sign_act(key, "sign-off", pid, partner, datetime.now(UTC)))
        args += ["--signoff", str(path)]
    return args


def test_bundles_carry_sign_offs_that_verify_and_reach_the_report(
    demo: Demo, tmp_path: Path
) -> None:
    pid = protocol_id(load_protocol(demo.protocol, resolve_tasks=False).protocol)
    signed = signoffs(demo, tmp_path, pid)
    bundle = tmp_path / "inst-a.accord"
    build = [
        "bundle",
        "build",
        str(demo.runs[0]),
        "--protocol",
        str(demo.protocol),
        "--key",
        str(demo.root / "keys" / "inst-a.key"),
    ]
    made = runner.invoke(app, [*build, *signed, "-o", str(bundle)])
    assert made.exit_code == 0, made.output

    verified = verify_bundle(bundle, read_keyring(demo.keyring))
    assert {a.partner for a in verified.document.signoffs} == set(PARTNERS)
    shown = runner.invoke(app, ["bundle", "verify", str(bundle), "--keyring", str(demo.keyring)])
    assert shown.exit_code == 0, shown.output
    for partner in PARTNERS:
        assert f"signed off: {partner} at" in shown.stdout

    out = tmp_path / "report.md"
    report = [
        "report",
        "--protocol",
        str(demo.protocol),
        *map(str, demo.runs),
        "--bundle",
        str(bundle),
        "--keyring",
        str(demo.keyring),
        "-o",
        str(out),
    ]
    done = runner.invoke(app, report)
    assert done.exit_code == 0, done.output
    line = next(x for x in out.read_text().splitlines() if x.startswith("- Agreement:"))
    for partner in PARTNERS:
        assert line.count(f"{partner} signed the protocol on") == 1

    # a bundle without sign-offs keeps the earlier layout: no `signoffs` key is signed
    plain = tmp_path / "plain.accord"
    assert runner.invoke(app, [*build, "-o", str(plain)]).exit_code == 0
    assert verify_bundle(plain, read_keyring(demo.keyring)).document.signoffs == []


def test_a_sign_off_of_another_protocol_or_an_unknown_key_is_refused(
    demo: Demo, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from accord.bundle import BundleError, build_bundle

    protocol = load_protocol(demo.protocol)
    pid = protocol_id(protocol.protocol)
    key = load_private_key(demo.root / "keys" / "inst-a.key")
    other = tmp_path / "other.sig.json"
    write_act(other, sign_act(key, "sign-off", "sha256:" + "0" * 64, "inst-a", datetime.now(UTC)))
    args = ["bundle", "build", str(demo.runs[0]), "--protocol", str(demo.protocol)]
    refused = runner.invoke(
        app,
        [
            *args,
            "--key",
            str(demo.root / "keys" / "inst-a.key"),
            "--signoff",
            str(other),
            "-o",
            str(tmp_path / "x.accord"),
        ],
    )
    assert refused.exit_code == 2 and "sign-offs of its own protocol" in refused.stderr
    assert not (tmp_path / "x.accord").exists()

    stranger = sign_act(Ed25519PrivateKey.generate(), "sign-off", pid, "inst-b", datetime.now(UTC))
    built = build_bundle(demo.runs[0], protocol, key, tmp_path / "s.accord", signoffs=[stranger])
    with pytest.raises(BundleError, match=r"the sign-off of 'inst-b' in the bundle.*not a known"):
        verify_bundle(built.path, read_keyring(demo.keyring))
    failed = runner.invoke(
        app, ["bundle", "verify", str(built.path), "--keyring", str(demo.keyring)]
    )
    assert failed.exit_code == 1
