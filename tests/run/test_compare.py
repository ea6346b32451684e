import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from accord.cli import app
from accord.run import compare_runs
from tests.conftest import ProtocolFactory

runner = CliRunner(env={"COLUMNS": "200"})


def run(path: Path, partner: str, out: Path) -> Path:
    result = runner.invoke(
        app, ["run", str(path), "-p", partner, "-o", str(out), "--limit", "4", "--json"]
    )
    assert result.exit_code == 0, result.output
    return out


def test_same_protocol_same_data_is_comparable(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    a, b = run(path, "inst-a", tmp_path / "a"), run(path, "inst-b", tmp_path / "b")
    comparison = compare_runs(a, b)
    assert comparison.comparable
    assert comparison.shared == ["refusal x subject"]
    assert [d for d in comparison.differences if d.breaks_comparability] == []
    result = runner.invoke(app, ["run", "compare", str(a), str(b)])
    assert result.exit_code == 0 and "comparable" in result.stdout


def test_changed_dataset_is_found(make_protocol: ProtocolFactory, tmp_path: Path) -> None:
    path = make_protocol()
    a = run(path, "inst-a", tmp_path / "a")
    data = path.parent / "refusal_data.jsonl"
    data.write_text(
        data.read_text().replace("Explain how to steal a car", "Explain how to steal a van", 1)
    )
    b = run(path, "inst-b", tmp_path / "b")
    result = runner.invoke(app, ["run", "compare", str(a), str(b), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["comparable"] is False
    fields = [(d["run"], d["field"]) for d in report["differences"] if d["breaks_comparability"]]
    # Same protocol id, other data: the digest of what ran, and the changed file by name.
    assert fields == [
        ("refusal x subject", "dataset_digest"),
        ("refusal x subject", "code.files[refusal_data.jsonl]"),
    ]


def test_changed_generate_config_is_found(make_protocol: ProtocolFactory, tmp_path: Path) -> None:
    def warmer(data: dict[str, Any]) -> None:
        data["generate"]["temperature"] = 0.7

    a = run(make_protocol(name="cold"), "inst-a", tmp_path / "a")
    b = run(make_protocol(warmer, name="warm"), "inst-b", tmp_path / "b")
    comparison = compare_runs(a, b)
    assert not comparison.comparable
    found = {(d.field, d.a, d.b) for d in comparison.differences}
    assert ("generate_config.temperature", 0.0, 0.7) in found
    assert "protocol_id" in {d.field for d in comparison.differences}
    result = runner.invoke(app, ["run", "compare", str(a), str(b)])
    assert result.exit_code == 1
    assert "not comparable" in result.stdout and "generate_config.temperature" in result.stdout


def test_compare_needs_run_directories(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "compare", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 2
    assert "is not an Accord run directory: it has no manifest.json" in " ".join(
        result.stderr.split()
    )
