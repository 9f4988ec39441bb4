"""Configuration loading and checking (SPEC sections 2, 4 and 5)."""

from __future__ import annotations

import copy
import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon import config as cfg
from interview_outreach.daemon.config import (
    Config,
    default_config_path,
    load_config,
    parse_config,
    system_timezone,
)
from interview_outreach.daemon.domain.rules import Rules
from interview_outreach.daemon.errors import ConfigError, UserError
from interview_outreach.providers.google.settings import GoogleAccount
from interview_outreach.providers.local.settings import LocalAccount
from interview_outreach.providers.microsoft.settings import MicrosoftAccount

ENV = {"TZ": "Europe/Berlin"}
EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`~` means tmp_path, so no test touches the real home folder."""
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "cal").mkdir()
    (tmp_path / "mail").mkdir()


def minimal() -> dict[str, Any]:
    return {
        "profile": {"name": "Ada Lovelace"},
        "accounts": [
            {
                "name": "local",
                "provider": "local",
                "address": "Ada@Example.org",
                "calendar": "cal",
                "maildir": "mail",
            }
        ],
    }


def with_key(data: dict[str, Any], dotted: str, value: object) -> dict[str, Any]:
    """A copy of ``data`` with ``dotted`` (e.g. ``accounts[0].name``) set; ``...`` deletes it."""
    data = copy.deepcopy(data)
    *parents, last = dotted.split(".")
    node: Any = data
    for part in parents:
        match = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        node = node[match.group(1)][int(match.group(2))] if match else node.setdefault(part, {})
    if value is ...:
        node.pop(last, None)
    else:
        node[last] = value
    return data


def parse(data: dict[str, Any], base_dir: Path) -> Config:
    return parse_config(data, base_dir=base_dir, env=ENV)


def problems_of(data: dict[str, Any], base_dir: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(data, base_dir)
    assert str(caught.value) == "\n".join(caught.value.problems)
    assert all("\n" not in problem for problem in caught.value.problems)
    return caught.value.problems


# --- defaults and accepted values ---------------------------------------------------------------


def test_defaults_are_applied(tmp_path: Path) -> None:
    config = parse(minimal(), tmp_path)

    assert config.rules == Rules()
    assert config.daemon.poll_seconds == 300
    assert config.storage.url == cfg.default_database_url()
    assert config.storage.url.startswith("sqlite:///")
    assert config.storage.url.endswith("/interview-outreach.db")
    assert config.profile.timezone == ZoneInfo("Europe/Berlin")
    assert config.profile.highlights == ()
    assert config.profile.signature == "Ada Lovelace"
    assert config.source is None
    assert config.templates_dir == tmp_path / "templates"
    assert config.accounts == (
        LocalAccount(
            name="local",
            address="ada@example.org",
            calendar=tmp_path / "cal",
            maildir=tmp_path / "mail",
            drafts=tmp_path / "mail" / ".Drafts",
            sent=tmp_path / "mail" / ".Sent",
        ),
    )
    assert config.accounts[0].provider == "local"


@pytest.mark.parametrize(
    ("key", "value", "attribute", "expected"),
    [
        ("rules.draft_time", "8:30", "draft_time", time(8, 30)),
        ("rules.draft_time", time(7, 15), "draft_time", time(7, 15)),
        ("rules.working_hours", "08:00 - 16:30", "working_hours_start", time(8)),
        ("rules.working_hours", "08:00 - 16:30", "working_hours_end", time(16, 30)),
        ("rules.working_days", ["sat", "Sunday"], "working_days", frozenset({5, 6})),
        ("rules.no_contact_domains", ["@Example.COM"], "no_contact_domains", {"example.com"}),
        ("rules.outreach_earliest_days", 2, "outreach_earliest_days", 2),
        ("rules.outreach_latest_days", 0, "outreach_latest_days", 0),
        ("rules.thankyou_after_minutes", 0, "thankyou_after_minutes", 0),
        ("rules.followup_min_gap_hours", 3, "followup_min_gap_hours", 3),
    ],
)
def test_rule_values_are_read(
    tmp_path: Path, key: str, value: object, attribute: str, expected: object
) -> None:
    config = parse(with_key(minimal(), key, value), tmp_path)
    assert getattr(config.rules, attribute) == expected


def test_profile_values_are_read(tmp_path: Path) -> None:
    data = with_key(minimal(), "profile.timezone", "America/New_York")
    data = with_key(data, "profile.highlights", [" led a team of 5 "])
    data = with_key(data, "profile.signature", "Ada\n+44 20 7946 0000")

    profile = parse(data, tmp_path).profile

    assert profile.timezone == ZoneInfo("America/New_York")
    assert profile.highlights == ("led a team of 5",)
    assert profile.signature == "Ada\n+44 20 7946 0000"


def test_google_and_microsoft_accounts(tmp_path: Path) -> None:
    data = minimal()
    data["accounts"] += [
        {"name": "personal", "provider": "google", "client_secrets": "~/google.json"},
        {
            "name": "lab",
            "provider": "google",
            "client_secrets": "/etc/g.json",
            "calendars": ["primary", "team@group.calendar.google.com"],
            "api_endpoint": "http://127.0.0.1:8080/",
        },
        {"name": "work", "provider": "microsoft", "client_id": "abc-123"},
    ]

    _, personal, lab, work = parse(data, tmp_path).accounts

    assert personal == GoogleAccount(name="personal", client_secrets=tmp_path / "google.json")
    assert personal.calendars == ("primary",)
    assert personal.api_endpoint is None
    assert lab == GoogleAccount(
        name="lab",
        client_secrets=Path("/etc/g.json"),
        calendars=("primary", "team@group.calendar.google.com"),
        api_endpoint="http://127.0.0.1:8080",
    )
    assert work == MicrosoftAccount(name="work", client_id="abc-123")
    assert work.authority == "https://login.microsoftonline.com/common"
    assert work.graph_endpoint == "https://graph.microsoft.com/v1.0"
    assert (personal.provider, work.provider) == ("google", "microsoft")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///state/db.sqlite", "sqlite:///{base}/state/db.sqlite"),
        ("sqlite:///~/x.db", "sqlite:///{base}/x.db"),
        ("sqlite:////var/lib/x.db?timeout=5", "sqlite:////var/lib/x.db?timeout=5"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        (
            "postgresql+psycopg://me@localhost/outreach",
            "postgresql+psycopg://me@localhost/outreach",
        ),
        ("postgresql://me@db/outreach", "postgresql://me@db/outreach"),
    ],
)
def test_storage_urls(tmp_path: Path, url: str, expected: str) -> None:
    config = parse(with_key(minimal(), "storage.url", url), tmp_path)
    assert config.storage.url == expected.format(base=tmp_path)


def test_account_lookup(tmp_path: Path) -> None:
    config = parse(minimal(), tmp_path)

    assert config.account("local").name == "local"
    with pytest.raises(UserError, match=r'unknown account "nope"; use one of "local"'):
        config.account("nope")


# --- bad values: each reported with its key and the fix -----------------------------------------

BAD_VALUES = [
    ("profile.name", "  ", "profile.name: is empty; write e.g. name ="),
    (
        "profile.name",
        5,
        'profile.name: expected text in quotes, found the number 5; write e.g. name = "',
    ),
    (
        "profile.timezone",
        "Europe/Londn",
        'profile.timezone: "Europe/Londn" is not a time zone name; did you mean "Europe/London"?',
    ),
    (
        "profile.highlights",
        ["a", "b", "c"],
        "profile.highlights: 3 facts given; keep the 2 strongest",
    ),
    ("profile.highlights", ["a", ""], "profile.highlights[1]: expected non-empty text in quotes"),
    (
        "profile.highlights",
        "a",
        'profile.highlights: expected a list of texts in quotes, found the text "a"',
    ),
    ("profile.signature", "", "profile.signature: is empty"),
    (
        "rules.outreach_earliest_days",
        0,
        "rules.outreach_earliest_days: 0 is too small; use 1 or more",
    ),
    (
        "rules.outreach_latest_days",
        -1,
        "rules.outreach_latest_days: -1 is too small; use 0 or more",
    ),
    (
        "rules.outreach_latest_days",
        4,
        "rules.outreach_latest_days: 4 is more than outreach_earliest_days (3), so the window "
        "would close before it opens; use 3 or less",
    ),
    ("rules.draft_time", "9am", 'rules.draft_time: "9am" is not a time; use "HH:MM", e.g. "09:00"'),
    ("rules.draft_time", "24:00", 'rules.draft_time: "24:00" is not a time; use "HH:MM"'),
    ("rules.draft_time", 9, 'rules.draft_time: the number 9 is not a time; use "HH:MM"'),
    ("rules.followup_after_hours", 0, "rules.followup_after_hours: 0 is too small; use 1 or more"),
    (
        "rules.followup_after_hours",
        True,
        "rules.followup_after_hours: expected a whole number, found true (a yes/no value); "
        "write e.g. followup_after_hours = 24",
    ),
    (
        "rules.thankyou_after_minutes",
        -5,
        "rules.thankyou_after_minutes: -5 is too small; use 0 or more",
    ),
    (
        "rules.thankyou_after_minutes",
        1.5,
        "rules.thankyou_after_minutes: expected a whole number, found the number 1.5",
    ),
    (
        "rules.working_hours",
        "9-17",
        'rules.working_hours: "9-17" is not a time range; use "HH:MM-HH:MM", e.g. "09:00-18:00"',
    ),
    (
        "rules.working_hours",
        "18:00-09:00",
        'rules.working_hours: "18:00-09:00" does not start before it ends',
    ),
    ("rules.working_days", [], "rules.working_days: is empty; list at least one day"),
    (
        "rules.working_days",
        ["mon", "thur"],
        'rules.working_days[1]: "thur" is not a day; use "mon"',
    ),
    (
        "rules.working_days",
        ["mon", "Mon"],
        'rules.working_days[1]: "Mon" is listed twice; list each day once',
    ),
    (
        "rules.screening_max_minutes",
        0,
        "rules.screening_max_minutes: 0 is too small; use 1 or more",
    ),
    (
        "rules.already_in_touch_messages",
        0,
        "rules.already_in_touch_messages: 0 is too small; use 1 or more",
    ),
    (
        "rules.no_contact_domains",
        ["localhost"],
        'rules.no_contact_domains[0]: "localhost" is not a mail domain; '
        'write it like "example.com"',
    ),
    ("rules.no_contact_domains", "example.com", "rules.no_contact_domains: expected a list"),
    (
        "storage.url",
        "mysql://me@db/x",
        'storage.url: not a database address this program can use; use "sqlite:///',
    ),
    (
        "storage.url",
        "postgres://me@db/x",
        'storage.url: not a database address this program can use; write "postgresql+psycopg://"',
    ),
    ("daemon.poll_seconds", 10, "daemon.poll_seconds: 10 is too small; use 30 or more"),
    (
        "daemon.poll_seconds",
        "300",
        'daemon.poll_seconds: expected a whole number, found the text "300"; '
        "write e.g. poll_seconds = 300",
    ),
    (
        "daemon.poll_seconds",
        False,
        "daemon.poll_seconds: expected a whole number, found false (a yes/no value)",
    ),
    (
        "profile",
        "Ada",
        'profile: expected a table, found the text "Ada"; write it as a [profile] section',
    ),
    ("accounts", {"name": "x"}, "accounts: write each entry as its own [[accounts]] section"),
    ("accounts", [], "accounts: no account configured; add an [[accounts]] section"),
    (
        "accounts[0].provider",
        "gmail",
        'accounts[0].provider: "gmail" is not a provider; '
        'use one of "google", "microsoft", "local"',
    ),
    (
        "accounts[0].name",
        "my work",
        'accounts[0].name: "my work" cannot be typed easily on the command line; '
        'use only letters, digits, "-" and "_"',
    ),
    (
        "accounts[0].address",
        "ada",
        'accounts[0].address: "ada" is not an email address; write this mailbox\'s address',
    ),
    (
        "accounts[0].address",
        "a@b@example.org",
        'accounts[0].address: "a@b@example.org" is not an email address',
    ),
    (
        "accounts[0].address",
        "ada@localhost",
        'accounts[0].address: "ada@localhost" is not an email address',
    ),
    (
        "accounts[0].calendar",
        "nope",
        "accounts[0].calendar: {base}/nope does not exist; create the folder or fix the path",
    ),
    (
        "accounts[0].calendar",
        "notes.txt",
        "accounts[0].calendar: {base}/notes.txt is neither a folder nor an .ics file",
    ),
    (
        "accounts[0].maildir",
        "~/Mail",
        "accounts[0].maildir: {base}/Mail does not exist; create the folder or fix the path",
    ),
    (
        "accounts[0].maildir",
        "notes.txt",
        "accounts[0].maildir: {base}/notes.txt is a file, not a folder",
    ),
    (
        "accounts[0].drafts",
        "notes.txt",
        "accounts[0].drafts: {base}/notes.txt is a file, not a folder",
    ),
    (
        "accounts[0].calendars",
        ["primary"],
        'accounts[0].calendars: unknown key for a "local" account '
        '(calendars belongs to "google" accounts); remove it, or set provider = "google"',
    ),
    (
        "accounts[0].client_id",
        "x",
        'accounts[0].client_id: unknown key for a "local" account '
        '(client_id belongs to "microsoft" accounts)',
    ),
]


@pytest.mark.parametrize(("key", "value", "expected"), BAD_VALUES)
def test_bad_value_is_reported_with_key_and_fix(
    tmp_path: Path, key: str, value: object, expected: str
) -> None:
    (tmp_path / "notes.txt").write_text("not a calendar")

    problems = problems_of(with_key(minimal(), key, value), tmp_path)

    assert len(problems) == 1, problems
    assert problems[0].startswith(expected.format(base=tmp_path)), problems[0]


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        (
            {"name": "g", "provider": "google", "client_secrets": "s.json", "calendars": []},
            'accounts[1].calendars: is empty; list at least one calendar, e.g. ["primary"]',
        ),
        (
            {
                "name": "g",
                "provider": "google",
                "client_secrets": "s.json",
                "api_endpoint": "http://example.org",
            },
            "accounts[1].api_endpoint: not a web address starting with https://, or http:// "
            "for localhost only",
        ),
        (
            {"name": "g", "provider": "google"},
            "accounts[1].client_secrets: missing; "
            'add client_secrets = "~/.config/interview-outreach/google-client.json" '
            "to this [[accounts]]",
        ),
        (
            {
                "name": "w",
                "provider": "microsoft",
                "client_id": "x",
                "authority": "http://login.example.org",
            },
            "accounts[1].authority: not a web address starting with https://; "
            'write e.g. authority = "https://login.microsoftonline.com/common"',
        ),
        (
            {
                "name": "w",
                "provider": "microsoft",
                "client_id": "x",
                "graph_endpoint": "graph.microsoft.com",
            },
            "accounts[1].graph_endpoint: not a web address starting with https://",
        ),
        (
            {"name": "w", "provider": "microsoft"},
            "accounts[1].client_id: missing; "
            'add client_id = "00000000-0000-0000-0000-000000000000"',
        ),
        (
            {"name": "w", "provider": "microsoft", "client_id": "x", "address": "a@b.org"},
            'accounts[1].address: unknown key for a "microsoft" account '
            '(address belongs to "local" accounts)',
        ),
        (
            {"name": "local", "provider": "microsoft", "client_id": "x"},
            'accounts[1].name: "local" is already the name of accounts[0]; '
            "give each account its own name",
        ),
        (
            {"provider": "microsoft", "client_id": "x"},
            'accounts[1].name: missing; add name = "personal" to this [[accounts]]',
        ),
        (
            {"name": "x", "client_id": "x"},
            'accounts[1].provider: missing; add provider = one of "google", "microsoft", "local"',
        ),
    ],
)
def test_bad_account_is_reported(tmp_path: Path, account: dict[str, Any], expected: str) -> None:
    data = minimal()
    data["accounts"].append(account)

    problems = problems_of(data, tmp_path)

    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("profile.name", 'profile.name: missing; add name = "Ada Lovelace" under [profile]'),
        ("profile", 'profile.name: missing; add name = "Ada Lovelace" under [profile]'),
        ("accounts[0].address", 'accounts[0].address: missing; add address = "ada@example.org"'),
        (
            "accounts[0].calendar",
            'accounts[0].calendar: missing; add calendar = "~/.calendars/personal"',
        ),
        ("accounts[0].maildir", 'accounts[0].maildir: missing; add maildir = "~/Mail/personal"'),
        ("accounts", "accounts: no account configured"),
    ],
)
def test_missing_required_key(tmp_path: Path, key: str, expected: str) -> None:
    problems = problems_of(with_key(minimal(), key, ...), tmp_path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("rules.draft_tme", 'rules.draft_tme: unknown key; did you mean "draft_time"?'),
        ("acounts", 'acounts: unknown key; did you mean "accounts"?'),
        ("profile.timezon", 'profile.timezon: unknown key; did you mean "timezone"?'),
        ("daemon.poll_secs", 'daemon.poll_secs: unknown key; did you mean "poll_seconds"?'),
        ("accounts[0].mail_dir", 'accounts[0].mail_dir: unknown key; did you mean "maildir"?'),
        ("storage.zzz", 'storage.zzz: unknown key; remove it (the keys allowed here are "url")'),
    ],
)
def test_unknown_key_suggests_nearest(tmp_path: Path, key: str, expected: str) -> None:
    assert problems_of(with_key(minimal(), key, 1), tmp_path) == [expected]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = with_key(minimal(), "rules.draft_time", "9am")
    data = with_key(data, "daemon.poll_seconds", True)
    data = with_key(data, "accounts[0].provider", "gmail")
    data = with_key(data, "rules.working_days", ["mon", "funday"])
    data = with_key(data, "profile.name", ...)

    problems = problems_of(data, tmp_path)

    assert [problem.split(":")[0] for problem in problems] == [
        "profile.name",
        "rules.draft_time",
        "rules.working_days[1]",
        "daemon.poll_seconds",
        "accounts[0].provider",
    ]


def test_database_password_is_never_shown(tmp_path: Path) -> None:
    data = with_key(minimal(), "storage.url", "mysql://me:hunter2@db/outreach")
    assert "hunter2" not in "\n".join(problems_of(data, tmp_path))


# --- files and environment ----------------------------------------------------------------------

LOCAL_CONFIG = """
[profile]
name = "Ada"

[[accounts]]
name = "local"
provider = "local"
address = "ada@example.org"
calendar = "cal/work.ics"
maildir = "../mail"
sent = "Sent"
"""


def test_load_config_resolves_paths_against_the_config_folder(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    (folder / "cal").mkdir(parents=True)
    (folder / "cal" / "work.ics").write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    path = folder / "config.toml"
    path.write_text(LOCAL_CONFIG)

    config = load_config(path, env=ENV)

    account = config.accounts[0]
    assert isinstance(account, LocalAccount)
    assert account.calendar == folder / "cal" / "work.ics"
    assert account.maildir == tmp_path / "mail"
    assert account.drafts == tmp_path / "mail" / ".Drafts"
    assert account.sent == folder / "Sent"
    assert config.source == path
    assert config.templates_dir == folder / "templates"


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "config.toml"

    with pytest.raises(ConfigError) as caught:
        load_config(path, env=ENV)

    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}: no configuration file there")
    assert "config.example.toml" in problem
    assert "interview-outreach demo" in problem


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ('[profile]\nname = "Ada"\n[rules\n', "line 3, column 7"),
        ("[profile]\nname = \n", "line 2, column 8"),
        ('[profile]\nname = "Ada', "line 2, column 12"),
    ],
)
def test_toml_syntax_error_names_file_line_and_column(
    tmp_path: Path, text: str, position: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)

    with pytest.raises(ConfigError) as caught:
        load_config(path, env=ENV)

    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}, {position}: not valid TOML ("), problem


def test_toml_local_time_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    local = LOCAL_CONFIG.replace("../mail", "mail").replace("cal/work.ics", "cal")
    path.write_text(local + "\n[rules]\ndraft_time = 08:30:00\n")
    (tmp_path / "Sent").mkdir()
    assert load_config(path, env=ENV).rules.draft_time == time(8, 30)


def test_env_config_variable_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(LOCAL_CONFIG.replace("../mail", "mail").replace("cal/work.ics", "cal"))
    env = {**ENV, "INTERVIEW_OUTREACH_CONFIG": str(path), "XDG_CONFIG_HOME": "/nonexistent"}

    assert load_config(env=env).source == path


def test_xdg_config_home_is_honoured(tmp_path: Path) -> None:
    folder = tmp_path / "xdg" / "interview-outreach"
    folder.mkdir(parents=True)
    path = folder / "config.toml"
    text = LOCAL_CONFIG.replace("../mail", str(tmp_path / "mail"))
    path.write_text(text.replace("cal/work.ics", str(tmp_path / "cal")))

    config = load_config(env={**ENV, "XDG_CONFIG_HOME": str(tmp_path / "xdg")})

    assert config.source == path
    assert config.templates_dir == folder / "templates"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"INTERVIEW_OUTREACH_CONFIG": "/etc/io.toml", "XDG_CONFIG_HOME": "/x"}, "/etc/io.toml"),
        ({"INTERVIEW_OUTREACH_CONFIG": "~/io.toml"}, "{home}/io.toml"),
        ({"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/x/interview-outreach/config.toml"),
        (
            {"XDG_CONFIG_HOME": "relative", "HOME": "/h"},
            "/h/.config/interview-outreach/config.toml",
        ),
        ({"HOME": "/h"}, "/h/.config/interview-outreach/config.toml"),
    ],
)
def test_default_config_path(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    assert default_config_path(env) == Path(expected.format(home=tmp_path))


@pytest.mark.parametrize(
    ("tz", "link", "expected"),
    [
        ("Europe/Paris", None, "Europe/Paris"),
        (":Asia/Tokyo", None, "Asia/Tokyo"),
        ("/usr/share/zoneinfo/America/Chicago", None, "America/Chicago"),
        ("Not/AZone", "/usr/share/zoneinfo/Australia/Sydney", "Australia/Sydney"),
        (None, "../usr/share/zoneinfo/Europe/Madrid", "Europe/Madrid"),
        (None, None, "UTC"),
    ],
)
def test_system_timezone(tmp_path: Path, tz: str | None, link: str | None, expected: str) -> None:
    localtime = tmp_path / "localtime"
    if link is not None:
        localtime.symlink_to(link)
    env = {"TZ": tz} if tz is not None else {}

    assert system_timezone(env, localtime) == ZoneInfo(expected)


# --- the reference example ----------------------------------------------------------------------


def example_data(tmp_path: Path, *, uncomment: bool) -> dict[str, Any]:
    """config.example.toml parsed, with its local paths pointing into ``tmp_path``.

    With ``uncomment`` every commented-out key and account is switched on as well.
    """
    text = EXAMPLE.read_text(encoding="utf-8")
    if uncomment:
        text = re.sub(r"(?m)^#(?: #)? (?=\[\[accounts\]\]$|[a-z_]+ = )", "", text)
    data = tomllib.loads(text)
    data["accounts"][0]["calendar"] = str(tmp_path / "cal")
    data["accounts"][0]["maildir"] = str(tmp_path / "mail")
    return data


def test_example_config_parses_and_shows_the_defaults(tmp_path: Path) -> None:
    config = parse(example_data(tmp_path, uncomment=False), tmp_path)

    assert config.rules == Rules()
    assert config.daemon.poll_seconds == 300
    assert config.storage.url == cfg.default_database_url()
    assert [account.provider for account in config.accounts] == ["local"]
    assert len(config.profile.highlights) == 2


def test_example_config_commented_keys_are_valid(tmp_path: Path) -> None:
    config = parse(example_data(tmp_path, uncomment=True), tmp_path)

    assert [account.provider for account in config.accounts] == ["local", "google", "microsoft"]
    assert config.profile.timezone == ZoneInfo("Europe/London")
    assert (
        config.storage.url
        == f"sqlite:///{tmp_path}/.local/share/interview-outreach/interview-outreach.db"
    )
    local, google, microsoft = config.accounts
    assert isinstance(local, LocalAccount)
    assert local.drafts == tmp_path / "Mail" / "personal" / ".Drafts"
    assert isinstance(google, GoogleAccount)
    assert google.api_endpoint == "https://proxy.example.org"
    assert microsoft == MicrosoftAccount(
        name="work", client_id="00000000-0000-0000-0000-000000000000"
    )
