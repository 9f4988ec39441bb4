"""Reading and checking ``config.toml`` (SPEC section 5): every problem reported at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from interview_outreach.daemon.config.accounts import parse_accounts
from interview_outreach.daemon.config.model import Config
from interview_outreach.daemon.config.paths import default_config_path
from interview_outreach.daemon.config.reader import Table, read_toml
from interview_outreach.daemon.config.sections import (
    parse_daemon,
    parse_profile,
    parse_rules,
    parse_secrets,
    parse_storage,
)
from interview_outreach.daemon.errors import ConfigError

_SECTIONS = ("profile", "rules", "storage", "daemon", "secrets", "accounts")


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read and check the configuration file; ``ConfigError`` lists every problem found."""
    env = os.environ if env is None else env
    source = (path or default_config_path(env)).expanduser().absolute()
    config = parse_config(read_toml(source), base_dir=source.parent, env=env)
    return replace(config, source=source)


def parse_config(data: Mapping[str, object], *, base_dir: Path, env: Mapping[str, str]) -> Config:
    """Check parsed TOML; relative paths are taken from ``base_dir`` (the config's folder)."""
    problems: list[str] = []
    root = Table(data, "", problems)
    root.check_keys(_SECTIONS)
    profile = parse_profile(root.table("profile"), env)
    rules = parse_rules(root.table("rules"))
    storage = parse_storage(root.table("storage"), base_dir)
    daemon = parse_daemon(root.table("daemon"))
    secrets = parse_secrets(root.table("secrets"), base_dir)
    accounts = parse_accounts(root, base_dir)
    if problems:
        raise ConfigError(problems)
    return Config(
        profile=profile,
        rules=rules,
        storage=storage,
        daemon=daemon,
        accounts=accounts,
        source=None,
        templates_dir=base_dir / "templates",
        secrets=secrets,
    )
