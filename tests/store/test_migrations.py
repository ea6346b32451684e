"""Migrations run from empty on both databases and match the models."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from accord.store import Base, make_engine, migrate
from tests.conftest import BACKENDS


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_migrations_from_empty_match_the_models(database: str, tmp_path: Path) -> None:
    engine = make_engine(database)
    migrate(engine)
    migrate(engine)  # idempotent
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        tables = set(inspect(connection).get_table_names())
    assert set(Base.metadata.tables) <= tables
    indexes = {i["name"] for i in inspect(engine).get_indexes("sample_scores")}
    assert "ix_sample_scores_run_id" in indexes


def test_unreachable_database_is_a_clear_error() -> None:
    from accord._util import OperationError

    with pytest.raises(OperationError, match="cannot migrate the database"):
        migrate(make_engine("postgresql://nobody@127.0.0.1:1/none"))


def test_bad_url_is_bad_input() -> None:
    from accord._util import InputError

    with pytest.raises(InputError, match="is not usable"):
        make_engine("nosuchdialect://x")
