"""One pass with an incremental calendar: cursors persisted, removals by source id, expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from interview_outreach.daemon.config import parse_config
from interview_outreach.daemon.context import plan_context
from interview_outreach.daemon.domain.model import CalendarEvent, Participant, Response
from interview_outreach.daemon.errors import (
    AuthorizationNeeded,
    CursorExpired,
    ProviderError,
    TransientError,
)
from interview_outreach.daemon.passes import run_pass
from interview_outreach.daemon.ports import Account, CalendarChanges, MailChanges, Unavailable
from interview_outreach.daemon.store.records import AccountState
from interview_outreach.daemon.store.repository import Store
from interview_outreach.providers.local.settings import LocalAccount
from tests.fakes.memory import MemoryCalendar, MemoryMailbox

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
EVENT = CalendarEvent(
    uid="u1",
    title="Acme – Technical interview",
    start=NOW + timedelta(days=3),
    end=NOW + timedelta(days=3, hours=1),
    organizer=Participant("jane@acme.com", "Jane Doe"),
    attendees=(Participant("ada@example.org"),),
    source_id="google-event-1",
)


class IncrementalCalendar:
    """A calendar with sync tokens, scripted per cursor."""

    def __init__(self) -> None:
        self.calls: list[str | None] = []
        self.expire: set[str] = set()
        self.fail = False
        self.fail_with: ProviderError | None = None

    def changes(
        self, cursor: str | None, window_start: datetime, window_end: datetime
    ) -> CalendarChanges:
        self.calls.append(cursor)
        if self.fail_with is not None:
            raise self.fail_with
        if self.fail:
            raise TransientError("calendar answered 503", "inc")
        if cursor in self.expire:
            raise CursorExpired("sync token expired", "inc")
        if cursor is None:
            return CalendarChanges((EVENT,), complete=True, cursor="c1")
        if cursor == "c1":
            return CalendarChanges((), complete=False, removed=("google-event-1",), cursor="c2")
        return CalendarChanges((), complete=False, cursor=cursor)


def setup(tmp_path: Path) -> tuple[object, Store, IncrementalCalendar, Account]:
    (tmp_path / "cal").mkdir()
    (tmp_path / "mail").mkdir()
    config = parse_config(
        {
            "profile": {"name": "Ada Lovelace", "timezone": "Europe/London"},
            "accounts": [{"name": "inc", "provider": "local", "address": "ada@example.org",
                          "calendar": "cal", "maildir": "mail"}],
        },
        base_dir=tmp_path,
        env={"TZ": "UTC"},
    )  # fmt: skip
    assert isinstance(config.accounts[0], LocalAccount)
    calendar = IncrementalCalendar()
    account = Account("inc", "google", calendar, MemoryMailbox("ada@example.org"))
    return config, Store(f"sqlite:///{tmp_path / 'db.sqlite'}"), calendar, account


def test_cursor_is_kept_and_removals_are_matched_by_source_id(tmp_path: Path) -> None:
    config, store, calendar, account = setup(tmp_path)
    run_pass(config, store, [account], NOW)  # type: ignore[arg-type]
    state = store.account_state("inc")
    assert state is not None and state.calendar_cursor and state.calendar_cursor.endswith(":c1")
    (tracked,) = store.interviews()
    assert tracked.interview.skip_reason is None
    run_pass(config, store, [account], NOW + timedelta(minutes=5))  # type: ignore[arg-type]
    assert calendar.calls == [None, "c1"]
    (tracked,) = store.interviews()
    assert tracked.gone and tracked.interview.skip_reason is not None
    assert tracked.interview.skip_reason.value == "cancelled"
    state = store.account_state("inc")
    assert state is not None and state.calendar_cursor and state.calendar_cursor.endswith(":c2")


def test_an_expired_cursor_means_a_full_resync(tmp_path: Path) -> None:
    config, store, calendar, account = setup(tmp_path)
    run_pass(config, store, [account], NOW)  # type: ignore[arg-type]
    calendar.expire.add("c1")
    run_pass(config, store, [account], NOW + timedelta(minutes=5))  # type: ignore[arg-type]
    assert calendar.calls == [None, "c1", None]
    (tracked,) = store.interviews()
    assert not tracked.gone


def test_a_change_of_rules_drops_the_cursor_so_every_event_is_recognized_again(
    tmp_path: Path,
) -> None:
    """A cursor reports changed events only; events read under the old rules must be
    read again under the new ones."""
    config, store, calendar, account = setup(tmp_path)
    run_pass(config, store, [account], NOW)  # type: ignore[arg-type]
    run_pass(config, store, [account], NOW + timedelta(minutes=1))  # type: ignore[arg-type]
    changed = replace(config, rules=replace(config.rules, screening_max_minutes=45))
    run_pass(changed, store, [account], NOW + timedelta(minutes=2))  # type: ignore[arg-type]
    assert calendar.calls == [None, "c1", None]


def test_a_failing_account_is_recorded_and_the_cursor_kept(tmp_path: Path) -> None:
    config, store, calendar, account = setup(tmp_path)
    run_pass(config, store, [account], NOW)  # type: ignore[arg-type]
    calendar.fail = True
    report = run_pass(config, store, [account], NOW + timedelta(minutes=5))  # type: ignore[arg-type]
    assert report.failed
    state = store.account_state("inc")
    assert state is not None
    assert state.calendar_cursor is not None and state.calendar_cursor.endswith(":c1")
    assert state.last_error == "calendar answered 503"
    assert state.last_success_at == NOW


def test_addresses_of_accounts_outside_the_pass_still_count_as_the_user(tmp_path: Path) -> None:
    """The daemon passes one account at a time: the other account's address is still the user."""
    _, store, _, _ = setup(tmp_path)
    config = parse_config(
        {
            "profile": {"name": "Ada Lovelace", "timezone": "Europe/London"},
            "accounts": [
                {"name": "inc", "provider": "local", "address": "ada@example.org",
                 "calendar": "cal", "maildir": "mail"},
                {"name": "other", "provider": "google", "client_secrets": "google.json"},
            ],
        },
        base_dir=tmp_path,
        env={"TZ": "UTC"},
    )  # fmt: skip
    store.save_account_state(AccountState(name="other", provider="google", address="ada@gmail.com"))
    own_event = CalendarEvent(
        uid="u2", title="Interview: Backend Engineer candidate", start=NOW + timedelta(days=3),
        end=NOW + timedelta(days=3, hours=1),
        organizer=Participant("ada@gmail.com", "Ada Lovelace"),
        attendees=(Participant("candidate@acme.com", "Cara", response=Response.ACCEPTED),),
    )  # fmt: skip
    calendar = MemoryCalendar((own_event,))
    account = Account("inc", "local", calendar, MemoryMailbox("ada@example.org"))
    run_pass(config, store, [account], NOW)  # type: ignore[arg-type]
    (tracked,) = store.interviews()
    assert tracked.interview.skip_reason is not None
    assert tracked.interview.skip_reason.value == "user_is_interviewer"


def test_a_scheduled_round_passes_over_an_account_another_process_just_passed(
    tmp_path: Path,
) -> None:
    """Processes sharing the accounts serve each once a round; `once` always passes."""
    config, store, calendar, account = setup(tmp_path)
    half_round = timedelta(minutes=2, seconds=30)
    first = run_pass(config, store, [account], NOW, fresh_within=half_round)  # type: ignore[arg-type]
    assert not first.accounts[0].fresh
    soon = NOW + timedelta(seconds=40)
    second = run_pass(config, store, [account], soon, fresh_within=half_round)  # type: ignore[arg-type]
    assert second.accounts[0].fresh and calendar.calls == [None]
    explicit = run_pass(config, store, [account], soon)  # type: ignore[arg-type]
    assert not explicit.accounts[0].fresh and len(calendar.calls) == 2
    later = NOW + timedelta(minutes=5)
    third = run_pass(config, store, [account], later, fresh_within=half_round)  # type: ignore[arg-type]
    assert not third.accounts[0].fresh and len(calendar.calls) == 3


def test_the_report_says_when_an_account_newly_needs_authorization(tmp_path: Path) -> None:
    """The daemon notifies once from the report, without reading every account's state."""
    config, store, _calendar, _account = setup(tmp_path)
    missing = Unavailable("inc", "google", "the refresh token was revoked", needs_auth=True)
    first = run_pass(config, store, [], NOW, [missing])  # type: ignore[arg-type]
    assert first.accounts[0].newly_needs_auth
    again = run_pass(config, store, [], NOW + timedelta(minutes=5), [missing])  # type: ignore[arg-type]
    assert not again.accounts[0].newly_needs_auth  # already said


def test_an_account_that_fails_for_authorization_mid_pass_is_newly_reported(
    tmp_path: Path,
) -> None:
    config, store, calendar, account = setup(tmp_path)
    run_pass(config, store, [account], NOW)  # type: ignore[arg-type]
    calendar.fail_with = AuthorizationNeeded("token expired and cannot be refreshed", "inc")
    first = run_pass(config, store, [account], NOW + timedelta(minutes=5))  # type: ignore[arg-type]
    assert first.accounts[0].error and first.accounts[0].newly_needs_auth
    second = run_pass(config, store, [account], NOW + timedelta(minutes=10))  # type: ignore[arg-type]
    assert second.accounts[0].error and not second.accounts[0].newly_needs_auth
    assert first.accounts[0].address == "ada@example.org"


def test_addresses_and_planning_inputs_kept_by_the_daemon_are_used_as_given(
    tmp_path: Path,
) -> None:
    """An address the daemon passes in is the user's: an invitation to it is theirs."""
    config, store, _calendar, account = setup(tmp_path)
    own_event = replace(
        EVENT, uid="u3", organizer=Participant("ada.work@corp.example", "Ada Lovelace")
    )
    report = run_pass(
        config, store, [replace(account, calendar=MemoryCalendar((own_event,)))], NOW,  # type: ignore[arg-type]
        known_addresses={"inc": "ada.work@corp.example"}, context=plan_context(config),  # type: ignore[arg-type]
    )  # fmt: skip
    assert report.accounts[0].interviews == 1
    (tracked,) = store.interviews()
    assert tracked.interview.skip_reason is not None
    assert tracked.interview.skip_reason.value == "user_is_interviewer"


class CountingStore(Store):
    """A store that counts how often the account's state is read and written."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.reads = self.writes = 0

    def account_state(self, name: str) -> AccountState | None:
        self.reads += 1
        return super().account_state(name)

    def save_account_state(self, state: AccountState) -> None:
        self.writes += 1
        super().save_account_state(state)


def test_a_pass_reads_the_account_state_once_and_writes_it_once(tmp_path: Path) -> None:
    config, plain, _calendar, account = setup(tmp_path)
    plain.close()
    store = CountingStore(f"sqlite:///{tmp_path / 'db.sqlite'}")
    for minutes in (0, 5):  # the first pass (no state yet) and one with a cursor to advance
        store.reads = store.writes = 0
        run_pass(config, store, [account], NOW + timedelta(minutes=minutes))  # type: ignore[arg-type]
        assert (store.reads, store.writes) == (1, 1)
    state = store.account_state("inc")
    assert state is not None and state.calendar_cursor and state.calendar_cursor.endswith(":c2")


class FailingMailbox(MemoryMailbox):
    """A mailbox whose change feed fails: the pass fails after reading the calendar."""

    def changes(self, cursor: str | None) -> MailChanges:
        raise TransientError("mailbox answered 503", "inc")


def test_a_pass_that_fails_after_reading_the_calendar_keeps_the_new_calendar_cursor(
    tmp_path: Path,
) -> None:
    config, store, _calendar, account = setup(tmp_path)
    failing = replace(account, mailbox=FailingMailbox("ada@example.org"))
    report = run_pass(config, store, [failing], NOW)  # type: ignore[arg-type]
    assert report.accounts[0].error == "mailbox answered 503"
    state = store.account_state("inc")
    assert state is not None and state.last_error == "mailbox answered 503"
    assert state.calendar_cursor is not None and state.calendar_cursor.endswith(":c1")
    assert state.last_success_at is None
