"""Reading and checking ``config.toml`` (SPEC section 5).

``load_config`` reads the file and ``parse_config`` checks already-parsed TOML. Both report
every problem at once in one ``ConfigError``: one line per problem, naming the key and the fix.
Values that may hold a secret (database URLs, endpoints) are never repeated in a message.

The parts: :mod:`~daemon.config.model` (what a checked configuration is),
:mod:`~daemon.config.reader` (the generic validating TOML reader),
:mod:`~daemon.config.paths` (where things are), :mod:`~daemon.config.sections` and
:mod:`~daemon.config.accounts` (the section parsers; each provider reads its own account
keys, see :mod:`providers.registry`) and :mod:`~daemon.config.loading` (the whole file).
"""

from interview_outreach.daemon.config.loading import load_config, parse_config
from interview_outreach.daemon.config.model import (
    AccountConfig,
    Config,
    DaemonSettings,
    Profile,
    SecretsSettings,
    StorageSettings,
)
from interview_outreach.daemon.config.paths import (
    APP_NAME,
    CONFIG_ENV,
    default_config_path,
    default_database_url,
    default_token_file,
    system_timezone,
    system_timezone_origin,
)

__all__ = [
    "APP_NAME",
    "CONFIG_ENV",
    "AccountConfig",
    "Config",
    "DaemonSettings",
    "Profile",
    "SecretsSettings",
    "StorageSettings",
    "default_config_path",
    "default_database_url",
    "default_token_file",
    "load_config",
    "parse_config",
    "system_timezone",
    "system_timezone_origin",
]
