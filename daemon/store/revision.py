"""The newest schema revision, known without importing Alembic or SQLAlchemy."""

HEAD_REVISION = "0004"
"""The newest revision in ``migrations/versions/``: a database stamped with it needs no
migration, and opening it never imports Alembic. BUMP THIS WHEN ADDING A MIGRATION;
tests/unit/test_startup_imports.py checks that it is Alembic's head."""
