"""The hub's operations: each checks the policy, changes the store, and records the ledger."""

from ._admin import AdminOps
from ._bundles import WorkplaceOps
from ._developer import DeveloperOps
from ._governance import GovernanceOps
from ._packages import PackageOps
from ._progress import ProgressOps
from ._sessions import SessionOps
from ._webhooks import WebhookOps


class Hub(
    AdminOps,
    GovernanceOps,
    WorkplaceOps,
    ProgressOps,
    SessionOps,
    WebhookOps,
    PackageOps,
    DeveloperOps,
):
    """The hub's operations over one database and blob directory."""
