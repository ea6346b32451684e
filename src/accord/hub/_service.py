"""The hub's operations: each checks the policy, changes the store, and records the ledger."""

from ._admin import AdminOps
from ._progress import ProgressOps
from ._queries import QueryOps
from ._sessions import SessionOps


class Hub(AdminOps, QueryOps, ProgressOps, SessionOps):
    """The hub's operations over one database and blob directory."""
