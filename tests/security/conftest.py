"""Attack fixtures: a served hub with an open exercise, and checks that nothing was left."""

import itertools
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from accord._util import canonical_json
from accord.bundle._archive import write_archive
from accord.identity import load_private_key, sign
from accord.store import LedgerEntry
from tests.hub.conftest import BACKENDS, Bundles, World, agree, build_world
from tests.hub.conftest import bundles as bundles

__all__ = ["BACKENDS", "Arena", "Bundles", "arena_for", "resigned"]
_COUNTER = itertools.count()


@dataclass
class Arena:
    """A hub with an open exercise, and what it held before the attack."""

    world: World
    exercise: str
    before: dict[str, int]

    def upload(self, who: str, data: bytes | Path, **kwargs: Any) -> Any:
        body = data.read_bytes() if isinstance(data, Path) else data
        return self.world.call(
            who,
            "POST",
            f"/exercises/{self.exercise}/submissions",
            files={"bundle": ("x.accord", body)},
            **kwargs,
        )

    def assert_nothing_stored(self, *, rejected: str | None = None) -> None:
        """No rows beyond the ledger, no blobs or upload files; the chain verifies.

        With `rejected`, the newest ledger entry is the bundle's rejection and its reason
        contains that text.
        """
        after = self.world.hub.counts()
        for table in ("submissions", "runs", "sample_scores", "deviations"):
            assert after[table] == self.before[table], table
        data = self.world.hub.blobs.root.parent
        assert [p for p in (data / "blobs").rglob("*") if p.is_file()] == []
        assert [p for p in (data / "incoming").rglob("*")] == []
        assert self.world.call("hub-admin", "GET", "/ledger/verify").json()["ok"]
        if rejected is not None:
            with self.world.hub.sessions() as session:
                last = session.query(LedgerEntry).order_by(LedgerEntry.seq.desc()).first()
            assert last is not None and last.kind == "submission.rejected"
            assert rejected in last.payload["reason"], last.payload["reason"]


def arena_for(database: str, tmp_path: Path, bundles: Bundles) -> Arena:
    world = build_world(database, tmp_path, bundles)
    created = world.call(
        "hub-admin", "POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml}
    )
    assert created.status_code == 201, created.text
    exercise = created.json()["id"]
    agree(world, exercise, bundles.private_keys)
    assert world.call("hub-admin", "POST", f"/exercises/{exercise}/open").status_code == 200
    return Arena(world, exercise, world.hub.counts())


@pytest.fixture
def arena(tmp_path: Path, bundles: Bundles) -> Arena:
    """An arena on SQLite (the attacks on parsing do not depend on the backend)."""
    return arena_for(str(tmp_path / "hub.db"), tmp_path, bundles)


def members_of(bundle: Path) -> list[tuple[str, bytes]]:
    """The (name, bytes) of every member of a bundle, in order."""
    with zipfile.ZipFile(bundle) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


def write_zip(
    path: Path, members: list[tuple[str, bytes]], compress: int = zipfile.ZIP_STORED
) -> Path:
    """A zip of `members` (name, bytes), all compressed with `compress`."""
    with zipfile.ZipFile(path, "w", compression=compress) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def resigned(
    bundles: Bundles,
    tmp_path: Path,
    edit: Callable[[dict[str, Any]], None],
    replace: dict[str, bytes] | None = None,
) -> Path:
    """bundles.a with its bundle.json edited by `edit(data)` and validly signed again.

    `replace` swaps the bytes of members (by name) before packing.
    """
    members = members_of(bundles.a)
    data = json.loads(members[0][1])
    edit(data)
    raw = canonical_json(data)
    key = load_private_key(bundles.private_keys["inst-a"])
    signature = {"algorithm": "ed25519", "key_id": data["key_id"], "signature": sign(key, raw)}
    number = next(_COUNTER)
    files = []
    for name, content in [
        ("bundle.json", raw),
        ("signature", canonical_json(signature)),
        *[(name, (replace or {}).get(name, data)) for name, data in members[2:]],
    ]:
        file = tmp_path / f"parts-{number}" / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(content)
        files.append((name, file))
    target = tmp_path / f"resigned-{number}.accord"
    write_archive(target, files)
    return target
