"""Configuration files for tests: a whole config TOML from a few arguments, written to a path.

``write_config(path, storage=..., accounts=[local_account(...)])`` writes the usual user
(``PROFILE``) with one local account; sections are dicts (or, where a test hands in a TOML
fragment of its own, text). ``append_account`` adds one more ``[[accounts]]`` table to a
written file. Configurations that are wrong on purpose, where the exact text is the point,
are written by hand in their tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PROFILE: Mapping[str, Any] = {
    "name": "Ada Lovelace",
    "timezone": "Europe/London",
    "highlights": ["eight years of building data pipelines in Python"],
}
"""The job seeker most tests are about."""

Section = Mapping[str, Any] | str
"""A table's keys and values, or its body as TOML text."""


def local_account(
    name: str, address: str, calendar: Path | str, maildir: Path | str
) -> dict[str, Any]:
    """A ``provider = "local"`` account over an ICS folder and a Maildir."""
    return {
        "name": name,
        "provider": "local",
        "address": address,
        "calendar": str(calendar),
        "maildir": str(maildir),
    }


def google_account(
    name: str, client_secrets: Path | str, api_endpoint: str | None = None
) -> dict[str, Any]:
    """A ``provider = "google"`` account (``api_endpoint``: a fake Google's root)."""
    account: dict[str, Any] = {
        "name": name,
        "provider": "google",
        "client_secrets": str(client_secrets),
    }
    if api_endpoint is not None:
        account["api_endpoint"] = api_endpoint
    return account


def microsoft_account(
    name: str, client_id: str, authority: str | None = None, graph_endpoint: str | None = None
) -> dict[str, Any]:
    """A ``provider = "microsoft"`` account (``authority``, ``graph_endpoint``: a fake's)."""
    account: dict[str, Any] = {"name": name, "provider": "microsoft", "client_id": client_id}
    if authority is not None:
        account["authority"] = authority
    if graph_endpoint is not None:
        account["graph_endpoint"] = graph_endpoint
    return account


def config_text(
    *,
    profile: Section | None = PROFILE,
    rules: Section | None = None,
    storage: str | None = None,
    daemon: Section | None = None,
    accounts: Sequence[Mapping[str, Any]] = (),
    extra: str = "",
) -> str:
    """A configuration file's text: the sections given (``storage`` is its ``url``), one
    ``[[accounts]]`` table per account, then ``extra`` TOML as it is."""
    tables = [
        _table(f"[{name}]", body)
        for name, body in (
            ("profile", profile),
            ("rules", rules),
            ("storage", {"url": storage} if storage is not None else None),
            ("daemon", daemon),
        )
        if body is not None
    ]
    tables += [account_text(account) for account in accounts]
    return "\n".join(tables) + extra


def write_config(path: Path, **sections: Any) -> Path:
    """Write ``config_text(**sections)`` to ``path``; returns the path."""
    path.write_text(config_text(**sections), encoding="utf-8")
    return path


def account_text(account: Mapping[str, Any]) -> str:
    """One ``[[accounts]]`` table."""
    return _table("[[accounts]]", account)


def append_account(path: Path, account: Mapping[str, Any]) -> None:
    """Add one more ``[[accounts]]`` table to the configuration at ``path``."""
    with path.open("a", encoding="utf-8") as config:
        config.write("\n" + account_text(account))


def _table(header: str, body: Section) -> str:
    if isinstance(body, str):
        return f"{header}\n{body}\n"
    lines = [header, *(f"{key} = {_value(value)}" for key, value in body.items())]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    """A TOML value: a string, a whole number, true/false, or a list of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        # A JSON string is a TOML basic string, once DEL is escaped too.
        return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, Sequence):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"no TOML value for {value!r}")
