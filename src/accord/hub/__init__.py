"""The hub: a multi-institute server for exercises, submissions, results and the ledger."""

from ._app import create_app
from ._auth import ANONYMOUS, ROLES, Actor
from ._base import utc_now
from ._checkpoint import signed_head_valid
from ._client import HubClient, hub_settings
from ._embedded import serve_in_background
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
    "HubClient",
    "HubError",
    "NotFound",
    "Rejected",
    "Unauthenticated",
    "create_app",
    "hub_settings",
    "open_hub",
    "serve_in_background",
    "signed_head_valid",
    "utc_now",
]
