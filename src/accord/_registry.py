"""Inspect entry point: importing this registers Accord's extensions with Inspect."""

from .models import StandInModelAPI
from .sandbox import BwrapSandboxEnvironment
from .suites import ctf, jailbreak, prompt_injection, refusal

__all__ = [
    "BwrapSandboxEnvironment",
    "StandInModelAPI",
    "ctf",
    "jailbreak",
    "prompt_injection",
    "refusal",
]
