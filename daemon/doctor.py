"""``doctor`` and ``accounts``: is everything in place, and how is each account doing.

``doctor`` checks the configuration, where tokens are kept, each account's authorization
(without a network call), the database, the time zone and the systemd unit. Each check is
one line, ``ok`` or ``FAIL``; a failing line ends with how to fix it. A ``note`` is no
failure: something optional (the systemd unit) is not set up, and how to set it up.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from interview_outreach.daemon.config import (
    AccountConfig,
    Config,
    default_config_path,
    load_config,
    system_timezone_origin,
)
from interview_outreach.daemon.errors import ConfigError, OutreachError, StorageError, UserError
from interview_outreach.daemon.leasing import describe_holder
from interview_outreach.daemon.secrets import FileSecrets, TokenStore, keyring_problem
from interview_outreach.daemon.store.db import schema_revision
from interview_outreach.daemon.store.records import AccountState
from interview_outreach.daemon.store.repository import Store
from interview_outreach.daemon.unit import ENABLE_COMMAND, UNIT_NAME, unit_command, unit_path
from interview_outreach.providers.registry import provider_named

OK, FAIL, NOTE, SKIP = "ok", "FAIL", "note", "--"
SYSTEMCTL_TIMEOUT = 10


@dataclass(frozen=True)
class Check:
    """The outcome of one check: ``ok``, ``FAIL`` (with a fix), ``note`` (with how to set up
    something optional) or ``--`` (not checked)."""

    status: str
    what: str
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        """Whether this check failed."""
        return self.status == FAIL

    def line(self) -> str:
        """The check as ``doctor`` prints it."""
        label = "to set it up" if self.status == NOTE else "fix"
        fix = f" -> {label}: {self.fix}" if self.fix else ""
        return f"{self.status:<4}  {self.what}: {self.detail}{fix}"


def ok(what: str, detail: str) -> Check:
    """A passed check."""
    return Check(OK, what, detail)


def fail(what: str, detail: str, fix: str) -> Check:
    """A failed check and how to fix it."""
    return Check(FAIL, what, detail, fix)


def note(what: str, detail: str, how: str) -> Check:
    """Something optional that is not set up (not a failure), and how to set it up."""
    return Check(NOTE, what, detail, how)


# ---------------------------------------------------------------------------------------------
# doctor
# ---------------------------------------------------------------------------------------------

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_doctor(
    config_path: Path | None,
    env: Mapping[str, str] | None = None,
    run: Runner | None = None,
) -> list[Check]:
    """Every check, in the order printed. ``run`` runs ``systemctl`` (tests replace it)."""
    env = os.environ if env is None else env
    checks: list[Check] = []
    try:
        config = load_config(config_path, env)
    except ConfigError as error:
        where = (config_path or default_config_path(env)).expanduser()
        checks.extend(
            fail(
                "config",
                problem,
                "edit the file as the line says (config.example.toml is the reference)",
            )
            for problem in error.problems
        )
        checks.append(
            Check(SKIP, "tokens, accounts, database, time zone", f"not checked until {where} loads")
        )
        checks.append(check_unit(env, run))
        return checks
    checks.append(ok("config", f"{config.source} ({_accounts_phrase(config)})"))
    tokens = TokenStore.for_config(config)
    checks.append(check_token_store(config, tokens))
    states = _account_states(config)
    database = check_database(config)
    checks.extend(
        check_account(account, tokens, states.get(account.name)) for account in config.accounts
    )
    checks.append(database)
    checks.append(check_timezone(config, env))
    checks.append(check_unit(env, run))
    return checks


def _accounts_phrase(config: Config) -> str:
    kinds = ", ".join(f"{a.name} ({a.provider})" for a in config.accounts)
    return f"{len(config.accounts)} account{'s' if len(config.accounts) != 1 else ''}: {kinds}"


def check_token_store(config: Config, tokens: TokenStore) -> Check:
    """Where tokens are kept, and whether that works."""
    needs_tokens = any(_needs_authorization(a) for a in config.accounts)
    if tokens.file is not None:
        secrets = FileSecrets(tokens.file)
        unsafe = secrets.permission_problem()
        if unsafe:
            return fail("tokens", unsafe, f"chmod 600 {tokens.file}")
        folder = tokens.file.parent
        if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
            return fail("tokens", f"folder {folder} is not writable", f"chmod u+rwx {folder}")
        return ok(
            "tokens",
            f"unencrypted file {tokens.file}, readable by you only "
            '(you opted in with [secrets] store = "file")',
        )
    problem = keyring_problem()
    if problem is None:
        return ok("tokens", f"kept in the OS keyring ({tokens.describe()})")
    if not needs_tokens:
        return ok("tokens", f"{problem[0]}, but local accounts need no tokens")
    return fail("tokens", *problem)


def check_account(account: AccountConfig, tokens: TokenStore, state: AccountState | None) -> Check:
    """Whether ``account`` can be used: files for local ones, a saved grant for the others."""
    what = f"account {account.name} ({account.provider})"
    if not _needs_authorization(account):
        return ok(what, f"{account.configured_address}: no authorization needed")
    auth = f"run `interview-outreach auth {account.name}`"
    if state is not None and state.needs_auth:
        return fail(
            what,
            f"the authorization was revoked or has expired ({state.last_error or 'refused'})",
            auth,
        )
    try:
        raw = tokens.get(account.name)
    except UserError as error:
        return fail(what, "; ".join(error.problems), "see the tokens line above")
    status = provider_named(account.provider).token_status(account, raw)
    if not status.authorized:
        return fail(what, "not authorized yet (no token saved)", auth)
    if status.problem is not None:
        return fail(what, status.problem, status.fix)
    return ok(
        what,
        f"authorized as {status.address or 'an unknown address'} (checked without a network call)",
    )


def _needs_authorization(account: AccountConfig) -> bool:
    return provider_named(account.provider).no_authorization is None


def _account_states(config: Config) -> dict[str, AccountState]:
    try:
        with Store(config.storage.url) as store:
            return {a.name: s for a in config.accounts if (s := store.account_state(a.name))}
    except OutreachError:
        return {}  # the database line says what is wrong


def check_database(config: Config) -> Check:
    """Open (create, migrate) the database and say at which schema revision it is."""
    try:
        shown, heads = schema_revision(config.storage.url)
    except StorageError as error:
        return fail("database", str(error), "fix [storage] url, or the folder's permissions")
    revision = ", ".join(heads) or "none"
    return ok("database", f"{shown} opens; schema up to date (revision {revision})")


def check_timezone(config: Config, env: Mapping[str, str]) -> Check:
    """The profile's time zone, and where it came from."""
    zone = config.profile.timezone.key
    if _configured_timezone(config.source):
        return ok("time zone", f"{zone} (set in [profile] timezone)")
    origin = system_timezone_origin(env)
    if origin is None:
        return fail(
            "time zone",
            "none set, and the system's could not be found: interview times would be read as UTC",
            'add timezone = "Europe/London" (your zone) under [profile]',
        )
    return ok(
        "time zone", f"{zone} (the system's, from {origin}; set [profile] timezone to choose)"
    )


def _configured_timezone(source: Path | None) -> bool:
    if source is None:
        return False
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    profile = data.get("profile")
    return isinstance(profile, dict) and "timezone" in profile


def _run_systemctl(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - a fixed command, no shell
        list(args), capture_output=True, text=True, timeout=SYSTEMCTL_TIMEOUT, check=False
    )


def check_unit(env: Mapping[str, str], run: Runner | None = None) -> Check:
    """The user unit: installed, pointing at an existing program, enabled."""
    path = unit_path(env)
    install = f"run `interview-outreach service install`, then `{ENABLE_COMMAND}`"
    if not path.is_file():
        return note(
            "systemd unit",
            f"not installed ({path} does not exist); it is only needed to run passes as a "
            "service, in the background",
            install,
        )
    command = unit_command(path.read_text(encoding="utf-8")) or ""
    words = _split(command)
    program = Path(words[0]) if words else None
    if program is None or not program.is_file():
        return fail(
            "systemd unit",
            f"{path} starts {words[0] if words else 'nothing'}, which does not exist",
            install,
        )
    systemctl = shutil.which("systemctl", path=env.get("PATH"))
    if systemctl is None:
        return ok(
            "systemd unit",
            f"installed at {path}; whether it is enabled could not be checked (no systemctl)",
        )
    runner = run or _run_systemctl
    try:
        enabled = runner([systemctl, "--user", "is-enabled", UNIT_NAME])
    except (OSError, subprocess.TimeoutExpired) as error:
        return ok(
            "systemd unit",
            f"installed at {path}; whether it is enabled could not be checked ({error})",
        )
    state = enabled.stdout.strip()
    if state == "enabled":
        active = runner([systemctl, "--user", "is-active", UNIT_NAME]).stdout.strip() or "unknown"
        return ok("systemd unit", f"installed at {path}, enabled, {active}")
    if state in ("disabled", "linked", "masked", "static", "indirect", "not-found"):
        return fail("systemd unit", f"installed at {path} but {state}", f"run `{ENABLE_COMMAND}`")
    reason = (enabled.stderr.strip().splitlines() or ["no answer"])[0]
    return ok(
        "systemd unit",
        f"installed at {path}; whether it is enabled could not be checked (systemctl --user: {reason})",
    )


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def format_checks(checks: Sequence[Check]) -> str:
    """The lines ``doctor`` prints, and a closing summary."""
    lines = [check.line() for check in checks]
    failures = sum(check.failed for check in checks)
    if failures:
        lines.append(f"{failures} problem{'s' if failures != 1 else ''} to fix")
    elif any(check.status == NOTE for check in checks):
        lines.append("nothing to fix (see the note above)")
    else:
        lines.append("everything is in place")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------------------------


def describe_accounts(
    config: Config, store: Store, tokens: TokenStore, now: datetime | None = None
) -> str:
    """Each account: provider, address, authorization, last successful pass, last error,
    and which process works on it right now (its lease), if one does."""
    tz = config.profile.timezone
    now = now or datetime.now(UTC)
    blocks = []
    for account in config.accounts:
        state = store.account_state(account.name)
        address = _address(account, state, tokens)
        when = (
            state.last_success_at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
            if state and state.last_success_at
            else "never"
        )
        error = state.last_error if state and state.last_error else "none"
        held = store.lease_holder(account.name, now)
        working = f"\n  in use by: {describe_holder(held, tz)}" if held else ""
        blocks.append(
            f"{account.name} ({account.provider}) {address or '(address not known yet)'}\n"
            f"  authorization: {_authorization(account, state, tokens)}\n"
            f"  last successful pass: {when}\n"
            f"  last error: {error}{working}"
        )
    return "\n\n".join(blocks)


def _address(account: AccountConfig, state: AccountState | None, tokens: TokenStore) -> str:
    if account.configured_address is not None:
        return account.configured_address
    if state and state.address:
        return state.address
    try:
        saved = tokens.get(account.name)
    except UserError:
        return ""
    return provider_named(account.provider).token_status(account, saved).address or ""


def _authorization(account: AccountConfig, state: AccountState | None, tokens: TokenStore) -> str:
    if not _needs_authorization(account):
        return "no authorization needed"
    run = f"run `interview-outreach auth {account.name}`"
    if state is not None and state.needs_auth:
        return f"needs authorization again: {run}"
    try:
        present = bool(tokens.get(account.name))
    except UserError as error:
        return f"unknown ({error.problems[0]})"
    where = "token file" if tokens.file else "keyring"
    return f"authorized ({where} entry present)" if present else f"not authorized yet: {run}"
