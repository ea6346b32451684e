"""The hub: a multi-institute server for exercises, submissions, results and the ledger."""

from ._app import create_app
from ._auth import ANONYMOUS, ROLES, Actor
from ._base import utc_now
from ._errors import BadRequest, Conflict, Forbidden, HubError, NotFound, Rejected, Unauthenticated
from ._policy import ExerciseView
from ._service import Hub
from ._setup import open_hub

__all__ = [
    "ANONYMOUS",
    "ROLES",
    "Actor",
    "BadRequest",
    "Conflict",
    "ExerciseView",
    "Forbidden",
    "Hub",
    "HubError",
    "NotFound",
    "Rejected",
    "Unauthenticated",
    "create_app",
    "open_hub",
    "utc_now",
]
