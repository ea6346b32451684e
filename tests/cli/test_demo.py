import re
from pathlib import Path

from typer.testing import CliRunner

from accord.bundle import verify_bundle
from accord.cli import app
from accord.identity import read_keyring
from accord.run import read_manifest

runner = CliRunner(env={"COLUMNS": "200"})


def test_demo_runs_both_shares_offline_and_checks_comparability(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    a = read_manifest(tmp_path / "demo" / "runs" / "inst-a")
    b = read_manifest(tmp_path / "demo" / "runs" / "inst-b")
    assert (a.status, b.status) == ("complete", "complete")
    assert {(r.task_id, r.model_id) for r in a.logs} == {
        (t, m) for t in ("refusal", "jailbreak", "injection") for m in ("subject", "ref")
    } | {("refusal", "guarded-system"), ("jailbreak", "guarded-system")}
    assert {(r.task_id, r.model_id) for r in b.logs} == {
        ("refusal", "subject"),
        ("injection", "subject"),
    }
    assert all(
        (r.task_registry_name or "").startswith("accord/") for r in a.logs
    )  # built-in suites
    assert "comparable" in result.stdout and "not comparable" not in result.stdout
    assert "Institute A" in result.stdout and "Institute B" in result.stdout
    assert "jailbreak-prone" in result.stdout and "supported" in result.stdout  # findings printed
    assert "accepted" in result.stdout and "ledger head: sha256:" in " ".join(result.stdout.split())
    assert a.log("refusal", "subject").dataset_digest == b.log("refusal", "subject").dataset_digest  # type: ignore[union-attr]
    # Safeguard efficacy of the guarded system: locally and on the hub, with intervals.
    text = " ".join(result.stdout.split())
    assert "Safeguard efficacy" in text and "guards-block-harm" in text
    hub_line = re.search(
        r"safeguard efficacy on the hub: refusal x guarded-system \(inst-a\): blocks harmful "
        r"(\S+) \[(\S+), (\S+)\], blocks benign (\S+) \[(\S+), (\S+)\]",
        text,
    )
    assert hub_line is not None, text
    harmful, h_low, h_high, benign, b_low, b_high = map(float, hub_line.groups())
    assert h_low <= harmful <= h_high and b_low <= benign <= b_high and harmful > benign
    system = a.log("refusal", "guarded-system")
    assert system is not None and system.subject is not None and system.subject.kind == "system"
    assert "safeguard/blocked_harmful" in system.metrics
    ring = read_keyring(tmp_path / "demo" / "keyring.json")
    for partner in ("inst-a", "inst-b"):
        verified = verify_bundle(tmp_path / "demo" / "bundles" / f"{partner}.accord", ring)
        assert verified.document.partner == partner
        assert verified.sha256 in " ".join(result.stdout.split())
    again = runner.invoke(app, ["demo", "--dir", str(tmp_path / "demo")])  # resumes, re-signs
    assert again.exit_code == 0, again.output
