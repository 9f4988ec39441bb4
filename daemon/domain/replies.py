"""Which received messages count as a reply: auto-replies and bounces never do."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from interview_outreach.daemon.domain.model import MailMessage

_AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?reply|autoreply|out of (the )?office|ooo\b|"
    r"abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|absence du bureau|"
    r"respuesta autom[áa]tica|fuera de la oficina|undeliverable|delivery status notification|"
    r"mail delivery (failed|failure|subsystem)|returned mail|unzustellbar)",
    re.IGNORECASE,
)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk", "list"}


def automatic_marker(message: MailMessage) -> str | None:
    """Why ``message`` is automatic (an auto-reply or a bounce), or ``None`` if a person wrote it."""
    headers = {name.lower(): value.strip() for name, value in message.headers}
    auto_submitted = headers.get("auto-submitted", "").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("x-autoreply", "x-autorespond"):
        if name in headers:
            return f"{name} header"
    precedence = headers.get("precedence", "").lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    if message.content_type.lower() == "multipart/report":
        return "a delivery status report (bounce)"
    if _BOUNCE_SENDER.match(message.sender):
        return f"sent by {message.sender.partition('@')[0]} (bounce)"
    if _AUTO_SUBJECT.match(message.subject):
        return f'automatic subject "{message.subject.strip()}"'
    return None


@dataclass(frozen=True)
class ReplyFinding:
    """The message that counts as a reply to a sent outreach, and why."""

    message: MailMessage
    why: str


def find_reply(
    messages: Iterable[MailMessage],
    *,
    sent_message_id: str,
    sent_at: datetime,
    interviewers: frozenset[str],
    thread_ids: frozenset[str],
    user_addresses: frozenset[str],
) -> tuple[ReplyFinding | None, list[str]]:
    """The first human reply after the outreach, plus one line per message passed over.

    A reply is any non-automatic message from an interviewer after ``sent_at`` (in the
    thread or a new one), or from anyone else in the outreach's thread.
    """
    passed_over: list[str] = []
    for message in sorted(messages, key=lambda m: m.date):
        if message.folder != "inbox" or message.date < sent_at:
            continue
        if message.sender in user_addresses:
            continue
        in_thread = sent_message_id in (message.in_reply_to, *message.references) or (
            message.thread_id is not None and message.thread_id in thread_ids
        )
        from_interviewer = message.sender in interviewers
        if not (in_thread or from_interviewer):
            continue
        marker = automatic_marker(message)
        if marker:
            passed_over.append(f"{message.sender} at {message.date.isoformat()}: {marker}")
            continue
        where = "in the thread" if in_thread else "in a new thread"
        return ReplyFinding(message, f"{message.sender} wrote {where}"), passed_over
    return None, passed_over
