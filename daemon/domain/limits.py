"""Bounds on what one item from a calendar or a mailbox may cost.

Anyone who can send the user an invitation or an email controls what a pass reads. Each
bound below is far above what a real invitation or message needs and far below what makes
a pass slow or large; every provider applies the same ones at its boundary.
"""

from __future__ import annotations

from datetime import timedelta

MAX_ATTENDEES_PER_EVENT = 100
"""Attendees read from one event; the rest are not read. A real panel is a handful."""

MAX_INTERVIEW_PARTICIPANTS = 20
"""An event with more people than this is a meeting or an event, not a job interview one
writes to each person about (it would mean that many thank-you drafts)."""

MAX_INSTANCES_PER_SERIES = 60
"""Occurrences of one recurring series read inside the look-ahead window (a daily series
over the window has fewer); later ones are not read."""

MIN_RECURRENCE_INTERVAL = timedelta(hours=1)
"""A series repeating more often than this (``FREQ=SECONDLY``/``MINUTELY``) is never an
interview and is not expanded at all."""

MAX_ADDRESSES_PER_MESSAGE = 100
"""Addresses read from one message's From/To/Cc; a mailing to more is not a conversation."""

MAX_HEADER_BYTES = 64 * 1024
"""Bytes of a message's header block that are parsed; longer header blocks are cut here."""

MAX_ADDRESS_LENGTH = 254
"""RFC 5321's limit on a forward path, the longest address that can receive mail."""

MAX_NAME_LENGTH = 256
"""Characters of a display name kept from an invitation or a message."""

MAX_TITLE_LENGTH = 1_000
"""Characters of an event's title and location that are read."""

MAX_DESCRIPTION_LENGTH = 20_000
"""Characters of an event's description that are read (a long agenda is a few thousand)."""
