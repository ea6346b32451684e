import json
from pathlib import Path

from typer.testing import CliRunner

from accord.bundle import BundleDocument
from accord.cli import app
from accord.identity import write_keyring
from accord.protocol import protocol_id
from tests.bundle.conftest import Exercise

runner = CliRunner(env={"COLUMNS": "200"})


def test_build_verify_show(exercise: Exercise, tmp_path: Path) -> None:
    key_file = tmp_path / "inst-a.key"
    key_file.write_bytes((exercise.run_dir.parent / "keys" / "inst-a.key").read_bytes())
    protocol = str(exercise.protocol.path)
    out = tmp_path / "a.accord"
    built = runner.invoke(
        app,
        [
            "bundle",
            "build",
            str(exercise.run_dir),
            "--protocol",
            protocol,
            "--key",
            str(key_file),
            "-o",
            str(out),
            "--json",
        ],
    )
    assert built.exit_code == 0, built.output
    report = json.loads(built.stdout)
    assert report["partner"] == "inst-a" and report["path"] == str(out)
    ring = tmp_path / "ring.json"
    write_keyring(ring, exercise.keyring())
    verified = runner.invoke(
        app, ["bundle", "verify", str(out), "--keyring", str(ring), "--protocol", protocol]
    )
    assert verified.exit_code == 0, verified.output
    assert "verified" in verified.stdout and report["sha256"] in verified.stdout
    shown = runner.invoke(app, ["bundle", "show", str(out)])
    assert shown.exit_code == 0 and "not verified" in shown.stdout and "transcripts" in shown.stdout
    shown_json = json.loads(runner.invoke(app, ["bundle", "show", str(out), "--json"]).stdout)
    assert shown_json["protocol_id"] == protocol_id(exercise.protocol.protocol)

    out.write_bytes(out.read_bytes()[:-10] + b"0123456789")
    failed = runner.invoke(app, ["bundle", "verify", str(out), "--keyring", str(ring)])
    assert failed.exit_code == 1 and failed.stderr.startswith("error:")


def test_build_of_the_wrong_protocol_is_bad_input(
    exercise: Exercise, tmp_path: Path, make_protocol
) -> None:  # type: ignore[no-untyped-def]
    other = make_protocol(lambda d: d.update(name="other"))
    key_file = exercise.run_dir.parent / "keys" / "inst-a.key"
    result = runner.invoke(
        app,
        [
            "bundle",
            "build",
            str(exercise.run_dir),
            "--protocol",
            str(other),
            "--key",
            str(key_file),
            "-o",
            str(tmp_path / "x.accord"),
        ],
    )
    assert result.exit_code == 2 and "give the protocol it ran" in " ".join(result.stderr.split())
    assert not (tmp_path / "x.accord").exists()


def test_schema_is_shipped_in_the_docs() -> None:
    result = runner.invoke(app, ["bundle", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema == BundleDocument.model_json_schema()
    shipped = json.loads((Path(__file__).parents[2] / "docs" / "bundle.schema.json").read_text())
    assert shipped == schema, "regenerate docs/bundle.schema.json with `accord bundle schema`"
