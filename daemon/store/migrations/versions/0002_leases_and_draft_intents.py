"""Account leases (one writer per account) and draft versions and intents on actions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06

Written by hand to match daemon/store/schema.py; tests/unit/test_store.py compares them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the leases table and four columns of actions."""
    op.create_table(
        "leases",
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("holder_id", sa.String(64), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", _utc(), nullable=False),
        sa.Column("renewed_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_leases")),
    )
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("draft_version", sa.Text(), nullable=True))
        batch.add_column(sa.Column("written_at", _utc(), nullable=True))
        batch.add_column(sa.Column("pending_hash", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("removing", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Remove what ``upgrade`` added."""
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("removing")
        batch.drop_column("pending_hash")
        batch.drop_column("written_at")
        batch.drop_column("draft_version")
    op.drop_table("leases")
