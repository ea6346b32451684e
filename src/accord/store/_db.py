"""Engines, sessions and migrations for SQLite (embedded) and PostgreSQL (shared)."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .._util import InputError, OperationError


def database_url(url_or_path: str) -> str:
    """A SQLAlchemy URL: a plain path means a SQLite file; `postgresql://` uses psycopg 3."""
    if "://" not in url_or_path:
        return f"sqlite:///{Path(url_or_path).resolve()}"
    if url_or_path.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url_or_path.split("://", 1)[1]
    return url_or_path


def make_engine(url_or_path: str) -> Engine:
    """An engine for a database URL or SQLite path.

    SQLite runs in WAL mode with foreign keys on; write transactions begin IMMEDIATE (see
    `session_factory`).

    Raises:
        InputError: When the URL is not one SQLAlchemy understands.
    """
    url = database_url(url_or_path)
    if "://" not in url_or_path:
        Path(url_or_path).resolve().parent.mkdir(parents=True, exist_ok=True)
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            _sqlite_pragmas(engine)
        else:
            engine = create_engine(url, pool_size=10, max_overflow=10)
            _ping_when_idle(engine)
    except (ArgumentError, ImportError) as ex:
        raise InputError(
            f"database URL '{url_or_path}' is not usable: {ex}. Give a SQLite file path or "
            "postgresql://user@host:5432/dbname"
        ) from None
    return engine


IDLE_PING_SECONDS = 10.0
"""A pooled server connection idle longer than this is pinged before it is handed out."""


def _ping_when_idle(engine: Engine) -> None:
    # Like `pool_pre_ping`, which pings on every check-out (a round trip per request), but
    # only for connections that sat idle: one just returned by another request is alive. A
    # dead one is replaced; a request still fails if the server dies while it is running.
    @event.listens_for(engine, "checkin")
    def checkin(_: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checkout(dbapi_connection: Any, record: Any, _: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since <= IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()  # no transaction left open by the ping
        except Exception as ex:
            raise DisconnectionError(f"pooled connection is gone: {ex}") from ex


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below take effect
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: Any) -> None:
        # Writers take the write lock up front, so concurrent writers queue instead of failing
        # to upgrade a read lock; readers begin deferred and never wait for writers (WAL).
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


WRITE_OPTION = "accord_write"


def session_factory(engine: Engine, *, write: bool = True) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit.

    Write sessions on SQLite begin IMMEDIATE (taking the write lock at once); read sessions
    (`write=False`) begin deferred. On PostgreSQL read sessions run in autocommit: at READ
    COMMITTED every statement sees its own snapshot either way, and a read then costs no
    BEGIN and COMMIT round trips. Never write through a read session.
    """
    bind: Engine
    if write:
        bind = engine.execution_options(**{WRITE_OPTION: True})
    elif engine.dialect.name == "postgresql":
        bind = engine.execution_options(isolation_level="AUTOCOMMIT")
    else:
        bind = engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(engine: Engine) -> Config:
    """Alembic configuration for the migrations shipped in this package."""
    config = Config()
    config.set_main_option("script_location", str(files("accord.store").joinpath("migrations")))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (creating it in an empty database).

    Raises:
        OperationError: When the database cannot be reached.
    """
    try:
        command.upgrade(alembic_config(engine), revision)
    except OperationalError as ex:
        raise OperationError(
            f"cannot migrate the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{ex.orig}. Check that it is running and the URL is right."
        ) from None
