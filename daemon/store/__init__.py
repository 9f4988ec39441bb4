"""Storage: the only code that touches SQLAlchemy.

The rest of the program uses :class:`Store` and the value types below, all in terms of
:mod:`daemon.domain.model`.
"""

from daemon.store.repository import AccountState, AuditEntry, Store, TrackedInterview

__all__ = ["AccountState", "AuditEntry", "Store", "TrackedInterview"]
