"""The hub's web interface: server-rendered pages on the hub's FastAPI app (see docs/hub.md)."""

from ._install import SECURE_ENV, install_ui

__all__ = ["SECURE_ENV", "install_ui"]
