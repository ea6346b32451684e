"""Serving the hub with uvicorn: one process, or several worker processes on one database.

Workers share nothing but the database and the data directory: caches are keyed by the
ledger's head read from the database (see `_cache`), the ledger checkpoint is written under
a file lock, and webhooks are delivered by the parent process only.
"""

import os
from pathlib import Path

from fastapi import FastAPI

from ._app import create_app
from ._setup import open_hub

ENV_DB = "ACCORD_HUB_DB"
ENV_DATA = "ACCORD_HUB_DATA"


def app_from_environment() -> FastAPI:
    """The app of one worker process: the hub named by `ACCORD_HUB_DB` and `ACCORD_HUB_DATA`.

    The parent migrated the schema before starting the workers.
    """
    hub = open_hub(os.environ[ENV_DB], Path(os.environ[ENV_DATA]), upgrade=False)
    return create_app(hub)


def run_workers(db: str, data: Path, host: str, port: int, workers: int) -> None:
    """Serve with `workers` uvicorn worker processes (blocks until stopped)."""
    import uvicorn

    os.environ[ENV_DB], os.environ[ENV_DATA] = db, str(data.resolve())
    uvicorn.run(
        f"{__name__}:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )
