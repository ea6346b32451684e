"""Log files are named by task and model, so two `refusal` logs tell apart in a listing."""

import os
from pathlib import Path

import pytest

from accord.protocol import load_protocol
from accord.run import plan_share, read_manifest, run_share
from tests.conftest import ProtocolFactory


def test_log_names_hold_the_task_id_and_the_model(
    make_protocol: ProtocolFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INSPECT_EVAL_LOG_FILE_PATTERN", raising=False)
    plan = plan_share(load_protocol(make_protocol()), "inst-a", tmp_path / "a")
    assert run_share(plan, display="none", limit=2).complete
    names = {r.model_id: r.file for r in read_manifest(tmp_path / "a").logs}
    assert "_refusal_accord-guarded_" in names["subject"]
    assert "_refusal_accord-refuser_" in names["ref"]
    assert "INSPECT_EVAL_LOG_FILE_PATTERN" not in os.environ


def test_a_users_own_pattern_is_kept(
    make_protocol: ProtocolFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSPECT_EVAL_LOG_FILE_PATTERN", "mine_{task}_{id}")
    plan = plan_share(load_protocol(make_protocol()), "inst-b", tmp_path / "b")
    assert run_share(plan, display="none", limit=2).complete
    [record] = read_manifest(tmp_path / "b").logs
    assert "_mine_refusal_" in record.file and "accord-guarded" not in record.file
