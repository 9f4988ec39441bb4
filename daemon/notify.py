"""Telling the user that drafts are waiting: a desktop notification, else a log line.

Desktop notifications go over D-Bus to ``org.freedesktop.Notifications.Notify`` on the
session bus, with ``jeepney`` (pure Python). Why jeepney and not a ``gdbus``/``dbus-send``
subprocess: it is already installed wherever the program keeps tokens in the Secret
Service (``keyring`` → ``SecretStorage`` → ``jeepney``), so it adds no dependency and no
reliance on optional command-line tools (``gdbus`` comes with GLib's utilities, which a
minimal system lacks); a call has a real timeout, and a D-Bus error comes back as a value
to log rather than as text to parse from a child process's stderr.

A notification is a courtesy: any failure (no bus, no notification server, a timeout)
becomes a log line and never disturbs a pass.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

APP_NAME = "interview-outreach"
ICON = "mail-message-new"
TIMEOUT_SECONDS = 5.0
EXPIRE_DEFAULT = -1


class Notifier(Protocol):
    """Shows the user one short message."""

    def notify(self, summary: str, body: str) -> bool:
        """Show ``summary``/``body``; whether a desktop notification was delivered."""
        ...


def session_bus_address(env: Mapping[str, str]) -> str | None:
    """The session bus to use: ``$DBUS_SESSION_BUS_ADDRESS``, else ``$XDG_RUNTIME_DIR/bus``.

    systemd user managers export the first; the second is where they put the bus socket,
    for a service started before the variable was imported into the manager.
    """
    address = env.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
    if address:
        return address
    runtime = env.get("XDG_RUNTIME_DIR", "").strip()
    if runtime and Path(runtime, "bus").is_socket():
        return f"unix:path={Path(runtime, 'bus')}"
    return None


class DesktopNotifier:
    """Desktop notifications over the session bus; a log line whenever that is impossible."""

    def __init__(self, env: Mapping[str, str] | None = None, *, enabled: bool = True) -> None:
        self._env = dict(os.environ if env is None else env)
        self.enabled = enabled

    def notify(self, summary: str, body: str) -> bool:
        """Log the message; also show it on the desktop when enabled and a bus exists."""
        log.info("%s: %s", summary, body)
        if not self.enabled:
            return False
        address = session_bus_address(self._env)
        if address is None:
            log.info("no desktop notification: no D-Bus session bus")
            return False
        try:
            return _send(address, summary, body)
        except Exception as error:  # a notification must never break a pass
            log.info("no desktop notification: %s", _describe(error))
            return False


def _send(address: str, summary: str, body: str) -> bool:
    from jeepney import DBusAddress, MessageType, new_method_call  # noqa: PLC0415
    from jeepney.io.blocking import open_dbus_connection  # noqa: PLC0415

    target = DBusAddress(
        "/org/freedesktop/Notifications",
        bus_name="org.freedesktop.Notifications",
        interface="org.freedesktop.Notifications",
    )
    message = new_method_call(
        target,
        "Notify",
        "susssasa{sv}i",
        (APP_NAME, 0, ICON, summary, body, [], {}, EXPIRE_DEFAULT),
    )
    with open_dbus_connection(bus=address, auth_timeout=TIMEOUT_SECONDS) as connection:
        reply = connection.send_and_get_reply(message, timeout=TIMEOUT_SECONDS)
    if reply.header.message_type is MessageType.error:
        log.info("no desktop notification: %s", _error_reply(reply))
        return False
    return True


def _error_reply(reply: object) -> str:
    header = getattr(reply, "header", None)
    fields = getattr(header, "fields", {}) or {}
    from jeepney import HeaderFields  # noqa: PLC0415

    name = fields.get(HeaderFields.error_name, "an error")
    body = getattr(reply, "body", ())
    detail = f" ({body[0]})" if body and isinstance(body[0], str) else ""
    return f"the notification service answered {name}{detail}"


def _describe(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if str(error) else text
