"""The report cites partners' sign-offs made offline, once verified with the keyring."""

from datetime import UTC, datetime
from pathlib import Path

from accord.cli import app
from accord.identity import load_private_key, sign_act, write_act
from accord.protocol import load_protocol, protocol_id
from tests.report.conftest import PARTNERS, Demo, runner


def test_report_from_run_directories_cites_verified_sign_offs(demo: Demo, tmp_path: Path) -> None:
    pid = protocol_id(load_protocol(demo.protocol, resolve_tasks=False).protocol)
    files = []
    for partner in PARTNERS:
        key = load_private_key(demo.root / "keys" / f"{partner}.key")
        path = tmp_path / f"{partner}.sig.json"
        write_act(path, sign_act(key, "sign-off", pid, partner, datetime.now(UTC)))
        files += ["--signature", str(path)]
    base = ["report", "--protocol", str(demo.protocol), *map(str, demo.runs)]
    out = tmp_path / "report.md"
    made = runner.invoke(app, [*base, *files, "--keyring", str(demo.keyring), "-o", str(out)])
    assert made.exit_code == 0, made.output
    line = next(x for x in out.read_text().splitlines() if x.startswith("- Agreement:"))
    for partner in PARTNERS:
        assert f"{partner} signed the protocol on" in line
    assert "signature file verified with the keyring" in line

    other = tmp_path / "other.sig.json"
    key = load_private_key(demo.root / "keys" / "inst-a.key")
    write_act(other, sign_act(key, "sign-off", "sha256:" + "0" * 64, "inst-a", datetime.now(UTC)))
    refused_out = tmp_path / "refused.md"
    args = [*base, "--signature", str(other), "--keyring", str(demo.keyring)]
    refused = runner.invoke(app, [*args, "-o", str(refused_out)])
    assert refused.exit_code == 2 and "does not verify" in refused.stderr
    assert not refused_out.exists()
    unverified = runner.invoke(app, [*base, *files, "-o", str(refused_out)])
    assert unverified.exit_code == 2 and "needs --keyring" in unverified.stderr
