"""Shared fixtures: example protocols written to temporary directories."""

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.protocol import write_example

# Hypothesis keeps its example database and caches outside the checkout.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", tempfile.mkdtemp(prefix="accord-hypothesis-"))

ProtocolFactory = Callable[..., Path]


def example_data(directory: Path) -> dict[str, Any]:
    """The example protocol as data (written by `accord protocol init`)."""
    path = write_example(directory, overwrite=True)
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


@pytest.fixture(autouse=True)
def _inspect_logs_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inspect writes logs given no log_dir under INSPECT_LOG_DIR: never into the checkout."""
    monkeypatch.setenv("INSPECT_LOG_DIR", str(tmp_path / "inspect-logs"))


@pytest.fixture
def make_protocol(tmp_path: Path) -> ProtocolFactory:
    """Write the example protocol, changed by `edit(data)`, and return its path."""

    def make(edit: Callable[[dict[str, Any]], None] | None = None, name: str = "proto") -> Path:
        directory = tmp_path / name
        data = example_data(directory)
        if edit is not None:
            edit(data)
        path = directory / "protocol.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return make


PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except Exception:
        return False


PG = postgres_available()
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not PG, reason="no PostgreSQL server answers at 127.0.0.1:5432 (CI starts one)"
        ),
    ),
]


@contextmanager
def new_database(backend: str, sqlite_path: Path) -> Iterator[str]:
    """A fresh, empty database: the SQLite file `sqlite_path`, or a new PostgreSQL database."""
    if backend == "sqlite":
        yield str(sqlite_path)
        return
    import psycopg

    name = f"accord_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of the requested backend."""
    with new_database(request.param, tmp_path / "hub.db") as url:
        yield url


def key_registration(client: Any, token: str, keys_dir: Path, partner: str) -> dict[str, Any]:
    """A hub key registration body for `partner`'s key in `keys_dir`, with proof of possession.

    `client` is a FastAPI TestClient of the hub; the challenge is fetched with `token`.
    """
    from accord.identity import load_private_key, load_public_record, prove_possession

    record = load_public_record(keys_dir / f"{partner}.pub.json")
    challenge = client.get(
        f"/api/v1/institutes/{partner}/keys/challenge",
        headers={"Authorization": f"Bearer {token}"},
    ).json()["challenge"]
    return {
        "key": record.model_dump(mode="json"),
        "challenge": challenge,
        "proof": prove_possession(
            load_private_key(keys_dir / f"{partner}.key"), partner, challenge
        ),
    }


def partners_agree(
    api: Any, exercise: str, private_keys: dict[str, Path], act: str = "sign-off"
) -> None:
    """Every partner in `private_keys` signs `act` over the exercise's protocol.

    `api` is an `accord.hub.HubClient` of a hub admin, who relays each partner's signed act.
    """
    from accord.identity import load_private_key

    for partner, key in sorted(private_keys.items()):
        api.record_act(exercise, api.sign_act(exercise, load_private_key(key), partner, act))
