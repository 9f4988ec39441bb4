"""`doctor` and `accounts`: one line per check, the fix on each failure, exit 1 on any."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from interview_outreach.daemon import doctor, unit
from interview_outreach.daemon.cli import main
from interview_outreach.daemon.config import load_config
from interview_outreach.daemon.secrets import TokenStore
from interview_outreach.daemon.store.records import AccountState
from interview_outreach.daemon.store.repository import Store
from tests import configs
from tests.fakes.keyring_memory import MemoryKeyring


class Setup:
    """A configuration with a local account (and optionally others), a unit folder, a PATH."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calendar = root / "calendar"
        self.maildir = root / "Mail"
        self.calendar.mkdir()
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True)
        self.config = root / "config.toml"
        self.bin = root / "bin"
        self.bin.mkdir()
        self.env = {
            "HOME": str(root),
            "XDG_CONFIG_HOME": str(root / "xdg"),
            "PATH": str(self.bin),
            "TZ": "Europe/Berlin",
        }
        self.write()

    def write(
        self, extra: str = "", timezone: str | None = "Europe/London", head: str = ""
    ) -> None:
        zone = {"timezone": timezone} if timezone else {}
        configs.write_config(
            self.config,
            profile={"name": "Ada Lovelace", **zone},
            storage=f"sqlite:///{self.root / 'state.db'}",
            accounts=[
                configs.local_account("home", "ada@example.org", self.calendar, self.maildir)
            ],
            extra=head + extra,
        )

    def install_unit(self) -> Path:
        return unit.install(self.config, self.env).path

    def fake_systemctl(self) -> None:
        script = self.bin / "systemctl"
        script.write_text("#!/bin/sh\nexit 0\n")
        script.chmod(0o755)


GOOGLE = """
[[accounts]]
name = "personal"
provider = "google"
client_secrets = "{secrets}"
"""

MICROSOFT = """
[[accounts]]
name = "work"
provider = "microsoft"
client_id = "00000000-0000-0000-0000-000000000000"
"""


def systemctl_says(enabled: str, active: str = "active") -> doctor.Runner:
    def run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        answer = enabled if "is-enabled" in args else active
        return subprocess.CompletedProcess(
            list(args), 0 if answer == "enabled" else 1, answer + "\n", ""
        )

    return run


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def by_what(checks: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {check.what: check for check in checks}


def test_everything_in_place_is_all_ok(setup: Setup, memory_keyring: MemoryKeyring) -> None:
    setup.install_unit()
    setup.fake_systemctl()
    checks = doctor.run_doctor(setup.config, setup.env, systemctl_says("enabled"))
    text = doctor.format_checks(checks)
    assert not any(c.failed for c in checks), text
    lines = text.splitlines()
    assert all(line.startswith("ok  ") for line in lines[:-1]), text
    assert lines[-1] == "everything is in place"
    found = by_what(checks)
    assert "no authorization needed" in found["account home (local)"].detail
    assert "schema up to date (revision 0004)" in found["database"].detail
    assert found["time zone"].detail == "Europe/London (set in [profile] timezone)"
    assert "enabled, active" in found["systemd unit"].detail
    assert "MemoryKeyring" in found["tokens"].detail


def test_a_broken_config_is_one_fail_line_per_problem(
    setup: Setup, memory_keyring: MemoryKeyring
) -> None:
    setup.config.write_text('[profile]\nname = "Ada"\ntimezone = "Mars/Olympus"\n')
    checks = doctor.run_doctor(setup.config, setup.env)
    failed = [c for c in checks if c.failed]
    assert any("timezone" in c.detail for c in failed)
    assert any("accounts" in c.detail for c in failed)
    assert all(c.fix for c in failed)
    assert any(c.status == "--" for c in checks)  # the rest is said to be unchecked


def test_unauthorized_and_authorized_accounts_without_a_network_call(
    setup: Setup, memory_keyring: MemoryKeyring
) -> None:
    secrets = setup.root / "google-client.json"
    secrets.write_text(
        json.dumps(
            {"installed": {"client_id": "x", "client_secret": "y", "token_uri": "https://t"}}
        )
    )
    setup.write(GOOGLE.format(secrets=secrets) + MICROSOFT)
    checks = by_what(doctor.run_doctor(setup.config, setup.env))
    google, microsoft = checks["account personal (google)"], checks["account work (microsoft)"]
    assert google.failed and "interview-outreach auth personal" in google.fix
    assert microsoft.failed and "interview-outreach auth work" in microsoft.fix

    memory_keyring.set_password(
        "interview-outreach", "personal",
        json.dumps({"token": "t", "refresh_token": "1//secret-refresh", "address": "ada@gmail.com"}),
    )  # fmt: skip
    cache = {"RefreshToken": {"k": {"secret": "s"}}, "AccessToken": {}}
    memory_keyring.set_password(
        "interview-outreach",
        "work",
        json.dumps({"cache": json.dumps(cache), "address": "ada@work.com"}),
    )
    checks = by_what(doctor.run_doctor(setup.config, setup.env))
    assert checks["account personal (google)"].status == "ok"
    assert "ada@gmail.com" in checks["account personal (google)"].detail
    assert checks["account work (microsoft)"].status == "ok"
    assert "ada@work.com" in checks["account work (microsoft)"].detail
    assert "secret-refresh" not in doctor.format_checks(list(checks.values()))  # never a token


def test_a_revoked_grant_recorded_by_a_pass_fails_with_the_auth_fix(
    setup: Setup, memory_keyring: MemoryKeyring
) -> None:
    setup.write(MICROSOFT)
    cache = {"RefreshToken": {"k": {"secret": "s"}}}
    memory_keyring.set_password(
        "interview-outreach", "work", json.dumps({"cache": json.dumps(cache)})
    )
    config = load_config(setup.config, setup.env)
    with Store(config.storage.url) as store:
        store.save_account_state(
            AccountState("work", "microsoft", "ada@work.com", needs_auth=True, last_error="revoked")
        )
    check = by_what(doctor.run_doctor(setup.config, setup.env))["account work (microsoft)"]
    assert check.failed
    assert "revoked" in check.detail
    assert "interview-outreach auth work" in check.fix


def test_no_keyring_fails_only_when_an_account_needs_tokens_and_names_the_options(
    setup: Setup,
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        local_only = by_what(doctor.run_doctor(setup.config, setup.env))["tokens"]
        assert not local_only.failed
        setup.write(MICROSOFT)
        check = by_what(doctor.run_doctor(setup.config, setup.env))["tokens"]
    finally:
        keyring.set_keyring(previous)
    assert check.failed
    assert "gnome-keyring" in check.fix
    assert '[secrets] store = "file"' in check.fix


def test_the_opted_in_token_file_must_be_private(
    setup: Setup, memory_keyring: MemoryKeyring
) -> None:
    token_file = setup.root / "secret" / "tokens.json"
    setup.write(head=f'[secrets]\nstore = "file"\nfile = "{token_file}"\n')
    config = load_config(setup.config, setup.env)
    TokenStore.for_config(config).set("home", "x")
    assert token_file.stat().st_mode & 0o777 == 0o600
    check = by_what(doctor.run_doctor(setup.config, setup.env))["tokens"]
    assert check.status == "ok" and "unencrypted" in check.detail
    token_file.chmod(0o644)
    check = by_what(doctor.run_doctor(setup.config, setup.env))["tokens"]
    assert check.failed and check.fix == f"chmod 600 {token_file}"


def test_time_zone_says_where_it_comes_from(setup: Setup, memory_keyring: MemoryKeyring) -> None:
    setup.write(timezone=None)
    check = by_what(doctor.run_doctor(setup.config, setup.env))["time zone"]
    assert check.detail.startswith("Europe/Berlin (the system's, from $TZ")
    env = {**setup.env, "TZ": ""}
    check = doctor.check_timezone(load_config(setup.config, env), env)
    if check.failed:  # a machine without /etc/localtime
        assert "[profile]" in check.fix
    else:
        assert "the system's" in check.detail


def test_unit_not_installed_not_enabled_or_uncheckable(setup: Setup) -> None:
    check = doctor.check_unit(setup.env)
    assert not check.failed and check.status == "note"  # a service is optional
    assert "only needed to run passes as a service" in check.detail
    assert "interview-outreach service install" in check.fix
    assert check.line().startswith("note  systemd unit: not installed (")
    assert " -> to set it up: run `interview-outreach service install`" in check.line()
    setup.install_unit()
    assert "could not be checked (no systemctl)" in doctor.check_unit(setup.env).detail
    setup.fake_systemctl()
    disabled = doctor.check_unit(setup.env, systemctl_says("disabled"))
    assert disabled.failed and "enable --now" in disabled.fix

    def no_bus(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(
            list(args), 1, "", "Failed to connect to bus: No medium found\n"
        )

    unknown = doctor.check_unit(setup.env, no_bus)
    assert not unknown.failed and "could not be checked" in unknown.detail


def test_a_unit_pointing_at_a_removed_program_fails(setup: Setup) -> None:
    path = setup.install_unit()
    path.write_text(unit.render_unit("/nowhere/interview-outreach run"))
    check = doctor.check_unit(setup.env)
    assert check.failed and "/nowhere/interview-outreach" in check.detail


def test_doctor_command_exits_1_on_a_failure_and_0_when_all_is_well(
    setup: Setup,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in setup.env.items():
        monkeypatch.setenv(key, value)
    assert main(["doctor", "--config", str(setup.config)]) == 0  # no unit: only a note
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if not line.startswith("ok  ")] == [
        f"note  systemd unit: not installed ({unit.unit_path(setup.env)} does not exist); it is "
        "only needed to run passes as a service, in the background -> to set it up: run "
        f"`interview-outreach service install`, then `{unit.ENABLE_COMMAND}`",
        "nothing to fix (see the note above)",
    ]
    path = setup.install_unit()
    assert main(["--config", str(setup.config), "doctor"]) == 0  # no systemctl on PATH
    assert "could not be checked" in capsys.readouterr().out
    path.write_text(unit.render_unit("/nowhere/interview-outreach run"))
    assert main(["--config", str(setup.config), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  systemd unit" in out and "-> fix:" in out and "1 problem to fix" in out


def test_accounts_lists_provider_address_authorization_last_pass_and_error(
    setup: Setup, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = setup.root / "google-client.json"
    setup.write(GOOGLE.format(secrets=secrets) + MICROSOFT)
    memory_keyring.set_password(
        "interview-outreach", "personal", json.dumps({"refresh_token": "1//secret-refresh"})
    )
    config = load_config(setup.config, setup.env)
    at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    with Store(config.storage.url) as store:
        store.save_account_state(
            AccountState("home", "local", "ada@example.org", last_pass_at=at, last_success_at=at)
        )
        store.save_account_state(
            AccountState(
                "personal", "google", "ada@gmail.com", last_pass_at=at, last_error="HTTP 503"
            )
        )
    assert main(["--config", str(setup.config), "accounts"]) == 0
    out = capsys.readouterr().out
    home, personal, work = out.split("\n\n")
    assert home.splitlines()[0] == "home (local) ada@example.org"
    assert "authorization: no authorization needed" in home
    assert "last successful pass: 2026-12-07 09:00 GMT" in home
    assert "last error: none" in home
    assert personal.splitlines()[0] == "personal (google) ada@gmail.com"
    assert "authorized (keyring entry present)" in personal
    assert "last successful pass: never" in personal
    assert "last error: HTTP 503" in personal
    assert "not authorized yet: run `interview-outreach auth work`" in work
    assert "1//secret-refresh" not in out


def test_auth_says_up_front_when_no_keyring_can_keep_the_tokens(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    setup.write(MICROSOFT)
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        code = main(["--config", str(setup.config), "auth", "work"])
    finally:
        keyring.set_keyring(previous)
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1, err  # one line, before any sign-in was started
    assert "gnome-keyring" in err and '[secrets] store = "file"' in err
