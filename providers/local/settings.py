"""A local account's settings: the keys of its ``[[accounts]]`` entry, checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from interview_outreach.daemon.config.model import AccountConfig
from interview_outreach.daemon.config.reader import Table, show

SETTINGS_KEYS = ("address", "calendar", "maildir", "drafts", "sent")


@dataclass(frozen=True)
class LocalAccount(AccountConfig):
    """A local vdir calendar (or one .ics file) and a Maildir."""

    address: str
    calendar: Path
    maildir: Path
    drafts: Path
    sent: Path
    provider: str = field(default="local", kw_only=True)

    @property
    def configured_address(self) -> str | None:
        """The ``address`` key: a Maildir does not know its own address."""
        return self.address


def parse_local_account(table: Table, name: str, base_dir: Path) -> LocalAccount | None:
    """A local ``[[accounts]]`` entry; ``None`` when its calendar or Maildir path is unusable."""
    address = _address(table)
    calendar = table.path("calendar", base_dir, '"~/.calendars/personal"', required=True)
    if calendar is not None:
        _check_calendar(table, calendar)
    maildir = table.path("maildir", base_dir, '"~/Mail/personal"', required=True)
    if maildir is not None:
        _check_folder(table, "maildir", maildir, must_exist=True)
    drafts = table.path("drafts", base_dir, '"~/Mail/personal/.Drafts"', required=False)
    sent = table.path("sent", base_dir, '"~/Mail/personal/.Sent"', required=False)
    for key, folder in (("drafts", drafts), ("sent", sent)):
        if folder is not None:
            _check_folder(table, key, folder, must_exist=False)
    if calendar is None or maildir is None:
        return None
    return LocalAccount(
        name=name,
        address=address,
        calendar=calendar,
        maildir=maildir,
        drafts=drafts or maildir / ".Drafts",
        sent=sent or maildir / ".Sent",
    )


def _address(table: Table) -> str:
    address = table.required_text("address", '"ada@example.org"').lower()
    local, _, domain = address.partition("@")
    looks_right = (
        address.count("@") == 1
        and local
        and "." in domain.strip(".")
        and not any(char.isspace() for char in address)
    )
    if address and not looks_right:
        table.problem(
            "address",
            f"{show(address)} is not an email address; write this mailbox's address, e.g. "
            '"ada@example.org"',
        )
    return address


def _check_calendar(table: Table, path: Path) -> None:
    if not path.exists():
        table.problem("calendar", f"{path} does not exist; create the folder or fix the path")
    elif not (path.is_dir() or path.suffix.lower() == ".ics"):
        table.problem(
            "calendar",
            f"{path} is neither a folder nor an .ics file; point it at a folder of .ics files "
            "or at one .ics file",
        )


def _check_folder(table: Table, key: str, path: Path, *, must_exist: bool) -> None:
    if must_exist and not path.exists():
        table.problem(key, f"{path} does not exist; create the folder or fix the path")
    elif path.exists() and not path.is_dir():
        table.problem(key, f"{path} is a file, not a folder; point it at a folder")
