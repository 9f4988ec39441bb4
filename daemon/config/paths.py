"""Where things are: the configuration file, the default database and token file, and the
system's time zone."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

APP_NAME = "interview-outreach"
CONFIG_ENV = "INTERVIEW_OUTREACH_CONFIG"
TOKEN_FILE_NAME = "tokens.json"  # noqa: S105 - a file name, not a secret


def default_config_path(env: Mapping[str, str]) -> Path:
    """``$INTERVIEW_OUTREACH_CONFIG``, else ``$XDG_CONFIG_HOME/interview-outreach/config.toml``."""
    explicit = env.get(CONFIG_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    return _config_home(env) / APP_NAME / "config.toml"


def default_database_url() -> str:
    """An SQLite file in the user data folder (``~/.local/share/interview-outreach`` on Linux)."""
    return f"sqlite:///{platformdirs.user_data_dir(APP_NAME)}/{APP_NAME}.db"


def default_token_file() -> Path:
    """The opted-in token file: ``tokens.json`` in the user data folder."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / TOKEN_FILE_NAME


def system_timezone(env: Mapping[str, str], localtime: Path = Path("/etc/localtime")) -> ZoneInfo:
    """The system's time zone: ``$TZ``, else where ``/etc/localtime`` points, else UTC."""
    for key in (_zone_key_from_tz(env.get("TZ", "")), _zone_key_from_link(localtime)):
        found = zone(key)
        if found is not None:
            return found
    return ZoneInfo("UTC")


def system_timezone_origin(
    env: Mapping[str, str], localtime: Path = Path("/etc/localtime")
) -> str | None:
    """Where :func:`system_timezone` found the zone (``$TZ`` or the link), ``None`` if nowhere."""
    if zone(_zone_key_from_tz(env.get("TZ", ""))) is not None:
        return "$TZ"
    if zone(_zone_key_from_link(localtime)) is not None:
        return str(localtime)
    return None


def zone(key: str) -> ZoneInfo | None:
    """The time zone named ``key`` (e.g. "Europe/London"); ``None`` when there is no such zone."""
    if not key:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _config_home(env: Mapping[str, str]) -> Path:
    xdg = env.get("XDG_CONFIG_HOME", "")
    # The XDG spec says relative values are invalid and must be ignored.
    if xdg and Path(xdg).is_absolute():
        return Path(xdg)
    home = env.get("HOME")
    return (Path(home) if home else Path.home()) / ".config"


def _zone_key_from_tz(value: str) -> str:
    value = value.strip().removeprefix(":")
    return _zone_key_from_path(value) if value.startswith("/") else value


def _zone_key_from_link(localtime: Path) -> str:
    try:
        return _zone_key_from_path(str(localtime.readlink()))
    except OSError:
        return ""


def _zone_key_from_path(path: str) -> str:
    marker = "zoneinfo/"
    index = path.rfind(marker)
    return path[index + len(marker) :] if index >= 0 else ""
