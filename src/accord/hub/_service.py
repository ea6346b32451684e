"""The hub's operations: each checks the policy, changes the store, and records the ledger."""

from ._admin import AdminOps
from ._bundles import WorkplaceOps


class Hub(AdminOps, WorkplaceOps):
    """The hub's operations over one database and blob directory."""
