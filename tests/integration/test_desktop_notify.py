"""Desktop notifications over a real, private D-Bus session bus with a fake notification server.

The bus is a ``dbus-daemon`` the test starts on a socket in its own temporary folder, so
nothing reaches the desktop of whoever runs the tests.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jeepney import HeaderFields, MessageType, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

from interview_outreach.daemon.notify import DesktopNotifier, session_bus_address


@pytest.fixture
def session_bus(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("dbus-daemon")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("dbus-daemon is missing: .ci/run installs dbus")
        pytest.skip("dbus-daemon is not installed")
    process = subprocess.Popen(
        [
            binary,
            "--session",
            "--nofork",
            "--print-address=1",
            f"--address=unix:path={tmp_path / 'bus'}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 10)
        assert ready, "dbus-daemon did not start"
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


class FakeNotificationServer:
    """Owns org.freedesktop.Notifications and records each Notify call."""

    def __init__(self, address: str) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self._stop = threading.Event()
        self._connection = open_dbus_connection(bus=address)
        self._connection.send_and_get_reply(
            message_bus.RequestName("org.freedesktop.Notifications"), timeout=5
        )
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._connection.receive(timeout=0.1)
            except TimeoutError:
                continue
            header = message.header
            if (
                header.message_type is MessageType.method_call
                and header.fields.get(HeaderFields.member) == "Notify"
            ):
                self.calls.append(message.body)
                self._connection.send(new_method_return(message, "u", (42,)))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._connection.close()


def test_a_notification_reaches_the_notification_server(session_bus: str) -> None:
    server = FakeNotificationServer(session_bus)
    try:
        notifier = DesktopNotifier({"DBUS_SESSION_BUS_ADDRESS": session_bus})
        assert notifier.notify("2 new drafts to review", "Nothing was sent.") is True
    finally:
        server.close()
    assert len(server.calls) == 1
    app, replaces, icon, summary, body, actions, hints, timeout = server.calls[0]
    assert (app, replaces, summary, body) == (
        "interview-outreach",
        0,
        "2 new drafts to review",
        "Nothing was sent.",
    )
    assert icon and actions == [] and hints == {} and timeout == -1


def test_a_bus_without_notification_server_becomes_a_log_line(
    session_bus: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="interview_outreach.daemon.notify")
    notifier = DesktopNotifier({"DBUS_SESSION_BUS_ADDRESS": session_bus})
    assert notifier.notify("1 new draft to review", "body") is False
    messages = [r.getMessage() for r in caplog.records]
    assert "1 new draft to review: body" in messages
    assert any("ServiceUnknown" in m for m in messages), messages


def test_no_session_bus_at_all_is_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="interview_outreach.daemon.notify")
    assert DesktopNotifier({}).notify("1 new draft to review", "body") is False
    assert any("no D-Bus session bus" in r.getMessage() for r in caplog.records)


def test_a_dead_bus_address_is_a_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="interview_outreach.daemon.notify")
    notifier = DesktopNotifier({"DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path / 'none'}"})
    assert notifier.notify("s", "b") is False
    assert any("no desktop notification" in r.getMessage() for r in caplog.records)


def test_the_bus_is_found_in_the_runtime_folder_too(tmp_path: Path) -> None:
    assert session_bus_address({"XDG_RUNTIME_DIR": str(tmp_path)}) is None
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "bus"))
        assert (
            session_bus_address({"XDG_RUNTIME_DIR": str(tmp_path)})
            == f"unix:path={tmp_path / 'bus'}"
        )
    assert session_bus_address({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}) == "unix:path=/x"
