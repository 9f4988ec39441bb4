"""How the domain's word lists become patterns: every one matches regardless of case."""

from __future__ import annotations

import re


def rx(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled to match regardless of case."""
    return re.compile(pattern, re.IGNORECASE)
