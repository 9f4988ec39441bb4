"""sd_notify over a real AF_UNIX datagram socket that the test owns (path and abstract)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from interview_outreach.daemon.sdnotify import SystemdNotifier, socket_address, watchdog_interval


class Listener:
    """A NOTIFY_SOCKET as systemd would provide it."""

    def __init__(self, sock: socket.socket, env_value: str) -> None:
        self.sock = sock
        self.env_value = env_value

    def receive(self) -> list[str]:
        data = self.sock.recv(4096)
        return data.decode().split("\n")


@pytest.fixture(params=["path", "abstract"])
def listener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Listener]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.settimeout(5)
    if request.param == "path":
        path = tmp_path / "notify.sock"
        sock.bind(str(path))
        value = str(path)
    else:
        name = f"interview-outreach-test-{uuid.uuid4().hex}"
        sock.bind("\0" + name)
        value = "@" + name
    try:
        yield Listener(sock, value)
    finally:
        sock.close()


def test_ready_status_watchdog_and_stopping_arrive(listener: Listener) -> None:
    notifier = SystemdNotifier({"NOTIFY_SOCKET": listener.env_value})
    assert notifier.enabled
    assert notifier.ready("watching 2 accounts")
    assert listener.receive() == ["READY=1", "STATUS=watching 2 accounts"]
    assert notifier.status("last pass 09:00:\n 1 draft")
    assert listener.receive() == ["STATUS=last pass 09:00: 1 draft"]  # one line only
    assert notifier.watchdog()
    assert listener.receive() == ["WATCHDOG=1"]
    assert notifier.stopping()
    assert listener.receive() == ["STOPPING=1"]


def test_without_notify_socket_everything_is_a_quiet_no_op() -> None:
    notifier = SystemdNotifier({})
    assert not notifier.enabled
    assert not notifier.ready()
    assert not notifier.watchdog()
    assert notifier.watchdog_interval is None


def test_a_socket_nobody_listens_on_is_not_an_error(tmp_path: Path) -> None:
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert notifier.enabled
    assert not notifier.ready()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/run/user/1000/systemd/notify", "/run/user/1000/systemd/notify"),
        ("@/org/freedesktop/systemd1/notify/123", b"\0/org/freedesktop/systemd1/notify/123"),
        ("relative/path", None),
        ("@", None),
        ("", None),
    ],
)
def test_socket_address(value: str, expected: str | bytes | None) -> None:
    assert socket_address(value) == expected


def test_watchdog_is_petted_at_half_its_timeout() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "120000000"}) == 60.0
    assert watchdog_interval({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": str(os.getpid())}) == 0.5


def test_watchdog_meant_for_another_process_or_malformed_is_ignored() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}, pid=4242) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None
    assert watchdog_interval({}) is None
