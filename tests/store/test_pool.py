"""PostgreSQL connections that died while pooled are replaced, pinged only after idling."""

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from accord.store import _db, make_engine, session_factory, transaction
from tests.conftest import BACKENDS


def _kill(url: str, pid: int) -> None:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.parametrize("database", BACKENDS[1:], indirect=True)
def test_a_pooled_connection_killed_while_idle_is_replaced(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(database)
    try:
        with engine.connect() as connection:
            first = connection.scalar(text("SELECT pg_backend_pid()"))
        _kill(database, first)  # e.g. the server restarted, or a proxy dropped idle links
        monkeypatch.setattr(_db, "IDLE_PING_SECONDS", 0.0)  # it has idled long enough
        for factory in (session_factory(engine, write=False), session_factory(engine)):
            with transaction(factory) as session:
                assert session.scalar(text("SELECT 1")) == 1
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT pg_backend_pid()")) != first
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", BACKENDS[1:], indirect=True)
def test_a_connection_just_returned_is_not_pinged(database: str) -> None:
    # The other side of the trade: no ping within IDLE_PING_SECONDS, so a connection killed
    # in that window fails its next request once (and the pool is then renewed).
    engine = make_engine(database)
    try:
        with engine.connect() as connection:
            first = connection.scalar(text("SELECT pg_backend_pid()"))
        _kill(database, first)
        with pytest.raises(OperationalError), engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        with engine.connect() as connection:  # renewed after the failure
            assert connection.scalar(text("SELECT 1")) == 1
    finally:
        engine.dispose()
