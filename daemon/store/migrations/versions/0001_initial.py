"""Initial schema: accounts, interviews, actions, audit_log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written by hand to match daemon/store/schema.py; tests/unit/test_store.py compares them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    # schema.UTCDateTime decorates exactly this type; the DDL is the same.
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the four tables."""
    op.create_table(
        "accounts",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("calendar_cursor", sa.Text(), nullable=True),
        sa.Column("mail_cursor", sa.Text(), nullable=True),
        sa.Column("last_pass_at", _utc(), nullable=True),
        sa.Column("last_success_at", _utc(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("needs_auth", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_accounts"),
    )
    op.create_table(
        "interviews",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("ical_uid", sa.Text(), nullable=False),
        sa.Column("instance", sa.String(100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("company", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("start_at", _utc(), nullable=False),
        sa.Column("end_at", _utc(), nullable=False),
        sa.Column("skip_reason", sa.String(32), nullable=True),
        sa.Column("skip_detail", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("first_seen_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("gone", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_interviews"),
    )
    op.create_index("ix_interviews_start_at", "interviews", ["start_at"])
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("interview_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("due_at", _utc(), nullable=True),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("draft_id", sa.Text(), nullable=True),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column("thread_id", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("drafted_at", _utc(), nullable=True),
        sa.Column("sent_at", _utc(), nullable=True),
        sa.Column("drafted_for", _utc(), nullable=True),
        sa.Column("edited", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"], ["interviews.id"], name="fk_actions_interview_id_interviews"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_actions"),
        sa.UniqueConstraint(
            "interview_id", "kind", "recipient", name="uq_actions_interview_id_kind_recipient"
        ),
    )
    op.create_index("ix_actions_due_at", "actions", ["due_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("interview_id", sa.String(64), nullable=True),
        sa.Column("action_kind", sa.String(16), nullable=True),
        sa.Column("recipient", sa.String(320), nullable=True),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("draft_id", sa.Text(), nullable=True),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_interview_id", "audit_log", ["interview_id"])


def downgrade() -> None:
    """Drop the four tables."""
    op.drop_index("ix_audit_log_interview_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_actions_due_at", table_name="actions")
    op.drop_table("actions")
    op.drop_index("ix_interviews_start_at", table_name="interviews")
    op.drop_table("interviews")
    op.drop_table("accounts")
