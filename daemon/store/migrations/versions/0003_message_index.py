"""The index of Maildir headers: folders, message files, their addresses and references.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-20

Written by hand to match daemon/store/schema.py; tests/unit/test_store.py compares them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the four tables of the message index."""
    op.create_table(
        "mail_folders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mail_folders"),
        sa.UniqueConstraint("account", "path", name="uq_mail_folders_account_path"),
    )
    op.create_table(
        "mail_files",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("folder_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("inode", sa.BigInteger(), nullable=False),
        sa.Column("trashed", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.String(250), nullable=True),
        sa.Column("date", _utc(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["mail_folders.id"],
            name="fk_mail_files_folder_id_mail_folders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_mail_files"),
        sa.UniqueConstraint("folder_id", "name", name="uq_mail_files_folder_id_name"),
    )
    op.create_index("ix_mail_files_folder_id_message_id", "mail_files", ["folder_id", "message_id"])
    op.create_table(
        "mail_addresses",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(250), nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("date", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["mail_files.id"],
            name="fk_mail_addresses_file_id_mail_files",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "address", name="pk_mail_addresses"),
    )
    op.create_index(
        "ix_mail_addresses_account_address_date",
        "mail_addresses",
        ["account", "address", "date"],
    )
    op.create_table(
        "mail_references",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(250), nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["mail_files.id"],
            name="fk_mail_references_file_id_mail_files",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "message_id", name="pk_mail_references"),
    )
    op.create_index(
        "ix_mail_references_account_message_id", "mail_references", ["account", "message_id"]
    )


def downgrade() -> None:
    """Remove what ``upgrade`` added."""
    op.drop_index("ix_mail_references_account_message_id", table_name="mail_references")
    op.drop_table("mail_references")
    op.drop_index("ix_mail_addresses_account_address_date", table_name="mail_addresses")
    op.drop_table("mail_addresses")
    op.drop_index("ix_mail_files_folder_id_message_id", table_name="mail_files")
    op.drop_table("mail_files")
    op.drop_table("mail_folders")
