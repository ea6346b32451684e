"""Offline stand-in models, registered as the Inspect model provider `accord`."""

from ._lexicon import HARM_TERMS, harmful_terms
from ._policy import PERSONAS, respond
from ._provider import StandInModelAPI

__all__ = ["HARM_TERMS", "PERSONAS", "StandInModelAPI", "harmful_terms", "respond"]
