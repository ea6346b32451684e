"""Inspect entry point: importing this registers Accord's extensions with Inspect."""

from .models import StandInModelAPI
from .sandbox import BwrapSandboxEnvironment

__all__ = ["BwrapSandboxEnvironment", "StandInModelAPI"]
