import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.identity import write_keyring
from accord.package import build_package
from accord.run import compare_manifests, read_manifest, registry_distribution
from tests.package.conftest import Authors, flip_byte, rewrite_member, run_json, write_protocol

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_CACHE_DIR", str(tmp_path / "cache"))


def keyring_file(authors: Authors, tmp_path: Path) -> Path:
    path = tmp_path / "keyring.json"
    write_keyring(path, authors.keyring())
    return path


def test_run_from_package_equals_run_from_directory(
    protocol_dir: Path, authors: Authors, tmp_path: Path
) -> None:
    package = build_package(
        protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg", signer=authors.signer("inst-a")
    )
    ring = str(keyring_file(authors, tmp_path))
    from_package = run_json(package.path, "inst-b", tmp_path / "b", "--keyring", ring)
    from_dir = run_json(protocol_dir / "protocol.yaml", "inst-a", tmp_path / "a")
    assert from_package["protocol_id"] == from_dir["protocol_id"]
    log_b = from_package["logs"][0]
    log_a = next(r for r in from_dir["logs"] if r["model_id"] == "subject")
    for name in ("code", "dataset_digest", "metrics", "task_version"):
        assert log_a[name] == log_b[name], name
    assert log_b["code"]["digest"] == package.manifest.tasks["refusal"].digest
    comparison = compare_manifests(read_manifest(tmp_path / "a"), read_manifest(tmp_path / "b"))
    assert comparison.comparable, comparison.differences
    # The run used the private cache keyed by the package digest.
    cached = tmp_path / "cache" / "packages" / package.digest.removeprefix("sha256:")
    assert (cached / "judging.py").read_bytes() == (protocol_dir / "judging.py").read_bytes()


def test_tampered_package_never_runs(protocol_dir: Path, tmp_path: Path) -> None:
    package = build_package(protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg").path
    rewrite_member(package, lambda n, d: (n, flip_byte(d) if n == "files/judging.py" else d))
    result = runner.invoke(app, ["run", str(package), "-p", "inst-b", "-o", str(tmp_path / "b")])
    assert result.exit_code == 2
    assert "judging.py" in result.output and "does not match its SHA-256" in result.output
    assert not (tmp_path / "b").exists()
    assert not list((tmp_path / "cache").rglob("*.py"))


def test_changed_cache_is_replaced_before_running(protocol_dir: Path, tmp_path: Path) -> None:
    built = build_package(protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg")
    run_json(built.path, "inst-b", tmp_path / "b1")
    cached = tmp_path / "cache" / "packages" / built.digest.removeprefix("sha256:")
    (cached / "judging.py").write_text("raise SystemExit('tampered code ran')\n")
    (cached / "planted.py").write_text("")
    manifest = run_json(built.path, "inst-b", tmp_path / "b2")
    assert manifest["logs"][0]["code"]["digest"] == built.manifest.tasks["refusal"].digest
    assert (cached / "judging.py").read_bytes() == (protocol_dir / "judging.py").read_bytes()
    assert not (cached / "planted.py").exists()


def test_one_byte_change_in_a_helper_is_a_deviation_naming_it(
    protocol_dir: Path, tmp_path: Path
) -> None:
    run_json(protocol_dir / "protocol.yaml", "inst-a", tmp_path / "a")
    other = tmp_path / "other"
    write_protocol(other)
    template = other / "templates" / "phrases.txt"
    template.write_bytes(flip_byte(template.read_bytes()))
    run_json(other / "protocol.yaml", "inst-b", tmp_path / "b")
    result = runner.invoke(app, ["run", "compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 1
    result = runner.invoke(
        app, ["run", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"]
    )
    report = json.loads(result.stdout)
    breaking = [d["field"] for d in report["differences"] if d["breaks_comparability"]]
    assert breaking == ["code.files[templates/phrases.txt]"]  # the task version is unchanged


def test_registry_task_version_mismatch_is_a_deviation(make_protocol: Any, tmp_path: Path) -> None:
    def registry_task(data: dict[str, Any]) -> None:
        data["tasks"][0]["task"] = "accord/refusal"
        data["tasks"][0]["epochs"] = 1
        data["thresholds"] = []

    path = make_protocol(registry_task)
    run_json(path, "inst-a", tmp_path / "a")
    run_json(path, "inst-b", tmp_path / "b")
    a, b = read_manifest(tmp_path / "a"), read_manifest(tmp_path / "b")
    code = a.logs[0].code
    assert code is not None and code.kind == "registry"
    assert (code.distribution, code.version) == registry_distribution("accord")
    assert code.version is not None
    assert compare_manifests(a, b).comparable
    # Partner b had another release of the package installed.
    other = code.model_copy(update={"version": "0.0.1", "digest": "sha256:" + "0" * 64})
    b = b.model_copy(update={"logs": [r.model_copy(update={"code": other}) for r in b.logs]})
    comparison = compare_manifests(a, b)
    assert not comparison.comparable
    found = [(d.field, d.a, d.b) for d in comparison.differences if d.breaks_comparability]
    assert found == [("code.version", code.version, "0.0.1")]


def test_package_cli(protocol_dir: Path, authors: Authors, tmp_path: Path) -> None:
    package = tmp_path / "p.accordpkg"
    key_a = str(authors.key_dir / "inst-a.key")
    ring = str(keyring_file(authors, tmp_path))
    result = runner.invoke(app, ["package", "build", str(protocol_dir), "-o", str(package)])
    assert result.exit_code == 0, result.output
    assert "unsigned" in result.output
    result = runner.invoke(app, ["package", "verify", str(package), "--keyring", ring])
    assert result.exit_code == 2 and "not signed" in result.output
    result = runner.invoke(app, ["package", "sign", str(package), "--key", key_a])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["package", "verify", str(package), "--keyring", ring, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["verified"] and [s["partner"] for s in report["signatures"]] == ["inst-a"]
    result = runner.invoke(
        app, ["package", "verify", str(package), "--keyring", ring, "--require-signer", "inst-b"]
    )
    assert result.exit_code == 2 and "not signed by 'inst-b'" in result.output
    result = runner.invoke(app, ["package", "unpack", str(package), str(tmp_path / "u")])
    assert result.exit_code == 0 and "signatures not checked" in result.output
    assert (tmp_path / "u" / "templates" / "phrases.txt").is_file()
    result = runner.invoke(app, ["package", "show", str(package)])
    assert result.exit_code == 0 and "judging.py" in result.output
    result = runner.invoke(app, ["package", "build", str(protocol_dir), "-o", str(package)])
    assert result.exit_code == 2 and "--force" in result.output
