"""The systemd notification protocol (``sd_notify(3)``), with the standard library only.

Under ``Type=notify`` systemd passes ``$NOTIFY_SOCKET``: an ``AF_UNIX`` datagram socket,
either a path or, when it starts with ``@``, a name in the abstract namespace. Each datagram
is newline-separated ``KEY=VALUE`` assignments (``READY=1``, ``STATUS=…``, ``WATCHDOG=1``,
``STOPPING=1``). With ``WatchdogSec=`` systemd also passes ``$WATCHDOG_USEC`` (and
``$WATCHDOG_PID``): the service must send ``WATCHDOG=1`` more often than that.

Outside systemd every call is a no-op, so the daemon runs the same in a terminal.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


def watchdog_interval(env: Mapping[str, str], pid: int | None = None) -> float | None:
    """How often to send ``WATCHDOG=1``, in seconds: half of ``$WATCHDOG_USEC``.

    ``None`` when no watchdog is asked for, or when ``$WATCHDOG_PID`` names another process
    (the variables were inherited from a parent and are not meant for us).
    """
    usec = env.get("WATCHDOG_USEC", "").strip()
    if not usec.isdigit() or int(usec) == 0:
        return None
    owner = env.get("WATCHDOG_PID", "").strip()
    if owner and owner != str(os.getpid() if pid is None else pid):
        return None
    return int(usec) / 1_000_000 / 2


def socket_address(value: str) -> str | bytes | None:
    """The address to send to for a ``$NOTIFY_SOCKET`` value; ``None`` when unusable.

    ``@name`` is the abstract-namespace socket ``\\0name``; other values must be absolute
    paths (``sd_notify`` ignores anything else, and so do we).
    """
    if value.startswith("@") and len(value) > 1:
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    return None


class SystemdNotifier:
    """Sends state changes to the service manager, when there is one to send them to.

    Failures to send are logged at debug level and otherwise ignored: a status message
    is never worth stopping the daemon for.
    """

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self._address = socket_address(env.get("NOTIFY_SOCKET", ""))
        self.watchdog_interval = watchdog_interval(env)

    @property
    def enabled(self) -> bool:
        """Whether a service manager listens (``$NOTIFY_SOCKET`` was usable)."""
        return self._address is not None

    def notify(self, *assignments: str) -> bool:
        """Send ``KEY=VALUE`` lines in one datagram; whether it was delivered."""
        if self._address is None:
            return False
        payload = "\n".join(assignments).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self._address)
                sock.sendall(payload)
        except OSError as error:
            log.debug("could not notify the service manager: %s", error)
            return False
        return True

    def ready(self, status: str = "") -> bool:
        """Start-up is complete (``READY=1``), with an optional status line."""
        return self.notify("READY=1", *([f"STATUS={_one_line(status)}"] if status else []))

    def status(self, text: str) -> bool:
        """A one-line status shown by ``systemctl --user status``."""
        return self.notify(f"STATUS={_one_line(text)}")

    def watchdog(self) -> bool:
        """Still alive (``WATCHDOG=1``)."""
        return self.notify("WATCHDOG=1")

    def stopping(self, status: str = "") -> bool:
        """Shutting down (``STOPPING=1``)."""
        return self.notify("STOPPING=1", *([f"STATUS={_one_line(status)}"] if status else []))


def _one_line(text: str) -> str:
    return " ".join(text.split())
