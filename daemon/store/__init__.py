"""Storage: the only code that touches SQLAlchemy (``repository``, ``schema``, ``db``).

The rest of the program uses :class:`Store` and the value types of
:mod:`daemon.store.records`, all in terms of :mod:`daemon.domain.model`. Importing this
package imports no SQLAlchemy: `status` reads a SQLite store without it.
"""
