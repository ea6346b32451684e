"""The hub's operations: each checks the policy, changes the store, and records the ledger."""

from ._admin import AdminOps
from ._bundles import WorkplaceOps
from ._webhooks import WebhookOps


class Hub(AdminOps, WorkplaceOps, WebhookOps):
    """The hub's operations over one database and blob directory."""
