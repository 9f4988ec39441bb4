"""Opening the database: engine set-up, SQLite pragmas and automatic migration.

:func:`open_engine` is the only way the program obtains an engine. Every failure it can
meet (bad URL, unwritable folder, unreachable server, a database written by a newer
version) becomes one :class:`~daemon.errors.StorageError` line that never shows a password.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from interview_outreach.daemon.errors import StorageError
from interview_outreach.daemon.private_files import create_private, private_dir, restrict
from interview_outreach.daemon.store.revision import HEAD_REVISION

if TYPE_CHECKING:  # Alembic is imported only when a migration is due (see migrate)
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
"""The Alembic script folder shipped inside the package."""


SQLITE_IMMEDIATE = "interview_outreach_sqlite_immediate"
"""Execution option: begin SQLite transactions with ``BEGIN IMMEDIATE`` (writers)."""

MIGRATION_LOCK = 0x696F_6D69  # any constant; names the migration lock on PostgreSQL

BUSY_TIMEOUT_MS = 30000  # many processes may share one file; writes are short

SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
"""What SQLite keeps next to a database file ``state.db``: ``state.db-wal`` and so on."""


def open_engine(url: str) -> Engine:
    """Create an engine for ``url`` and bring its schema to the newest revision.

    For SQLite the database's folder is created (mode 0700) and every connection gets
    WAL journaling, a 30 s busy timeout and enforced foreign keys. Raises
    :class:`StorageError` with one line on any failure.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StorageError(
            "storage url is not a valid database URL; use e.g. "
            "sqlite:////home/you/.local/share/interview-outreach/state.db "
            "or postgresql://user@host/dbname"
        ) from exc
    shown = parsed.render_as_string(hide_password=True)
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        _prepare_sqlite_file(parsed, shown)
    try:
        engine = create_engine(parsed)
    except (ArgumentError, ImportError) as exc:
        raise StorageError(
            f"cannot use database {shown}: {error_line(exc, parsed)} "
            "(check the storage url and that its database driver is installed)"
        ) from exc
    if sqlite:
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    try:
        migrate(engine, shown)
    except StorageError:
        engine.dispose()
        raise
    except (SQLAlchemyError, OSError) as exc:
        engine.dispose()
        raise StorageError(f"cannot open database {shown}: {error_line(exc, parsed)}") from exc
    return engine


def alembic_config() -> Config:
    """An Alembic configuration for the packaged migrations, built without any ini file."""
    from alembic.config import Config  # noqa: PLC0415 (only when needed)

    config = Config()
    # ConfigParser interpolates "%", which may appear in an install path.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


def migrate(engine: Engine, shown: str | None = None) -> None:
    """Upgrade the database behind ``engine`` to the newest revision, if needed.

    A database already at :data:`HEAD_REVISION` costs one plain query (no Alembic import).
    Otherwise the upgrade runs in one transaction (on SQLite an immediate one, so two
    processes starting at once migrate one after the other). Refuses a database stamped
    with a revision this program does not know, i.e. one written by a newer version.
    """
    where = shown or engine.url.render_as_string(hide_password=True)
    with engine.connect() as conn:
        with conn.begin():
            current = stored_revisions(conn)
        if current == {HEAD_REVISION}:
            return
        _upgrade(conn, where)


def schema_revision(url: str) -> tuple[str, list[str]]:
    """Open the database at ``url`` as :func:`open_engine` does (creating or migrating it):
    its address as shown (never a password) and the schema revisions stamped in it."""
    engine = open_engine(url)
    try:
        shown = engine.url.render_as_string(hide_password=True)
        with engine.connect() as conn, conn.begin():
            return shown, sorted(stored_revisions(conn))
    finally:
        engine.dispose()


def stored_revisions(conn: Connection) -> set[str]:
    """The schema revisions stamped in the database (none for a new one), read with plain SQL."""
    if not conn.dialect.has_table(conn, "alembic_version"):
        return set()
    rows = conn.execute(text("SELECT version_num FROM alembic_version"))
    return {str(row[0]) for row in rows}


def _upgrade(conn: Connection, where: str) -> None:
    """Bring the database to Alembic's head under the migration lock (imports Alembic)."""
    from alembic import command  # noqa: PLC0415
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    known = {rev.revision for rev in script.walk_revisions()}
    heads = set(script.get_heads())
    conn.execution_options(**{SQLITE_IMMEDIATE: True})
    with conn.begin():
        if conn.dialect.name == "postgresql":
            # Processes starting together on one server migrate one after the other.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        current = set(MigrationContext.configure(conn).get_current_heads())
        unknown = sorted(current - known)
        if unknown:
            raise StorageError(
                f"database {where} has schema revision {', '.join(unknown)}, written by a "
                "newer interview-outreach; upgrade interview-outreach or use another "
                "storage url"
            )
        if current != heads:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")


def _prepare_sqlite_file(parsed: URL, shown: str) -> None:
    database = parsed.database
    if (
        not database
        or database == ":memory:"
        or parsed.query.get("uri")
        or (database.startswith("file:"))
    ):
        return
    path = Path(database)
    folder = path.parent
    try:
        private_dir(folder)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(f"folder {folder} is not writable")
        # Interviewers' names and addresses are private: no one else may read the file.
        create_private(path)
    except OSError as exc:
        reason = exc.strerror if exc.strerror and exc.filename else str(exc)
        target = f": {exc.filename}" if exc.filename else ""
        raise StorageError(
            f"cannot create database {shown}: {reason}{target} "
            "(make the folder writable or set another storage url)"
        ) from exc
    # SQLite gives the -wal, -shm and -journal files it creates the database file's
    # permissions; an older file, or side files left by a crash, keep their own.
    for file in (path, *(path.with_name(path.name + side) for side in SQLITE_SIDE_FILES)):
        try:
            restrict(file)
        except OSError as exc:
            raise StorageError(
                f"database {shown}: {file} can be read by other users and cannot be made "
                f"private ({exc.strerror or exc}); run: chmod 600 {file}"
            ) from exc


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # SQLAlchemy, not the sqlite3 module, emits BEGIN (see _sqlite_on_begin): sqlite3's own
    # implicit transactions start late and make read-then-write transactions unsafe.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
        _set_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _set_wal(cursor: Any) -> None:
    """Switch to WAL journaling, waiting while another process holds the file.

    Switching takes the database's exclusive lock, and SQLite answers "database is locked"
    at once instead of waiting the busy timeout: with several processes opening a new
    database together, all but one would fail.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _sqlite_on_begin(conn: Connection) -> None:
    immediate = bool(conn.get_execution_options().get(SQLITE_IMMEDIATE, False))
    # A writer takes the write lock up front, so it waits (busy_timeout) instead of
    # failing when another process wrote after this transaction's first read.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def error_line(exc: BaseException, url: URL | None = None) -> str:
    """The first line of the underlying error, with any password of ``url`` masked."""
    inner: BaseException = exc
    if isinstance(exc, DBAPIError) and isinstance(exc.orig, BaseException):
        inner = exc.orig
    lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
    text = lines[0] if lines else type(inner).__name__
    if url is not None and url.password:
        text = text.replace(str(url.password), "***")
    return text
