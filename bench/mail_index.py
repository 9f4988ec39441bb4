"""How long the reply lookups of one pass take over a large Maildir (issue 11).

Not a test: a measurement. It builds a Maildir of ``--inbox`` received and ``--sent`` sent
messages (small synthetic headers, many correspondents, the interviewers among them) and
times what a pass asks while ``--interviews`` sent notes await a reply: for each interview
``thread_messages`` of its note and ``messages_with`` each of its two interviewers
(``daemon.facts._reply``). It does so on a cold index (a new database: every header is
read), on a warm one (a new store and mailbox over the same database file: the next
pass), and on a warm one after a few messages arrived; with ``--baseline`` also one scan
of the code before the index (``git show HEAD~N:providers/local/mailbox.py``), times the
number of lookups.

    PYTHONPATH=. .venv/bin/python bench/mail_index.py [--inbox 20000] [--sent 20000]
        [--interviews 8] [--baseline REV]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import interview_outreach.providers.local.mailbox as local_mailbox
from interview_outreach.daemon.store.repository import Store
from interview_outreach.providers.local.mailbox import LocalMailbox

NOW = datetime(2025, 3, 18, 9, 0, tzinfo=UTC)
USER = "ada@example.org"


def interviewers(count: int) -> list[tuple[str, str]]:
    return [
        (f"int{2 * n}@acme{n}.example", f"int{2 * n + 1}@acme{n}.example") for n in range(count)
    ]


def build(root: Path, inbox: int, sent: int, interviews: int) -> None:
    """The Maildir: ``inbox`` received and ``sent`` sent messages over 90 days, one note per
    interview sent three days ago and not answered."""
    for folder in (root, root / ".Sent", root / ".Drafts"):
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
    people = [f"person{n}@corp{n % 50}.example" for n in range(500)]
    people += [a for pair in interviewers(interviews) for a in pair]
    start = NOW - timedelta(days=90)
    step = timedelta(days=90) / max(inbox + sent, 1)

    def write(folder: Path, n: int, sender: str, to: str, extra: str = "") -> None:
        at = start + step * n
        head = (
            f"From: {sender}\nTo: {to}\nSubject: message {n}\nDate: {format_datetime(at)}\n"
            f"Message-ID: <m{n}@bench.example>\n{extra}"
        )
        path = folder / "cur" / f"{int(at.timestamp())}.M{n}P1.bench:2,S"
        path.write_text(head + "\nA short body.\n")
        os.utime(path, (at.timestamp(), at.timestamp()))

    for n in range(inbox):
        other = people[n % len(people)]
        reply = f"In-Reply-To: <m{n - 1}@bench.example>\n" if n % 3 == 0 and n else ""
        write(root, n, other, USER, reply)
    for n in range(inbox, inbox + sent):
        write(root / ".Sent", n, USER, people[n % len(people)])
    for n, (first, second) in enumerate(interviewers(interviews)):
        at = NOW - timedelta(days=3)
        path = root / ".Sent" / "cur" / f"{int(at.timestamp())}.M{n}P2.note:2,S"
        path.write_text(
            f"From: {USER}\nTo: {first}, {second}\nSubject: Our interview\n"
            f"Date: {format_datetime(at)}\nMessage-ID: <note-{n}@example.org>\n\nHello.\n"
        )


def one_pass(mailbox: Any, interviews: int) -> int:
    """The lookups of ``_reply`` for every interview; how many messages they returned."""
    since = NOW - timedelta(days=3)
    found = 0
    for n, pair in enumerate(interviewers(interviews)):
        found += len(mailbox.thread_messages(f"<note-{n}@example.org>", None, since))
        for address in pair:
            found += len(mailbox.messages_with(address, since))
    return found


def timed(call: Callable[[], int]) -> tuple[float, int, int]:
    """Seconds, headers read, messages found."""
    reads = 0
    original = local_mailbox._read_headers

    def counting(path: Path) -> Any:
        nonlocal reads
        reads += 1
        return original(path)

    local_mailbox._read_headers = counting  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        found = call()
        return time.perf_counter() - started, reads, found
    finally:
        local_mailbox._read_headers = original  # type: ignore[assignment]


def baseline(root: Path, revision: str) -> float:
    """Seconds of one ``messages_with`` of the mailbox code at ``revision`` (a full scan)."""
    source = subprocess.run(  # noqa: S603 - git, with a revision the user typed
        ["git", "show", f"{revision}:providers/local/mailbox.py"],  # noqa: S607
        check=True,
        capture_output=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_mailbox.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("old_mailbox", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_mailbox"] = module
    spec.loader.exec_module(module)
    mailbox = module.LocalMailbox(USER, root)
    started = time.perf_counter()
    mailbox.messages_with("int0@acme0.example", NOW - timedelta(days=3))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", type=int, default=20_000)
    parser.add_argument("--sent", type=int, default=20_000)
    parser.add_argument("--interviews", type=int, default=8)
    parser.add_argument("--baseline", metavar="REV", help="also time one scan of REV's code")
    args = parser.parse_args()
    lookups = args.interviews * 3
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "Mail"
        started = time.perf_counter()
        build(root, args.inbox, args.sent, args.interviews)
        print(
            f"Maildir: {args.inbox} INBOX + {args.sent + args.interviews} Sent messages, "
            f"built in {time.perf_counter() - started:.1f} s; {args.interviews} interviews "
            f"awaiting a reply: {lookups} lookups per pass"
        )
        url = f"sqlite:///{Path(temp) / 'state.db'}"
        rows = []
        with Store(url) as store:
            mailbox = LocalMailbox(USER, root, index=store.message_index("bench"))
            rows.append(
                (
                    "store index, cold (new database)",
                    *timed(lambda: one_pass(mailbox, args.interviews)),
                )
            )
        with Store(url) as store:  # the next pass: a new store and mailbox, same database
            mailbox = LocalMailbox(USER, root, index=store.message_index("bench"))
            rows.append(
                (
                    "store index, warm (next pass)",
                    *timed(lambda: one_pass(mailbox, args.interviews)),
                )
            )
        for n in range(100):
            path = root / "new" / f"{int(NOW.timestamp())}.M{n}P3.late"
            path.write_text(
                f"From: person{n}@corp1.example\nTo: {USER}\nMessage-ID: <late{n}@x>\n\n.\n"
            )
        with Store(url) as store:
            mailbox = LocalMailbox(USER, root, index=store.message_index("bench"))
            rows.append(
                (
                    "store index, warm, 100 new messages",
                    *timed(lambda: one_pass(mailbox, args.interviews)),
                )
            )
        memory = LocalMailbox(USER, root)
        rows.append(
            ("memory index, cold (no store)", *timed(lambda: one_pass(memory, args.interviews)))
        )
        for label, seconds, reads, found in rows:
            print(f"{label:38} {seconds:7.2f} s  {reads:6} headers read  {found} messages found")
        size = sum(p.stat().st_size for p in Path(temp).glob("state.db*"))
        print(f"database with the index: {size / 1e6:.1f} MB")
        if args.baseline:
            one = baseline(root, args.baseline)
            print(
                f"before the index ({args.baseline}): one scan {one:.2f} s, "
                f"x {lookups} lookups = {one * lookups:.0f} s per pass"
            )


if __name__ == "__main__":
    main()
