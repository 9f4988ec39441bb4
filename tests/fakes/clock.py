"""A settable clock shared by the program under test and the fake servers."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    """The moment every component (CLI, fake Google or Microsoft) believes it is."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        """Let time pass."""
        self.at += delta
