"""`.env` files, found and loaded the way `inspect eval` does."""

import os
from pathlib import Path

from dotenv import dotenv_values, find_dotenv, load_dotenv


def load_dotenv_file() -> Path | None:
    """Load the nearest `.env` from the working directory upward into the environment.

    As `inspect eval` does: variables already set in the environment win over the file's,
    so `OPENAI_API_KEY=... accord run ...` still overrides `./.env`. Call it before any model
    is created (a provider reads its credentials then).

    Returns:
        The file loaded, or None when there is none.

    """
    found = find_dotenv(usecwd=True)
    if not found:
        return None
    path = Path(found)
    # Inspect resolves a relative INSPECT_LOG_DIR from the file against the file's directory.
    log_dir = dotenv_values(path).get("INSPECT_LOG_DIR")
    had_log_dir = "INSPECT_LOG_DIR" in os.environ
    load_dotenv(path, override=False)
    if log_dir and not had_log_dir and not Path(log_dir).is_absolute() and "://" not in log_dir:
        os.environ["INSPECT_LOG_DIR"] = str((path.parent / log_dir).resolve())
    return path
