"""Opening a hub: database URL and data directory, migrated to the current schema."""

from pathlib import Path

from ..store import make_engine, migrate
from ._base import Clock, utc_now
from ._service import Hub


def open_hub(db: str, data_dir: Path, *, clock: Clock = utc_now, upgrade: bool = True) -> Hub:
    """A hub on database `db` (a SQLite path or a postgresql:// URL) with blobs in `data_dir`.

    The schema is migrated to the latest revision first unless `upgrade` is false.
    """
    engine = make_engine(db)
    if upgrade:
        migrate(engine)
    data_dir.mkdir(parents=True, exist_ok=True)
    return Hub(engine, data_dir, clock)
