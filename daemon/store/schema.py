"""The database schema: SQLAlchemy declarative models of the tables.

Only :mod:`daemon.store` imports this module; everything outside the store sees domain
objects. ``migrations/versions`` creates exactly these tables, and a test holds the two
together. There is deliberately no column for tokens or any other secret.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so that migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


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


class Base(DeclarativeBase):
    """Declarative base holding the metadata of every table."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class AccountRow(Base):
    """Sync cursors and health of one configured account."""

    __tablename__ = "accounts"

    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(32))
    address: Mapped[str] = mapped_column(sa.String(320))
    calendar_cursor: Mapped[str | None] = mapped_column(sa.Text)
    mail_cursor: Mapped[str | None] = mapped_column(sa.Text)
    last_pass_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    needs_auth: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())


class InterviewRow(Base):
    """One tracked interview; ``snapshot`` is the whole domain object as JSON."""

    __tablename__ = "interviews"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    account: Mapped[str] = mapped_column(sa.String(100), index=True)
    ical_uid: Mapped[str] = mapped_column(sa.Text)
    instance: Mapped[str] = mapped_column(sa.String(100))
    title: Mapped[str] = mapped_column(sa.Text)
    company: Mapped[str] = mapped_column(sa.Text)
    role: Mapped[str] = mapped_column(sa.Text)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    skip_reason: Mapped[str | None] = mapped_column(sa.String(32))
    skip_detail: Mapped[str] = mapped_column(sa.Text)
    snapshot: Mapped[str] = mapped_column(sa.Text)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    gone: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())


class ActionRow(Base):
    """One action (outreach, follow-up, thank-you) of one interview for one recipient."""

    __tablename__ = "actions"
    __table_args__ = (sa.UniqueConstraint("interview_id", "kind", "recipient"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    # The unique constraint's index starts with interview_id and serves its lookups.
    interview_id: Mapped[str] = mapped_column(sa.String(64), sa.ForeignKey("interviews.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    recipient: Mapped[str] = mapped_column(sa.String(320))
    state: Mapped[str] = mapped_column(sa.String(16))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    reason: Mapped[str | None] = mapped_column(sa.String(32))
    detail: Mapped[str] = mapped_column(sa.Text)
    draft_id: Mapped[str | None] = mapped_column(sa.Text)
    message_id: Mapped[str | None] = mapped_column(sa.Text, index=True)
    thread_id: Mapped[str | None] = mapped_column(sa.Text)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    drafted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    drafted_for: Mapped[datetime | None] = mapped_column(UTCDateTime())
    edited: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    draft_version: Mapped[str | None] = mapped_column(sa.Text)
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pending_hash: Mapped[str | None] = mapped_column(sa.String(64))
    removing: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())


class LeaseRow(Base):
    """Which process works on an account now: one writer per account, across machines."""

    __tablename__ = "leases"

    account: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    holder_id: Mapped[str] = mapped_column(sa.String(64))  # unique per holder and pass
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int] = mapped_column(sa.Integer)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditRow(Base):
    """One append-only audit entry: a mailbox operation or a state change."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    account: Mapped[str] = mapped_column(sa.String(100))
    interview_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    action_kind: Mapped[str | None] = mapped_column(sa.String(16))
    recipient: Mapped[str | None] = mapped_column(sa.String(320))
    operation: Mapped[str] = mapped_column(sa.String(32))
    draft_id: Mapped[str | None] = mapped_column(sa.Text)
    message_id: Mapped[str | None] = mapped_column(sa.Text)
    detail: Mapped[str] = mapped_column(sa.Text)


class MailFolderRow(Base):
    """A Maildir folder of an account whose message headers are indexed (issue 11)."""

    __tablename__ = "mail_folders"
    __table_args__ = (sa.UniqueConstraint("account", "path"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(sa.String(100))
    path: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(16))  # "inbox" | "sent"


class MailFileRow(Base):
    """One message file of an indexed folder: its identity and what its header says.

    ``message`` is the ``MailMessage`` as JSON (the headers that matter, no body), or
    ``None`` when the file cannot be read; ``message_id`` and ``date`` are copies of its
    fields for the lookups (``message_id`` cut to the column's length).
    """

    __tablename__ = "mail_files"
    __table_args__ = (
        sa.UniqueConstraint("folder_id", "name"),
        sa.Index("ix_mail_files_folder_id_message_id", "folder_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    folder_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("mail_folders.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(sa.Text)  # "cur/KEY:2,FLAGS"
    size: Mapped[int] = mapped_column(sa.BigInteger)
    mtime_ns: Mapped[int] = mapped_column(sa.BigInteger)
    inode: Mapped[int] = mapped_column(sa.BigInteger)
    trashed: Mapped[bool] = mapped_column(sa.Boolean)
    message_id: Mapped[str | None] = mapped_column(sa.String(250))
    date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message: Mapped[str | None] = mapped_column(sa.Text)


class MailAddressRow(Base):
    """An address (sender or recipient) of an indexed message, with the message's date."""

    __tablename__ = "mail_addresses"
    __table_args__ = (
        sa.Index("ix_mail_addresses_account_address_date", "account", "address", "date"),
    )

    file_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("mail_files.id", ondelete="CASCADE"), primary_key=True
    )
    address: Mapped[str] = mapped_column(sa.String(250), primary_key=True)
    account: Mapped[str] = mapped_column(sa.String(100))
    date: Mapped[datetime] = mapped_column(UTCDateTime())


class MailReferenceRow(Base):
    """A Message-ID named by an indexed message's In-Reply-To or References."""

    __tablename__ = "mail_references"
    __table_args__ = (sa.Index("ix_mail_references_account_message_id", "account", "message_id"),)

    file_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("mail_files.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[str] = mapped_column(sa.String(250), primary_key=True)
    account: Mapped[str] = mapped_column(sa.String(100))


metadata = Base.metadata
"""The metadata of every table, for migrations and their test."""
