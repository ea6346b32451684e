"""The hub's operations: each checks the policy, changes the store, and records the ledger."""

from ._admin import AdminOps
from ._governance import GovernanceOps
from ._queries import QueryOps


class Hub(AdminOps, GovernanceOps, QueryOps):
    """The hub's operations over one database and blob directory."""
