"""Indexes for a pass that reads one account: interviews by account, actions by Message-ID.

(Actions by interview already have one: the unique (interview_id, kind, recipient).)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

Written by hand to match daemon/store/schema.py; tests/unit/test_store.py compares them.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Without them each account's pass scans every account's rows: cost grows as N²."""
    op.create_index("ix_interviews_account", "interviews", ["account"])
    op.create_index("ix_actions_message_id", "actions", ["message_id"])


def downgrade() -> None:
    """Drop the two indexes."""
    op.drop_index("ix_actions_message_id", table_name="actions")
    op.drop_index("ix_interviews_account", table_name="interviews")
