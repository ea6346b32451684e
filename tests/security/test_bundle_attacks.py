"""Hostile bundles: bombs, corrupt and unusual members, deep JSON, lies in the manifest.

Each is refused with a 4xx naming the problem, leaves no rows, blobs or upload files, and
its rejection is on the ledger with the reason. Callers who may not submit are refused
before the body is read at all.
"""

import io
import json
import threading
import time
import zipfile
from pathlib import Path

import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.bundle import BundleDocument, BundleError, verify_bundle
from accord.hub._depth import too_deep
from accord.identity import Keyring
from tests.security.conftest import Arena, Bundles, members_of, resigned, write_zip

BOMB_BYTES = 400 << 20


def zip_bomb(path: Path, bundles: Bundles) -> Path:
    """A ~400 KB archive whose bundle.json inflates to 400 MB."""
    members = members_of(bundles.a)
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("bundle.json")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as stream:
            stream.write(b'{"partner": "inst-a", "pad": "')
            chunk = b" " * (1 << 20)
            for _ in range(BOMB_BYTES >> 20):
                stream.write(chunk)
            stream.write(b'"}')
        for name, data in members[1:]:
            archive.writestr(name, data)
    return path


class PeakRss:
    """The peak resident memory of this process while the block runs, sampled every 5 ms."""

    def __enter__(self) -> "PeakRss":
        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *_: object) -> None:
        self.running = False
        self.thread.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / (1 << 20)


def test_zip_bomb_is_refused_before_auth_and_without_inflating(
    arena: Arena, bundles: Bundles, tmp_path: Path
) -> None:
    bomb = zip_bomb(tmp_path / "bomb.accord", bundles)
    assert bomb.stat().st_size < 2 << 20
    with PeakRss() as anonymous:
        refused = arena.upload("anonymous", bomb)
    assert refused.status_code == 401
    outsider = arena.upload("c-evaluator", bomb)  # not a partner: never reads the body
    assert outsider.status_code == 404
    with PeakRss() as insider:
        response = arena.upload("a-evaluator", bomb)
    assert response.status_code == 422, response.text
    assert "over the limit" in response.json()["error"]["message"]
    assert anonymous.growth_mb < 50 and insider.growth_mb < 50, (
        anonymous.growth_mb,
        insider.growth_mb,
    )
    arena.assert_nothing_stored(rejected="bundle.json")


def _patch(data: bytes, name: bytes, local: dict[int, bytes], central: dict[int, bytes]) -> bytes:
    """Overwrite header fields (offset -> bytes) of member `name` in both of its headers."""
    out = bytearray(data)
    for signature, fields in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
        start = 0
        while (start := out.find(signature, start)) >= 0:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if out[name_at : name_at + len(name)] == name:
                for offset, value in fields.items():
                    out[start + offset : start + offset + len(value)] = value
            start += 4
    return bytes(out)


def _deflated(bundles: Bundles, tmp_path: Path) -> bytes:
    return write_zip(tmp_path / "d.zip", members_of(bundles.a), zipfile.ZIP_DEFLATED).read_bytes()


def _corrupt_deflate(bundles: Bundles, tmp_path: Path) -> bytes:
    members = members_of(bundles.a)
    path = write_zip(tmp_path / "c.zip", members[:1], zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path, "a") as archive:
        for name, data in members[1:]:
            archive.writestr(name, data)
    raw = bytearray(path.read_bytes())
    start = 30 + len(b"bundle.json")
    for i in range(start + 5, start + 60):
        raw[i] ^= 0x5A
    return bytes(raw)


def _nested(bundles: Bundles, tmp_path: Path) -> bytes:
    members = members_of(bundles.a)
    deep = b"[" * 100_000 + b"]" * 100_000
    return write_zip(tmp_path / "n.zip", [("bundle.json", deep), *members[1:]]).read_bytes()


def _truncated(bundles: Bundles, tmp_path: Path) -> bytes:
    members = members_of(bundles.a)
    name, data = members[2]
    return write_zip(
        tmp_path / "t.zip", [*members[:2], (name, data[: len(data) // 2])]
    ).read_bytes()


def _truncated_archive(bundles: Bundles, tmp_path: Path) -> bytes:
    raw = bundles.a.read_bytes()
    return raw[: len(raw) * 2 // 3]


ATTACKS = {
    "corrupt deflate stream": (_corrupt_deflate, "cannot be read"),
    "unknown compression method": (
        lambda b, t: _patch(_deflated(b, t), b"bundle.json", {8: b"\x63\x00"}, {10: b"\x63\x00"}),
        "bundle.json",
    ),
    "encrypted flag": (
        lambda b, t: _patch(_deflated(b, t), b"bundle.json", {6: b"\x01\x00"}, {8: b"\x01\x00"}),
        "encrypted",
    ),
    "JSON nested 100,000 deep": (_nested, "nested too deeply"),
    "truncated member": (_truncated, "logs/"),
    "truncated archive": (_truncated_archive, "does not verify"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_malformed_bundles_are_4xx_and_on_the_ledger(
    arena: Arena, bundles: Bundles, tmp_path: Path, attack: str
) -> None:
    make, reason = ATTACKS[attack]
    assert arena.upload("anonymous", make(bundles, tmp_path)).status_code == 401
    response = arena.upload("a-evaluator", make(bundles, tmp_path))
    assert response.status_code == 422, response.text
    assert reason in response.json()["error"]["message"]
    arena.assert_nothing_stored(rejected=reason)


def test_a_log_missing_from_the_run_manifest_is_rejected(
    arena: Arena, bundles: Bundles, tmp_path: Path
) -> None:
    def drop_first_log(data: dict) -> None:  # type: ignore[type-arg]
        data["run_manifest"]["logs"] = data["run_manifest"]["logs"][1:]

    bundle = resigned(bundles, tmp_path, drop_first_log)
    keyring = Keyring()
    for record in bundles.keys.values():
        keyring.add(record, record.created, None)
    with pytest.raises(BundleError, match="not in the run manifest"):  # offline, too
        verify_bundle(bundle, keyring)
    response = arena.upload("a-evaluator", bundle)
    assert response.status_code == 422, response.text
    assert "not in the run manifest" in response.json()["error"]["message"]
    arena.assert_nothing_stored(rejected="not in the run manifest")


def test_a_signed_bundle_with_a_naive_time_is_rejected(
    arena: Arena, bundles: Bundles, tmp_path: Path
) -> None:
    def naive(data: dict) -> None:  # type: ignore[type-arg]
        data["created"] = data["created"].replace("Z", "").split("+")[0]

    response = arena.upload("a-evaluator", resigned(bundles, tmp_path, naive))
    assert response.status_code == 422, response.text
    assert "no time zone" in response.json()["error"]["message"]
    arena.assert_nothing_stored(rejected="no time zone")
    assert BundleDocument  # the document model stays the public schema


def test_uploads_are_streamed_under_a_size_limit(arena: Arena) -> None:
    arena.world.hub.limits = type(arena.world.hub.limits)(max_archive_bytes=1 << 20)
    huge = b"\0" * (3 << 20)
    response = arena.upload("a-evaluator", huge)
    assert response.status_code == 413, response.text
    raw = arena.world.client.post(
        f"/api/v1/exercises/{arena.exercise}/submissions",
        content=huge,
        headers={
            **arena.world.as_("a-evaluator"),
            "Content-Type": "application/octet-stream",
        },
    )
    assert raw.status_code == 413
    arena.assert_nothing_stored()


def test_raw_uploads_are_accepted_too(arena: Arena, bundles: Bundles) -> None:
    response = arena.world.client.post(
        f"/api/v1/exercises/{arena.exercise}/submissions",
        content=bundles.a.read_bytes(),
        headers={**arena.world.as_("a-evaluator"), "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text


def test_a_validly_signed_bundle_with_a_bomb_inside_its_log_is_rejected(
    arena: Arena, bundles: Bundles, tmp_path: Path
) -> None:
    """The signature holds, but the log inside inflates 1,000-fold: refused from its headers."""
    import hashlib

    members = members_of(bundles.a)
    name = members[2][0]
    inner = tmp_path / "inner.eval"
    with zipfile.ZipFile(inner, "w") as archive:
        info = zipfile.ZipInfo("summaries.json")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as stream:
            for _ in range(64):
                stream.write(b" " * (1 << 20))
    log = inner.read_bytes()

    def swap(data: dict) -> None:  # type: ignore[type-arg]
        for member in data["members"]:
            if member["name"] == name:
                member["sha256"] = "sha256:" + hashlib.sha256(log).hexdigest()
                member["size"] = len(log)

    bundle = resigned(bundles, tmp_path, swap, replace={name: log})
    with PeakRss() as memory:
        response = arena.upload("a-evaluator", bundle)
    assert response.status_code == 422, response.text
    assert "a zip bomb?" in response.json()["error"]["message"]
    assert memory.growth_mb < 50
    arena.assert_nothing_stored(rejected="zip bomb")


def test_upload_folders_left_by_a_crash_are_removed_at_start_up(
    arena: Arena, tmp_path: Path
) -> None:
    import os

    from accord.hub import open_hub

    incoming = arena.world.hub.incoming
    stale, fresh = incoming / "accord-upload-stale", incoming / "accord-upload-fresh"
    for folder in (stale, fresh):
        folder.mkdir(parents=True)
        (folder / "bundle.accord").write_bytes(b"partial")
    old = time.time() - 7200
    os.utime(stale / "bundle.accord", (old, old))
    os.utime(stale, (old, old))
    open_hub(str(tmp_path / "hub.db"), incoming.parent)  # a restart on the same data
    assert not stale.exists() and fresh.exists()


def _log_with(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


HOSTILE_LOGS = {
    "not a zip at all": (b"\x00" * 4096, "not a readable Inspect log"),
    "summaries nested 100,000 deep": (
        _log_with({"summaries.json": b"[" * 100_000 + b"]" * 100_000}),
        "not a readable Inspect log",
    ),
    "summaries of the wrong shape": (
        _log_with({"summaries.json": b'[{"id": 1, "epoch": 1, "scores": [1, 2]}]'}),
        "not a readable Inspect log",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_LOGS))
def test_a_validly_signed_bundle_with_an_unreadable_log_is_rejected(
    arena: Arena, bundles: Bundles, tmp_path: Path, case: str
) -> None:
    import hashlib

    log, reason = HOSTILE_LOGS[case]
    name = members_of(bundles.a)[2][0]

    def swap(data: dict) -> None:  # type: ignore[type-arg]
        for member in data["members"]:
            if member["name"] == name:
                member["sha256"] = "sha256:" + hashlib.sha256(log).hexdigest()
                member["size"] = len(log)

    response = arena.upload("a-evaluator", resigned(bundles, tmp_path, swap, replace={name: log}))
    assert response.status_code == 422, response.text
    assert reason in response.json()["error"]["message"]
    arena.assert_nothing_stored(rejected=reason)


@given(st.recursive(st.text(alphabet='ab"\\[]{}', max_size=6), lambda c: st.lists(c, max_size=3)))
@settings(max_examples=300, deadline=None)
def test_the_depth_scan_agrees_with_the_json_structure(value: object) -> None:
    def depth(item: object) -> int:
        return 1 + max(map(depth, item), default=0) if isinstance(item, list) else 0

    text = json.dumps({"k": value}).encode()
    actual = depth(value) + 1
    assert not too_deep(io.BytesIO(text), actual)
    assert too_deep(io.BytesIO(text), actual - 1)
