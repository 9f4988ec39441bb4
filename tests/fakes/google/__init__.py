"""A loopback HTTPS fake of Google OAuth, Calendar v3 and Gmail v1 for the real client libraries.

Typical use::

    with FakeGoogle() as fake:
        monkeypatch.setenv(...)  # fake.env(): trust the fake's throw-away CA
        gmail = fake.service("gmail", "v1")  # googleapiclient + AuthorizedHttp
        fake.deliver(message)
"""

from .oauth import CALENDAR_READONLY, GMAIL_COMPOSE, GMAIL_METADATA, GMAIL_READONLY, PRODUCT_SCOPES
from .server import FakeGoogle, MessageInfo, Request

__all__ = [
    "CALENDAR_READONLY",
    "GMAIL_COMPOSE",
    "GMAIL_METADATA",
    "GMAIL_READONLY",
    "PRODUCT_SCOPES",
    "FakeGoogle",
    "MessageInfo",
    "Request",
]
