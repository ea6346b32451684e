"""A read request costs one database connection and a handful of statements, on any backend.

Latency under load is mostly round trips to the database (see benchmarks/hub_queries.py);
these tests keep the count of both from creeping back up.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from accord.store import make_engine, session_factory, transaction
from tests.hub.conftest import BACKENDS, Bundles, World, build_world
from tests.hub.test_api import open_exercise, submit


@contextmanager
def counting(world: World) -> Iterator[dict[str, list[str]]]:
    """Connections checked out of the hub's pool and statements sent, while inside."""
    seen: dict[str, list[str]] = {"checkouts": [], "statements": []}
    engine = world.hub.engine

    def checkout(*_: Any) -> None:
        seen["checkouts"].append("checkout")

    def statement(_conn: Any, _cursor: Any, sql: str, *__: Any) -> None:
        seen["statements"].append(sql.split()[0].upper())

    event.listen(engine.pool, "checkout", checkout)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine.pool, "checkout", checkout)
        event.remove(engine, "before_cursor_execute", statement)


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_read_requests_use_one_connection_and_few_statements(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    exercise = open_exercise(world, bundles)
    assert submit(world, "a-evaluator", exercise, bundles.a).status_code == 201
    base = f"/exercises/{exercise}"
    requests = {  # path -> statements: the caller (1), the exercise (1), then the answer
        "/exercises": 3,
        base: 2,
        f"{base}/scores?limit=10": 4,
        f"{base}/scores?limit=10&offset=5": 4,
        f"{base}/results": 3,  # warm: the ledger's head, then the cache
        f"{base}/submissions": 4,
    }
    world.call("a-evaluator", "GET", f"{base}/results")  # warm the cache
    for path, expected in requests.items():
        with counting(world) as seen:
            response = world.call("a-evaluator", "GET", path)
        assert response.status_code == 200, (path, response.text)
        assert len(seen["checkouts"]) == 1, (path, seen)
        sent = [s for s in seen["statements"] if s not in ("BEGIN", "COMMIT", "ROLLBACK")]
        assert len(sent) == expected, (path, seen["statements"])
    # a refused caller is still refused inside the shared read session, and audited
    response = world.call("c-evaluator", "GET", f"{base}/scores?limit=10")
    assert response.status_code in (403, 404)
    audit = world.call("hub-admin", "GET", "/audit?outcome=deny").json()
    assert any(e["actor"] == world.members["c-evaluator"] for e in audit)


@pytest.mark.parametrize("database", BACKENDS[1:], indirect=True)
def test_read_sessions_never_begin_on_postgresql(database: str) -> None:
    # In a transaction now() stays at its start; in autocommit each statement is its own.
    later = text("SELECT now() = statement_timestamp()")
    engine = make_engine(database)
    try:
        with transaction(session_factory(engine, write=False)) as session:
            session.execute(text("SELECT pg_sleep(0.02)"))
            assert session.scalar(later) is True
        with transaction(session_factory(engine)) as session:  # writes stay transactional
            session.execute(text("SELECT pg_sleep(0.02)"))
            assert session.scalar(later) is False
    finally:
        engine.dispose()
