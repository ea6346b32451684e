"""A finished run with one task at each disclosure level, keys, and a keyring."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.identity import Keyring, PublicKeyRecord, load_private_key, write_key_pair
from accord.protocol import ProtocolFile, load_protocol
from accord.run import plan_share, run_share
from tests.conftest import example_data

LEVELS = ("scores", "samples", "transcripts")


@dataclass(frozen=True)
class Exercise:
    protocol: ProtocolFile
    run_dir: Path
    key: Ed25519PrivateKey
    record: PublicKeyRecord
    other_key: Ed25519PrivateKey
    other_record: PublicKeyRecord

    def keyring(self, **window: Any) -> Keyring:
        ring = Keyring()
        start = window.get("valid_from", self.record.created - timedelta(days=1))
        ring.add(self.record, start, window.get("valid_until"))
        ring.add(self.other_record, self.other_record.created - timedelta(days=1), None)
        return ring


@pytest.fixture(scope="session")
def exercise(tmp_path_factory: pytest.TempPathFactory) -> Exercise:
    root = tmp_path_factory.mktemp("exercise")
    data = example_data(root / "protocol")
    base = data["tasks"][0]
    data["tasks"] = [{**base, "id": f"refusal-{level}"} for level in LEVELS]
    data["assignments"] = [
        {"partner": "inst-a", "tasks": [t["id"] for t in data["tasks"]], "models": ["subject"]},
        {"partner": "inst-b", "tasks": ["refusal-scores"], "models": ["subject", "ref"]},
    ]
    data["thresholds"][0]["task"] = "refusal-scores"
    data["disclosure"] = {"default": "scores", "tasks": {f"refusal-{lv}": lv for lv in LEVELS}}
    path = root / "protocol" / "protocol.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    protocol = load_protocol(path)
    result = run_share(plan_share(protocol, "inst-a", root / "run"), display="none")
    assert result.complete
    now = datetime.now(UTC)
    a = write_key_pair("inst-a", root / "keys", now)
    b = write_key_pair("inst-b", root / "keys", now)
    return Exercise(
        protocol,
        result.out_dir,
        load_private_key(a.private_key),
        a.record,
        load_private_key(b.private_key),
        b.record,
    )
