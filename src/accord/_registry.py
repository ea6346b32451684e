"""Inspect entry point: importing this registers Accord's extensions with Inspect."""

from .models import StandInModelAPI

__all__ = ["StandInModelAPI"]
