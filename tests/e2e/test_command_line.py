"""The command line as a user types it (issue 12): where options go, what `--help` says,
`-v`, an ambiguous `explain` id, and texts that state the configured rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from interview_outreach.daemon.cli import main
from interview_outreach.daemon.config import CONFIG_ENV
from interview_outreach.daemon.domain import detection
from interview_outreach.daemon.domain.model import interview_id
from tests.e2e.conftest import USER, Result, World

START = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)  # Thursday 14:00 London (GMT)
WINDOW_OPENS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

CUSTOM_RULES = """
followup_after_hours = 30
followup_min_gap_hours = 5
thankyou_after_minutes = 45
thankyou_missed_hours = 50
screening_max_minutes = 25
already_in_touch_messages = 3
already_in_touch_days = 20
back_and_forth_days = 9
"""
DEFAULT_NUMBERS = re.compile(r"\b(24|72|2) h\b|\b(60|30) min\b|\b(30|14) days\b|\b4 messages\b")
"""How SPEC section 2's defaults would read in a text that ignored the configuration."""


def cli(world: World, *args: str, at: datetime = WINDOW_OPENS) -> Result:
    """The command line exactly as given: no ``--config`` added."""
    world.capsys.readouterr()
    code = main(list(args), clock=lambda: at)
    captured = world.capsys.readouterr()
    return Result(code, captured.out, captured.err)


def interview(world: World, uid: str = "acme-1", **kwargs: Any) -> None:
    world.add_event(uid, "Acme – Technical interview (Senior Backend Engineer)", START, **kwargs)


def deliver(world: World, name: str, sender: str, to: str, day: int) -> None:
    (world.maildir / "new" / name).write_text(
        f"From: {sender}\nTo: {to}\nSubject: Scheduling\n"
        f"Date: {day:02d} Dec 2026 10:00:00 +0000\nMessage-ID: <{name}@acme.com>\n\nThanks!\n"
    )


def only_id(world: World) -> str:
    interviews: list[dict[str, Any]] = world.status(at=WINDOW_OPENS)["interviews"]  # type: ignore[assignment]
    (item,) = interviews
    return str(item["id"])


# -- --config and -v before or after the command ------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        ["--config", "{config}", "status", "--json"],
        ["status", "--json", "--config", "{config}"],
        ["--config={config}", "status", "--json"],
        ["status", "--config={config}", "--json"],
        ["--config", "{missing}", "status", "--config", "{config}", "--json"],
    ],
    ids=["before", "after", "before=", "after=", "after-wins"],
)
def test_config_is_taken_before_or_after_the_command(world: World, form: list[str]) -> None:
    interview(world)
    assert world.run("once", at=WINDOW_OPENS).code == 0
    missing = world.root / "missing.toml"
    args = [a.format(config=world.config, missing=missing) for a in form]
    result = cli(world, *args)
    assert result.code == 0, result.err
    assert '"interviews": [' in result.out and "acme.com" in result.out


def test_the_environment_names_the_config_and_the_flag_wins(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = world.root / "missing.toml"
    monkeypatch.setenv(CONFIG_ENV, str(world.config))
    assert cli(world, "status").code == 0
    wrong = cli(world, "status", "--config", str(missing))
    assert wrong.code == 2
    assert wrong.err.count("\n") == 1 and str(missing) in wrong.err
    monkeypatch.setenv(CONFIG_ENV, str(missing))
    assert cli(world, "status", "--config", str(world.config)).code == 0
    assert cli(world, "service", "install", "--config", str(missing)).code == 2


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["status", "--config"], "argument --config: expected one argument"),
        (["--config"], "argument --config: expected one argument"),
        (["explain"], "the following arguments are required: id"),
        (["service", "--config", "x.toml"], "the following arguments are required: ACTION"),
    ],
)
def test_a_mistyped_command_line_is_one_usage_error(
    capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: interview-outreach") and says in err
    assert "Traceback" not in err


# -- --help -------------------------------------------------------------------------------


def help_of(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*args, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


SPEC_COMMANDS = ("once", "run", "status", "explain", "auth", "accounts", "doctor", "service",
                 "templates", "demo")  # fmt: skip


def test_help_lists_every_command_with_one_line_each(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    lines = help_of(capsys).splitlines()
    listed = {}
    for index, line in enumerate(lines):
        match = re.fullmatch(r" {4}(\w+) {2,}(\S.*)", line)
        if match:
            listed[match.group(1)] = match.group(2)
            following = lines[index + 1] if index + 1 < len(lines) else ""
            assert not re.match(r" {6,}\S", following), f"{line!r} goes on: {following!r}"
    assert tuple(listed) == SPEC_COMMANDS
    assert listed["once"] == "one pass over every account, then exit"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["once"], "One full pass over every account"),
        (["run"], "until SIGTERM stops it"),
        (["status"], "state, due time and skip reason"),
        (["explain"], "why each action is in its state"),
        (["auth"], "Authorize one configured Google or Microsoft account once"),
        (["accounts"], "authorization state"),
        (["doctor"], "the systemd unit"),
        (["service"], "systemctl itself is never called"),
        (["service", "install"], "Nothing is written while the configuration"),
        (["service", "uninstall"], "Remove the systemd user unit"),
        (["templates", "check"], "list every content rule they break"),
        (["demo"], "Nothing is sent"),
    ],
)
def test_each_command_says_what_it_does_and_takes_the_global_options(
    capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    text = " ".join(help_of(capsys, *args).split())
    assert says in text
    assert "--config PATH" in text and "-v, --verbose" in text


# -- -v -----------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_once_logs_what_the_pass_does(world: World, where: str) -> None:
    interview(world)
    (world.calendar / "broken.ics").write_bytes(b"BEGIN:VCALENDAR\nthis is not iCalendar\n")
    quiet = cli(world, "--config", str(world.config), "once")
    assert " INFO " not in quiet.err

    interview(world, "acme-2")
    verbose = ["-v", "once"] if where == "before" else ["once", "--verbose"]
    result = cli(world, "--config", str(world.config), *verbose, at=WINDOW_OPENS)
    logged = [line for line in result.err.splitlines() if " daemon.cli: " in line]
    assert any(
        " INFO daemon.cli: home: 2 events, 2 interviews tracked; drafts: 1 created, 0 updated, "
        "0 removed" in line
        for line in logged
    ), result.err
    assert any(" WARNING daemon.cli: home: skipped: " in line for line in logged), result.err
    assert " DEBUG " not in result.err  # -vv for that
    assert "home: 2 events, 2 interviews tracked" in result.out  # the report as without -v


# -- explain ------------------------------------------------------------------------------


def sharing_a_prefix() -> tuple[str, str, str]:
    """Two invitation UIDs whose interview ids start alike, and that common start."""
    seen: dict[str, str] = {}
    for number in range(10_000):
        uid = f"acme-{number}"
        start = interview_id(uid)[:2]
        if start in seen:
            return seen[start], uid, start
        seen[start] = uid
    raise AssertionError("no two ids share a start")


def test_an_ambiguous_id_lists_the_candidates(world: World) -> None:
    first, second, prefix = sharing_a_prefix()
    world.add_event(first, "Acme – Technical interview", START)
    world.add_event(second, "Globex – Final round interview", START + timedelta(days=1))
    assert world.run("once", at=WINDOW_OPENS).code == 0

    result = world.run("explain", prefix, at=WINDOW_OPENS)

    assert result.code == 1 and result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 4, result.err
    assert lines[0] == f"interview-outreach: 2 interviews have an id starting with '{prefix}':"
    assert lines[1] == f"  {interview_id(first)}  Thu 10 Dec 14:00 GMT  Acme – Technical interview"
    assert lines[2] == (
        f"  {interview_id(second)}  Fri 11 Dec 14:00 GMT  Globex – Final round interview"
    )
    assert "longer prefix" in lines[3]
    assert world.run("explain", interview_id(second), at=WINDOW_OPENS).code == 0
    unknown = world.run("explain", "zzzz", at=WINDOW_OPENS)
    assert unknown.code == 1 and unknown.err.count("\n") == 1


def test_explain_states_the_score_detection_needs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detection, "THRESHOLD", 3)
    interview(world)
    world.run("once", at=WINDOW_OPENS)
    result = world.run("explain", only_id(world), at=WINDOW_OPENS)
    assert re.search(r"Why it is an interview \(score \d+, 3 needed\):", result.out), result.out


# -- texts state the configured rules -----------------------------------------------------


def test_explain_states_the_configured_rules_not_the_defaults(world: World) -> None:
    world.write_config(extra_rules=CUSTOM_RULES)
    interview(world, minutes=50)
    for day in (1, 2, 3):  # three messages from the interviewer in the last 20 days
        deliver(world, f"e{day}", "Jane Doe <jane.doe@acme.com>", USER, day)
    world.run("once", at=WINDOW_OPENS)
    result = world.run("explain", only_id(world), at=WINDOW_OPENS)
    assert result.code == 0, result.err
    assert "already_in_touch — 3 messages with the interviewers in the last 20 days" in result.out
    assert "45 min after the interview ends, in working hours" in result.out
    assert not DEFAULT_NUMBERS.search(result.out), result.out


def test_explain_states_the_configured_back_and_forth_window(world: World) -> None:
    world.write_config(extra_rules=CUSTOM_RULES)
    interview(world, minutes=50)
    deliver(world, "in", "Jane Doe <jane.doe@acme.com>", USER, 5)
    sent = world.maildir / ".Sent" / "new"
    sent.mkdir(parents=True, exist_ok=True)
    for sub in ("cur", "tmp"):
        (world.maildir / ".Sent" / sub).mkdir(exist_ok=True)
    (sent / "out").write_text(
        f"From: {USER}\nTo: jane.doe@acme.com\nSubject: Re: Scheduling\n"
        "Date: 05 Dec 2026 11:00:00 +0000\nMessage-ID: <out@example.org>\n\nThanks!\n"
    )
    world.run("once", at=WINDOW_OPENS)
    result = world.run("explain", only_id(world), at=WINDOW_OPENS)
    assert "messages went both ways in the last 9 days" in result.out, result.out
    assert not DEFAULT_NUMBERS.search(result.out), result.out


def test_a_brief_screen_states_the_configured_length(world: World) -> None:
    world.write_config(extra_rules=CUSTOM_RULES)
    world.add_event(
        "screen", "Recruiter screen", START, 20, description="A quick intro call about the role."
    )
    world.run("once", at=WINDOW_OPENS)
    result = world.run("explain", only_id(world), at=WINDOW_OPENS)
    assert "brief_screening — 20 min, within the 25 min of a brief screen" in result.out
    assert not DEFAULT_NUMBERS.search(result.out), result.out


def test_explain_of_a_planned_followup_states_the_configured_hours(world: World) -> None:
    world.write_config(extra_rules=CUSTOM_RULES)
    interview(world, minutes=50)
    world.run("once", at=WINDOW_OPENS)
    (draft,) = world.draft_paths()
    sent = world.maildir / ".Sent" / "cur"
    sent.parent.mkdir(exist_ok=True)
    sent.mkdir(exist_ok=True)
    draft.rename(sent / draft.name.replace(":2,D", ":2,S"))
    world.run("once", at=WINDOW_OPENS + timedelta(hours=1))
    result = world.run("explain", only_id(world), at=WINDOW_OPENS + timedelta(hours=1))
    assert "30 h after the outreach was sent, without a reply" in result.out, result.out
    assert not DEFAULT_NUMBERS.search(result.out), result.out
