"""The systemd user unit: its text, where it goes, installing and removing it.

``service install`` writes ``$XDG_CONFIG_HOME/systemd/user/interview-outreach.service``
(default ``~/.config/systemd/user``) running this installation's console script by its
absolute path, and prints the ``systemctl --user`` line to run; it never runs systemctl
itself. ``systemd/interview-outreach.service`` in the repository is :func:`render_unit` for
a pipx install (``~/.local/bin``), kept identical by a test.

Hardening: only what works in a ``--user`` unit without user namespaces. Options that need
a mount namespace (``ProtectSystem=``, ``ProtectHome=``, ``PrivateTmp=``,
``ReadWritePaths=``) make systemd turn on ``PrivateUsers=`` in a user unit, which fails
to start (226/NAMESPACE) where unprivileged user namespaces are restricted, as on Ubuntu
24.04; and the program must write wherever the user's Maildir and database are, which the
configuration decides. What remains is enforced with seccomp and ``prctl`` and keeps the
Secret Service over D-Bus working (``AF_UNIX``).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from interview_outreach.daemon.private_files import private_dir, write_private

UNIT_NAME = "interview-outreach.service"
SCRIPT_NAME = "interview-outreach"
WATCHDOG_SECONDS = 120
PIPX_EXEC_START = "%h/.local/bin/interview-outreach run"
"""The repository copy's command: pipx's default place for the console script."""

ENABLE_COMMAND = (
    "systemctl --user daemon-reload && systemctl --user enable --now interview-outreach"
)
STOP_COMMAND = "systemctl --user stop interview-outreach && systemctl --user daemon-reload"

_TEMPLATE = """\
# interview-outreach as a systemd *user* service.
# Installed by `interview-outreach service install`; start it with
#   systemctl --user daemon-reload && systemctl --user enable --now interview-outreach
# Logs: journalctl --user -u interview-outreach

[Unit]
Description=interview-outreach: interview outreach, follow-up and thank-you drafts (never sends mail)
# Stop retrying after 5 failed starts in 10 minutes (e.g. a broken configuration).
StartLimitIntervalSec=600
StartLimitBurst=5

[Service]
Type=notify
NotifyAccess=main
ExecStart={exec_start}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=30
# Exit 2 is a broken configuration: restarting cannot fix it (`interview-outreach doctor` says how).
RestartPreventExitStatus=2
# The daemon pets the watchdog every {half_watchdog} s; a pass stuck for 15 min stops it.
WatchdogSec={watchdog}
# SIGTERM lets the provider call in flight finish; the daemon exits within 10 s.
TimeoutStopSec=20

# Hardening that works in a user unit (no user namespace needed, see daemon/unit.py).
UMask=0077
NoNewPrivileges=yes
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RestrictNamespaces=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
# AF_UNIX: the keyring and notifications over D-Bus, systemd's notify socket;
# AF_INET/AF_INET6: Google and Microsoft; AF_NETLINK: the C library's address lookups.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK

[Install]
WantedBy=default.target
"""


@dataclass(frozen=True)
class InstallResult:
    """What ``service install`` did."""

    path: Path
    exec_start: str
    replaced: bool


def unit_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the user unit goes: ``$XDG_CONFIG_HOME/systemd/user/`` (``~/.config`` default)."""
    env = os.environ if env is None else env
    xdg = env.get("XDG_CONFIG_HOME", "")
    if xdg and Path(xdg).is_absolute():
        base = Path(xdg)
    else:
        home = env.get("HOME")
        base = (Path(home) if home else Path.home()) / ".config"
    return base / "systemd" / "user" / UNIT_NAME


def render_unit(exec_start: str) -> str:
    """The unit's text with ``exec_start`` (already escaped for systemd) as its command."""
    return _TEMPLATE.format(
        exec_start=exec_start, watchdog=WATCHDOG_SECONDS, half_watchdog=WATCHDOG_SECONDS // 2
    )


def exec_start(command: Sequence[str], config: Path | None) -> str:
    """``ExecStart=``'s value: ``command run`` (with ``--config`` when given), quoted."""
    words = [*command, *(["--config", str(config)] if config else []), "run"]
    return " ".join(quote(word) for word in words)


def quote(word: str) -> str:
    """One word of a systemd command line: ``%`` and ``$`` escaped, quoted when needed."""
    escaped = word.replace("%", "%%").replace("$", "$$")
    if escaped and not any(c.isspace() or c in "\"'\\;" for c in escaped):
        return escaped
    inner = escaped.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{inner}"'


def installed_command(argv0: str | None = None, executable: str | None = None) -> list[str]:
    """How systemd should start this installation, by absolute path.

    The console script as it was called (kept as a symlink: pipx's ``~/.local/bin`` entry
    survives upgrades), else the one next to this Python, else ``python -m daemon``.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    called = Path(argv0)
    if called.name == SCRIPT_NAME:
        found = str(called) if called.parent != Path() else shutil.which(SCRIPT_NAME)
        if found and Path(found).is_file():
            return [str(Path(found).absolute())]
    beside = Path(executable).parent / SCRIPT_NAME
    if beside.is_file():
        return [str(beside.absolute())]
    return [str(Path(executable).absolute()), "-m", "interview_outreach.daemon"]


def install(config: Path | None, env: Mapping[str, str] | None = None) -> InstallResult:
    """Write the user unit (atomically, mode 0600; replacing an earlier one) for this installation.

    Folders missing on the way are created with mode 0700.
    """
    path = unit_path(env)
    command = exec_start(installed_command(), config.absolute() if config else None)
    text = render_unit(command)
    replaced = path.exists()
    # Private like every file the product writes (0600): the user manager reads it as the user.
    private_dir(path.parent)
    write_private(path, text)
    return InstallResult(path=path, exec_start=command, replaced=replaced)


def uninstall(env: Mapping[str, str] | None = None) -> Path | None:
    """Remove the user unit and its ``enable`` link; the path removed, or ``None``.

    The ``default.target.wants`` link is what ``systemctl --user enable`` made; removing it
    with the unit keeps a stale link from failing at the next login.
    """
    path = unit_path(env)
    link = path.parent / "default.target.wants" / UNIT_NAME
    if link.is_symlink():
        link.unlink()
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    return path


def unit_command(text: str) -> str | None:
    """The ``ExecStart=`` value of a unit's text, for ``doctor``."""
    for line in text.splitlines():
        if line.startswith("ExecStart="):
            return line.removeprefix("ExecStart=").strip()
    return None
