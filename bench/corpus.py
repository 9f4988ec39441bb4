"""How well the program reads invitations: the corpus in ``tests/data/events``, scored.

    .venv/bin/python bench/corpus.py [--split held-out|tune|all] [--show-misses]

Every ``[[event]]`` of ``expected*.toml`` names an ``.ics`` file and what a careful reader
concludes from it (see ``expected.toml``'s header). The corpus is split once, by a hash of
the file name: the held-out part (about 40% of the cases added for issue 12) is never used
to tune detection or extraction; the figures to quote are the held-out ones. The original
cases (``expected.toml``) are all in the tuning part: they were written while tuning.

Printed per part: detection (interview or not, right), skip reason, company, role,
interviewers and recipient (each among the interviews whose expectation states it).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interview_outreach.daemon.domain.interviews import recognize  # noqa: E402
from interview_outreach.daemon.domain.model import Interview, UserIdentity  # noqa: E402
from interview_outreach.daemon.domain.rules import Rules  # noqa: E402
from interview_outreach.providers.local.ics import events_from_ics  # noqa: E402

EVENTS_DIR = ROOT / "tests" / "data" / "events"
USER = UserIdentity(
    name="Ada Lovelace",
    addresses=frozenset({"ada.lovelace@gmail.com", "ada@analytical.io"}),
    timezone=ZoneInfo("Europe/London"),
)
RULES = Rules(no_contact_domains=frozenset({"strictcorp.com"}))
WINDOW = (datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
HELD_OUT_PERCENT = 40
FIELDS = ("detection", "skip_reason", "company", "role", "interviewers", "recipient")

Case = dict[str, Any]


def cases() -> list[Case]:
    """Every case of every ``expected*.toml``, with the file it came from."""
    found: list[Case] = []
    for path in sorted(EVENTS_DIR.glob("expected*.toml")):
        with path.open("rb") as handle:
            for case in tomllib.load(handle).get("event", []):
                found.append({**case, "_from": path.name})
    return found


def split_of(case: Case) -> str:
    """``held-out`` or ``tune``: fixed by the file name, never by how the case scores."""
    if case["_from"] == "expected.toml":
        return "tune"
    digest = int(hashlib.sha256(case["file"].encode()).hexdigest(), 16)
    return "held-out" if digest % 100 < HELD_OUT_PERCENT else "tune"


def recipient_of(interview: Interview) -> str:
    """Whom the outreach goes to."""
    recipient = interview.recipient
    return recipient.email.lower() if recipient else ""


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class Score:
    """Right and checked counts per field, and what was missed."""

    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    checked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    misses: list[str] = field(default_factory=list)

    def mark(self, name: str, ok: bool, case: Case, detail: str) -> None:
        self.checked[name] += 1
        if ok:
            self.right[name] += 1
        else:
            self.misses.append(f"{case['file']}: {name}: {detail}")


def score(case: Case, result: Score) -> None:
    """Read the case's file as the local provider does and compare with the expectation."""
    data = (EVENTS_DIR / case["file"]).read_bytes()
    events = events_from_ics(data, USER, *WINDOW)
    found = [recognize(e, account="corpus", user=USER, rules=RULES) for e in events]
    interviews = [i for i in found if i is not None]
    expected = bool(case["interview"])
    result.mark("detection", bool(interviews) == expected, case, f"got {bool(interviews)}")
    if not expected or not interviews:
        return
    got = interviews[0]
    skip = got.skip_reason.value if got.skip_reason else ""
    result.mark("skip_reason", skip == case["skip_reason"], case, f"{skip!r}")
    if "company" in case:
        result.mark("company", _norm(got.company) == _norm(case["company"]), case,
                    f"{got.company!r} != {case['company']!r}")  # fmt: skip
    if "role" in case:
        result.mark("role", _norm(got.role) == _norm(case["role"]), case,
                    f"{got.role!r} != {case['role']!r}")  # fmt: skip
    if "interviewers" in case:
        actual = {p.email.lower() for p in got.interviewers}
        wanted = {e.lower() for e in case["interviewers"]}
        result.mark("interviewers", actual == wanted, case,
                    f"missing {sorted(wanted - actual)}, unexpected {sorted(actual - wanted)}")  # fmt: skip
    if "recipient" in case:
        recipient = recipient_of(got)
        result.mark("recipient", recipient == case["recipient"].lower(), case,
                    f"{recipient!r} != {case['recipient']!r}")  # fmt: skip


def table(scores: dict[str, Score], sizes: dict[str, int]) -> Iterable[str]:
    yield "| part | cases | " + " | ".join(FIELDS) + " |"
    yield "|---|---|" + "---|" * len(FIELDS)
    for part, result in scores.items():
        cells = []
        for name in FIELDS:
            checked = result.checked[name]
            share = 100 * result.right[name] / checked if checked else 0.0
            cells.append(f"{share:.0f}% ({result.right[name]}/{checked})" if checked else "—")
        yield f"| {part} | {sizes[part]} | " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("held-out", "tune", "all"), default="all")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)
    parts = ("held-out", "tune") if args.split == "all" else (args.split,)
    scores = {part: Score() for part in parts}
    sizes = dict.fromkeys(parts, 0)
    for case in cases():
        part = split_of(case)
        if part in scores:
            sizes[part] += 1
            score(case, scores[part])
    for line in table(scores, sizes):
        print(line)
    if args.show_misses:
        for part in parts:
            if part == "held-out" and args.split != "held-out":
                continue  # looking at held-out misses is tuning on them
            for miss in scores[part].misses:
                print(f"{part}: {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
