"""The database schema: the tables, as SQLAlchemy Core ``Table`` objects.

Only :mod:`daemon.store` imports this module; everything outside the store sees domain
objects. ``migrations/versions`` creates exactly these tables, and a test holds the two
together. There is deliberately no column for tokens or any other secret.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

# Deterministic constraint names, so that migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
"""The metadata of every table, for migrations and their test."""


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime, stored as UTC and always returned as aware UTC.

    PostgreSQL keeps ``timestamptz`` natively; SQLite has no time zones, so the value is
    written as naive UTC and the zone is put back when read.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC; naive datetimes are refused."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored")
        utc = value.astimezone(UTC)
        # Only PostgreSQL-like backends keep the offset; elsewhere it would be dropped
        # silently or stored as text that sorts wrongly, so store naive UTC instead.
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("address", sa.String(320), nullable=False),
    sa.Column("calendar_cursor", sa.Text),
    sa.Column("mail_cursor", sa.Text),
    sa.Column("last_pass_at", UTCDateTime()),
    sa.Column("last_success_at", UTCDateTime()),
    sa.Column("last_error", sa.Text),
    sa.Column("needs_auth", sa.Boolean, nullable=False, server_default=sa.false()),
)
"""Sync cursors and health of one configured account."""

interviews = sa.Table(
    "interviews",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("account", sa.String(100), nullable=False, index=True),
    sa.Column("ical_uid", sa.Text, nullable=False),
    sa.Column("instance", sa.String(100), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("company", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("start_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("end_at", UTCDateTime(), nullable=False),
    sa.Column("skip_reason", sa.String(32)),
    sa.Column("skip_detail", sa.Text, nullable=False),
    sa.Column("snapshot", sa.Text, nullable=False),
    sa.Column("first_seen_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("gone", sa.Boolean, nullable=False, server_default=sa.false()),
)
"""One tracked interview; ``snapshot`` is the whole domain object as JSON."""

actions = sa.Table(
    "actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # The unique constraint's index starts with interview_id and serves its lookups.
    sa.Column("interview_id", sa.String(64), sa.ForeignKey("interviews.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("due_at", UTCDateTime(), index=True),
    sa.Column("reason", sa.String(32)),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("draft_id", sa.Text),
    sa.Column("message_id", sa.Text, index=True),
    sa.Column("thread_id", sa.Text),
    sa.Column("content_hash", sa.String(64)),
    sa.Column("drafted_at", UTCDateTime()),
    sa.Column("sent_at", UTCDateTime()),
    sa.Column("drafted_for", UTCDateTime()),
    sa.Column("edited", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("draft_version", sa.Text),
    sa.Column("written_at", UTCDateTime()),
    sa.Column("pending_hash", sa.String(64)),
    sa.Column("removing", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("interview_id", "kind", "recipient"),
)
"""One action (outreach, follow-up, thank-you) of one interview for one recipient."""

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("account", sa.String(100), primary_key=True),
    sa.Column("holder_id", sa.String(64), nullable=False),  # unique per holder and pass
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("acquired_at", UTCDateTime(), nullable=False),
    sa.Column("renewed_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)
"""Which process works on an account now: one writer per account, across machines."""

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("account", sa.String(100), nullable=False),
    sa.Column("interview_id", sa.String(64), index=True),
    sa.Column("action_kind", sa.String(16)),
    sa.Column("recipient", sa.String(320)),
    sa.Column("operation", sa.String(32), nullable=False),
    sa.Column("draft_id", sa.Text),
    sa.Column("message_id", sa.Text),
    sa.Column("detail", sa.Text, nullable=False),
)
"""One append-only audit entry: a mailbox operation or a state change."""

mail_folders = sa.Table(
    "mail_folders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(100), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # "inbox" | "sent"
    sa.UniqueConstraint("account", "path"),
)
"""A Maildir folder of an account whose message headers are indexed (issue 11)."""

mail_files = sa.Table(
    "mail_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "folder_id",
        sa.Integer,
        sa.ForeignKey("mail_folders.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.Text, nullable=False),  # "cur/KEY:2,FLAGS"
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("mtime_ns", sa.BigInteger, nullable=False),
    sa.Column("inode", sa.BigInteger, nullable=False),
    sa.Column("trashed", sa.Boolean, nullable=False),
    sa.Column("message_id", sa.String(250)),
    sa.Column("date", UTCDateTime()),
    sa.Column("message", sa.Text),
    sa.UniqueConstraint("folder_id", "name"),
    sa.Index("ix_mail_files_folder_id_message_id", "folder_id", "message_id"),
)
"""One message file of an indexed folder: its identity and what its header says.

``message`` is the ``MailMessage`` as JSON (the headers that matter, no body), or
``None`` when the file cannot be read; ``message_id`` and ``date`` are copies of its
fields for the lookups (``message_id`` cut to the column's length).
"""


def _indexed_file_id() -> sa.Column[int]:
    """The message file a row of an index table belongs to (removed with it)."""
    return sa.Column(
        "file_id", sa.Integer, sa.ForeignKey("mail_files.id", ondelete="CASCADE"), primary_key=True
    )


mail_addresses = sa.Table(
    "mail_addresses",
    metadata,
    _indexed_file_id(),
    sa.Column("address", sa.String(250), primary_key=True),
    sa.Column("account", sa.String(100), nullable=False),
    sa.Column("date", UTCDateTime(), nullable=False),
    sa.Index("ix_mail_addresses_account_address_date", "account", "address", "date"),
)
"""An address (sender or recipient) of an indexed message, with the message's date."""

mail_references = sa.Table(
    "mail_references",
    metadata,
    _indexed_file_id(),
    sa.Column("message_id", sa.String(250), primary_key=True),
    sa.Column("account", sa.String(100), nullable=False),
    sa.Index("ix_mail_references_account_message_id", "account", "message_id"),
)
"""A Message-ID named by an indexed message's In-Reply-To or References."""
