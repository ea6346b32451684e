"""Credentials that once slipped through the build's scan, and declared canaries.

The scan runs on decoded JSON, on keys as well as values; each refused place is listed on
its own line; a task's declared canaries pass and are reported in bundle.json.
"""

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from inspect_ai.log import read_eval_log, write_eval_log

from accord._util import OperationError, canary_matcher, find_secrets
from accord.bundle import build_bundle
from accord.protocol import load_protocol
from accord.run import file_digest, plan_share, read_manifest, run_share
from accord.run._manifest import write_manifest
from tests.bundle.conftest import Exercise
from tests.bundle.conftest import exercise as exercise
from tests.conftest import example_data

TOKEN = "acc_" + "Zq9" * 12
LEAKS: dict[str, Any] = {
    "bearer after a newline": f"Authorization: Bearer\n{TOKEN}",
    "aws_secret_access_key": {"aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
    "x-api-key header": {"headers": {"x-api-key": "d41d8cd98f00b204e980"}},
    "secret as a dict key": {"sk-proj-" + "Q" * 40: 1},
}


def plant(run_dir: Path, task_id: str, values: dict[str, Any]) -> None:
    """Put `values` into the first sample's metadata of `task_id`'s log, keeping the manifest."""
    manifest = read_manifest(run_dir)
    record = manifest.log(task_id, "subject")
    assert record is not None
    log = read_eval_log(str(run_dir / record.file))
    assert log.samples
    log.samples[0].metadata.update(values)
    write_eval_log(log, str(run_dir / record.file))
    logs = [r.model_copy(update={"sha256": file_digest(run_dir / r.file)}) for r in manifest.logs]
    write_manifest(run_dir, manifest.model_copy(update={"logs": logs}))


@pytest.mark.parametrize("level", ["samples", "transcripts"])
@pytest.mark.parametrize("leak", sorted(LEAKS))
def test_each_leak_refuses_the_build(
    exercise: Exercise, tmp_path: Path, level: str, leak: str
) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(exercise.run_dir, run_dir)
    plant(run_dir, f"refusal-{level}", {"note": LEAKS[leak]})
    target = tmp_path / "out.accord"
    with pytest.raises(OperationError) as refused:
        build_bundle(run_dir, exercise.protocol, exercise.key, target, allow_partial=True)
    lines = str(refused.value).splitlines()
    places = [line for line in lines if line.startswith("  logs/")]
    assert places and all("metadata.note" in p for p in places), lines
    assert all(len(line) < 400 for line in lines)
    assert "sk-proj-" + "Q" * 40 not in str(refused.value)  # never repeated in full
    assert not target.exists()


def test_the_scan_reads_decoded_values_and_keys() -> None:
    for value in LEAKS.values():
        decoded = json.loads(json.dumps({"m": value}))
        assert find_secrets(decoded), value
    harmless = {"usage": {"input_tokens": 3}, "text": "a secret recipe", "detect-secrets": "1.5"}
    assert find_secrets(harmless) == []


def test_canaries_match_exactly_or_by_digest() -> None:
    key = "sk-proj-" + "C" * 30
    import hashlib

    digest = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    for declared in ([key], [digest]):
        (finding,) = find_secrets({"planted": key}, canaries=canary_matcher(declared))
        assert finding.canary
    (other,) = find_secrets({"planted": "sk-proj-" + "D" * 30}, canaries=canary_matcher([key]))
    assert not other.canary


@pytest.fixture(scope="module")
def canary_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("canary")
    data = example_data(root / "p")
    data["tasks"] = [{**data["tasks"][0], "id": "exfil", "canaries": [CANARY]}]
    data["assignments"] = [
        {"partner": p["id"], "tasks": ["exfil"], "models": ["subject"]} for p in data["partners"]
    ]
    data["thresholds"] = []
    data["disclosure"] = {"default": "transcripts"}
    data.pop("analysis", None)
    path = root / "p" / "protocol.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = run_share(
        plan_share(load_protocol(path), "inst-a", root / "run"), limit=2, display="none"
    )
    assert result.complete
    return path, result.out_dir


CANARY = "sk-proj-CANARYplantedONpurpose0123456789"


def _build(canary_run: tuple[Path, Path], tmp_path: Path, values: dict[str, Any]) -> Path:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    protocol, source = canary_run
    run_dir = tmp_path / "run"
    shutil.copytree(source, run_dir)
    plant(run_dir, "exfil", values)
    key = Ed25519PrivateKey.generate()
    return build_bundle(
        run_dir, load_protocol(protocol), key, tmp_path / "b.accord", allow_partial=True
    ).path


def test_declared_canaries_pass_and_are_reported(
    canary_run: tuple[Path, Path], tmp_path: Path
) -> None:
    bundle = _build(canary_run, tmp_path, {"planted": CANARY})
    with zipfile.ZipFile(bundle) as archive:
        document = json.loads(archive.read("bundle.json"))
    (member,) = document["members"]
    assert any(place.endswith("metadata.planted") for place in member["canaries"])


def test_an_undeclared_key_beside_a_canary_is_still_refused(
    canary_run: tuple[Path, Path], tmp_path: Path
) -> None:
    leak: Callable[[], Path] = lambda: _build(  # noqa: E731
        canary_run, tmp_path, {"planted": CANARY, "real": "sk-proj-" + "R" * 30}
    )
    with pytest.raises(OperationError) as refused:
        leak()
    assert "metadata.real" in str(refused.value)
    assert "metadata.planted" not in str(refused.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@given(data=json_values, as_key=st.booleans(), escape=st.booleans())
@settings(max_examples=200, deadline=None)
def test_a_planted_key_is_found_wherever_it_sits(data: Any, as_key: bool, escape: bool) -> None:
    secret = "sk-proj-" + "P" * 30
    planted = {secret: data} if as_key else {"x": [data, f"note: {secret}"]}
    document = {"outer": planted, "other": data}
    if escape:  # through escaped JSON text and back, as a log member is read
        document = json.loads(json.dumps(document, ensure_ascii=True))
    findings = find_secrets(document)
    assert any(f.kind == "an OpenAI-style API key" for f in findings)
    assert all(secret not in f.path for f in findings)


def test_a_secret_key_is_never_printed_in_a_path() -> None:
    secret = "sk-proj-" + "K" * 30
    findings = find_secrets({"outer": {secret: {"password": "hunter2hunter2"}}})
    assert len(findings) == 2
    assert all(secret not in f.path for f in findings)
