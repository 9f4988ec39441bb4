"""Alembic environment of the store, used programmatically by :mod:`daemon.store.db`.

This is a package only so that its files ship in the wheel next to the code.
"""
