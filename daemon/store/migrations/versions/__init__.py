"""Alembic revisions of the store schema, one module per revision."""
