"""The local provider: a vdir or ``.ics`` calendar and a Maildir mailbox, no network."""

from providers.local.calendar import LocalCalendar
from providers.local.mailbox import LocalMailbox

__all__ = ["LocalCalendar", "LocalMailbox"]
