"""The hub: a multi-institute server for exercises, submissions, results and the ledger."""

from ._app import create_app
from ._auth import ANONYMOUS, ROLES, Actor
from ._backup import BackupInfo, backup_hub, restore_hub
from ._base import utc_now
from ._checkpoint import signed_head_valid
from ._client import HubClient, hub_settings
from ._embedded import serve_in_background
from ._errors import BadRequest, Conflict, Forbidden, HubError, NotFound, Rejected, Unauthenticated
from ._fetch import FetchedBundle, fetch_exercise
from ._onboard import Invitation, Onboarding, onboard, read_admins
from ._operator import recover_admin_token
from ._policy import ExerciseView
from ._remote_ledger import verify_remote_ledger
from ._service import Hub
from ._setup import open_hub
from ._status import status_matrix
from ._webhooks import EVENTS as WEBHOOK_EVENTS
from ._webhooks import WebhookDispatcher, webhook_signature

__all__ = [
    "ANONYMOUS",
    "ROLES",
    "WEBHOOK_EVENTS",
    "Actor",
    "BackupInfo",
    "BadRequest",
    "Conflict",
    "ExerciseView",
    "FetchedBundle",
    "Forbidden",
    "Hub",
    "HubClient",
    "HubError",
    "Invitation",
    "NotFound",
    "Onboarding",
    "Rejected",
    "Unauthenticated",
    "WebhookDispatcher",
    "backup_hub",
    "create_app",
    "fetch_exercise",
    "hub_settings",
    "onboard",
    "open_hub",
    "read_admins",
    "recover_admin_token",
    "restore_hub",
    "serve_in_background",
    "signed_head_valid",
    "status_matrix",
    "utc_now",
    "verify_remote_ledger",
    "webhook_signature",
]
