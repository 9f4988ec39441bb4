"""The numbers that govern when and whether drafts are made (SPEC section 2).

Defaults are the SPEC's; ``daemon.config`` builds a ``Rules`` from the ``[rules]`` table.
The content rules below ``Rules`` have no configuration key: each number lives here once, and
every text that states it (``templates check``, a blocked draft's reason) is formatted from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time


@dataclass(frozen=True)
class Rules:
    """Every configurable rule, with the SPEC's defaults."""

    outreach_earliest_days: int = 3
    outreach_latest_days: int = 1
    draft_time: time = time(9, 0)
    followup_after_hours: int = 24
    followup_min_gap_hours: int = 2  # a follow-up closer than this to the start is skipped
    thankyou_after_minutes: int = 60
    thankyou_missed_hours: int = 72
    working_hours_start: time = time(9, 0)
    working_hours_end: time = time(18, 0)
    working_days: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))  # Mon=0
    screening_max_minutes: int = 30
    already_in_touch_messages: int = 4
    already_in_touch_days: int = 30
    back_and_forth_days: int = 14
    no_contact_domains: frozenset[str] = frozenset()
    max_new_drafts_per_pass: int = 25  # per account; a flood of invitations waits its turn


MAX_QUESTIONS = 2
"""At most this many questions in any draft."""

SENTENCES = (3, 5)
"""How many sentences an outreach or thank-you has between greeting and sign-off."""

FOLLOWUP_SENTENCES = (2, 4)
"""How many sentences a follow-up has: a short nudge in the same thread."""
