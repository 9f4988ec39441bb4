"""The Message-ID of each action's draft, derived so that the mailbox itself remembers.

Every process, after any crash and with any database (even a new one), computes the same
Message-ID for the same action: a draft or sent message carrying it proves the action was
already drafted (SPEC section 3).
"""

from __future__ import annotations

import hashlib

from interview_outreach.daemon.domain.model import ActionKind

_SEPARATOR = "\x1f"


def action_message_id(
    uid: str, instance: str, kind: ActionKind, recipient: str, user_address: str
) -> str:
    """``<…@domain>`` for the ``kind`` draft to ``recipient`` about one invitation occurrence.

    Derived from the invitation's UID (and occurrence), the action, the recipient and the
    user's address; the domain is the user's own, as a mail client would choose it.
    """
    user = user_address.strip().lower()
    parts = (uid, instance, kind.value, recipient.strip().lower(), user)
    digest = hashlib.sha256(_SEPARATOR.join(parts).encode("utf-8", "replace")).hexdigest()
    domain = user.rpartition("@")[2] or "localhost"
    return f"<io.{kind.value}.{digest[:32]}@{domain}>"
