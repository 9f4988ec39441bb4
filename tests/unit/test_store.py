"""Tests of the storage layer against real SQLite files."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from hypothesis import given, settings
from hypothesis import strategies as st

from interview_outreach.daemon.domain.model import (
    ActionKind,
    ActionRecord,
    ActionState,
    CalendarEvent,
    Detection,
    EventStatus,
    Exclusion,
    Interview,
    Participant,
    ParticipantKind,
    Reason,
    RecipientRule,
    Response,
    Signal,
    SkipReason,
    interview_id,
)
from interview_outreach.daemon.errors import StorageError
from interview_outreach.daemon.store.codec import interview_from_json, interview_to_json
from interview_outreach.daemon.store.db import BUSY_TIMEOUT_MS, alembic_config, open_engine
from interview_outreach.daemon.store.records import AccountState, AuditEntry, TrackedInterview
from interview_outreach.daemon.store.repository import Store
from interview_outreach.daemon.store.schema import metadata
from tests.databases import postgres_url

LONDON = ZoneInfo("Europe/London")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
T1 = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)


def make_interview(
    uid: str = "abc-123@employer.example",
    *,
    iid: str | None = None,
    start: datetime = datetime(2025, 3, 10, 14, 0, tzinfo=LONDON),
    minutes: int = 45,
    title: str = "Interview: Backend Engineer",
    skip: SkipReason | None = None,
) -> Interview:
    organizer = Participant("grace@employer.example", "Grace Hopper")
    attendees = (
        Participant("ada@home.example", "Ada", response=Response.ACCEPTED),
        Participant("alan@employer.example", "Alan Turing", required=False),
        Participant("room-4@employer.example", "Room 4", kind=ParticipantKind.RESOURCE),
    )
    event = CalendarEvent(
        uid=uid,
        title=title,
        start=start,
        end=start + timedelta(minutes=minutes),
        description="Please join via the link.",
        location="Room 4",
        organizer=organizer,
        attendees=attendees,
        user_response=Response.ACCEPTED,
        conference_url="https://meet.example/xyz",
        source_id="evt-1",
        calendar="primary",
    )
    return Interview(
        id=iid or interview_id(uid),
        account="personal",
        event=event,
        detection=Detection(True, 7, (Signal("title", 5, "'Interview'"), Signal("domain", 2, "x"))),
        interviewers=(organizer, attendees[1]),
        excluded=(Exclusion("room-4@employer.example", "resource"),),
        recipient=organizer,
        recipient_rule=RecipientRule.ORGANIZER,
        company="Employer",
        role="Backend Engineer",
        skip_reason=skip,
        skip_detail="" if skip is None else "because",
    )


def db_url(tmp_path: Path, name: str = "state.db") -> str:
    return f"sqlite:///{tmp_path / name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated store, on SQLite and on PostgreSQL."""
    url = db_url(tmp_path) if request.param == "sqlite" else postgres_url()
    s = Store(url)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store on SQLite, for tests that look into the file directly."""
    s = Store(db_url(tmp_path))
    yield s
    s.close()


# -- opening and migrations -----------------------------------------------------------


def test_migrations_are_applied_automatically_and_idempotently(tmp_path: Path) -> None:
    url = db_url(tmp_path, "sub/dir/state.db")
    with Store.open(url) as first:
        first.save_interview(make_interview(), T0)
    with Store(url) as second:  # opening again migrates nothing and keeps the data
        assert second.get(make_interview().id) is not None
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    with sqlite3.connect(tmp_path / "sub/dir/state.db") as raw:
        versions = [r[0] for r in raw.execute("SELECT version_num FROM alembic_version")]
    assert versions == heads == ["0004"]
    assert (tmp_path / "sub/dir").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "sub/dir/state.db").stat().st_mode & 0o777 == 0o600


def test_sqlite_pragmas_on_every_connection(tmp_path: Path) -> None:
    url = db_url(tmp_path)
    Store(url).close()
    with sqlite3.connect(tmp_path / "state.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    engine = open_engine(url)
    try:
        for _ in range(2):
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS
            engine.dispose()  # the next round gets a brand-new connection
    finally:
        engine.dispose()


def test_migration_matches_schema_metadata(tmp_path: Path) -> None:
    engine = open_engine(db_url(tmp_path))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
            # The comparison has teeth: an empty model differs from the migrated tables.
            assert compare_metadata(context, sa.MetaData()) != []
    finally:
        engine.dispose()


def test_database_from_newer_version_is_refused_in_one_line(tmp_path: Path) -> None:
    url = db_url(tmp_path)
    Store(url).close()
    with sqlite3.connect(tmp_path / "state.db") as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(StorageError) as caught:
        Store(url)
    message = str(caught.value)
    assert "\n" not in message
    assert "9999_future" in message
    assert "newer" in message


def test_folder_that_cannot_be_created_gives_storage_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(StorageError) as caught:
        Store(db_url(tmp_path, "a-file/sub/state.db"))
    assert "\n" not in str(caught.value)
    assert "a-file" in str(caught.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to any folder")
def test_unwritable_folder_gives_storage_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(StorageError) as caught:
            Store(db_url(tmp_path, "locked/state.db"))
        assert "\n" not in str(caught.value)
    finally:
        locked.chmod(0o700)


def test_folder_without_write_permission_gives_storage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same check as above, for test runs as root (where chmod does not lock anyone out).
    monkeypatch.setattr("interview_outreach.daemon.store.db.os.access", lambda *_args: False)
    with pytest.raises(StorageError, match="not writable") as caught:
        Store(db_url(tmp_path))
    assert "\n" not in str(caught.value)


def test_file_that_is_not_a_database_gives_storage_error(tmp_path: Path) -> None:
    (tmp_path / "state.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError) as caught:
        Store(db_url(tmp_path))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("url", ["not a url", "nosuchdb://x/y", ""])
def test_bad_url_gives_storage_error(url: str) -> None:
    with pytest.raises(StorageError) as caught:
        Store(url)
    assert "\n" not in str(caught.value)


def test_messages_never_show_the_password() -> None:
    # The PostgreSQL driver is missing or no server listens: either way one line, no secret.
    with pytest.raises(StorageError) as caught:
        Store("postgresql://ada:s3cret-pw@127.0.0.1:1/outreach")
    assert "s3cret-pw" not in str(caught.value)
    assert "ada:***@127.0.0.1" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_no_column_can_hold_a_secret() -> None:
    names = {c.name for table in metadata.tables.values() for c in table.columns}
    assert not {n for n in names if any(w in n for w in ("token", "secret", "password"))}


# -- interviews -----------------------------------------------------------------------


def test_save_interview_upserts_and_keeps_first_seen(store: Store) -> None:
    original = make_interview()
    store.save_interview(original, T0)
    moved = dataclasses.replace(
        original,
        event=dataclasses.replace(original.event, start=original.start + timedelta(days=1)),
        skip_reason=SkipReason.TOO_LATE,
    )
    store.mark_gone(original.id, T0 + timedelta(hours=1))
    assert store.get(original.id).gone  # type: ignore[union-attr]
    store.save_interview(moved, T1)
    tracked = store.get(original.id)
    assert tracked is not None
    assert tracked.interview == moved
    assert tracked.first_seen_at == T0
    assert tracked.updated_at == T1
    assert not tracked.gone  # seen again
    assert len(store.interviews()) == 1


def test_interview_times_keep_their_zone_and_come_back_aware(store: Store) -> None:
    iv = make_interview(start=datetime(2025, 10, 26, 1, 30, fold=1, tzinfo=LONDON))
    store.save_interview(iv, datetime(2025, 3, 3, 9, 0, tzinfo=BERLIN))
    tracked = store.get(iv.id)
    assert tracked is not None
    assert tracked.interview.start.tzinfo is LONDON
    assert tracked.interview.start.fold == 1
    assert tracked.interview.start.utcoffset() == timedelta(0)
    assert tracked.first_seen_at == datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    assert tracked.first_seen_at.tzinfo is UTC


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.save_interview(make_interview(), datetime(2025, 3, 3, 8, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.save_interview(
            make_interview(start=datetime(2025, 3, 10, 14, 0)),  # naive event start
            T0,
        )
    assert store.interviews() == []


def test_interviews_ordered_by_start_and_gone_filter(store: Store) -> None:
    late = make_interview("late", start=datetime(2025, 3, 12, 9, 0, tzinfo=NEW_YORK))
    early = make_interview("early", start=datetime(2025, 3, 11, 9, 0, tzinfo=BERLIN))
    middle = make_interview("middle", start=datetime(2025, 3, 11, 9, 0, tzinfo=NEW_YORK))
    for iv in (late, early, middle):
        store.save_interview(iv, T0)
    store.mark_gone(middle.id, T1)
    assert [t.interview.event.uid for t in store.interviews()] == ["early", "middle", "late"]
    assert [t.interview.event.uid for t in store.interviews(include_gone=False)] == [
        "early",
        "late",
    ]
    assert store.get("no-such-id") is None


def test_find_by_prefix(store: Store) -> None:
    for iid in ("abc123", "abd456", "b00000", "a_c999"):
        store.save_interview(make_interview(iid, iid=iid), T0)
    assert [t.interview.id for t in store.find("abc")] == ["abc123"]
    assert [t.interview.id for t in store.find(" ABC1 ")] == ["abc123"]
    assert sorted(t.interview.id for t in store.find("ab")) == ["abc123", "abd456"]
    assert [t.interview.id for t in store.find("a_")] == ["a_c999"]  # no LIKE wildcards
    assert store.find("%") == []
    assert store.find("") == []
    assert store.find("zzz") == []
    assert isinstance(store.find("b0")[0], TrackedInterview)


# -- actions --------------------------------------------------------------------------


def full_record() -> ActionRecord:
    return ActionRecord(
        kind=ActionKind.FOLLOWUP,
        recipient="grace@employer.example",
        state=ActionState.CANCELLED,
        due_at=datetime(2025, 3, 8, 9, 0, tzinfo=LONDON),
        reason=Reason.REPLIED,
        detail="the interviewer replied on 7 March",
        draft_id="r-8812",
        message_id="<outreach-1@home.example>",
        thread_id="thread-77",
        content_hash="ab" * 32,
        drafted_at=datetime(2025, 3, 8, 9, 1, 30, 123456, tzinfo=NEW_YORK),
        sent_at=datetime(2025, 3, 8, 10, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    )


def test_action_record_round_trips_every_field(store: Store) -> None:
    iv = make_interview()
    store.save_interview(iv, T0)
    record = full_record()
    store.save_action(iv.id, record, T1)
    (back,) = store.actions(iv.id)
    assert back == record  # aware datetimes compare as instants
    for name in ("due_at", "drafted_at", "sent_at"):
        value = getattr(back, name)
        assert value.tzinfo is UTC
        assert value == getattr(record, name)
    assert dataclasses.asdict(back).keys() == dataclasses.asdict(record).keys()
    bare = ActionRecord(ActionKind.OUTREACH, "grace@employer.example")
    store.save_action(iv.id, bare, T1)
    assert store.actions(iv.id)[0] == bare


def test_save_action_upserts_by_slot(store: Store) -> None:
    iv = make_interview()
    store.save_interview(iv, T0)
    planned = ActionRecord(ActionKind.OUTREACH, "grace@employer.example", due_at=T1)
    store.save_action(iv.id, planned, T0)
    drafted = dataclasses.replace(planned, state=ActionState.DRAFTED, draft_id="d1", drafted_at=T1)
    store.save_action(iv.id, drafted, T1)
    for who in ("grace@employer.example", "alan@employer.example"):
        store.save_action(iv.id, ActionRecord(ActionKind.THANKYOU, who), T1)
    store.save_action(iv.id, ActionRecord(ActionKind.FOLLOWUP, "grace@employer.example"), T1)
    actions = store.actions(iv.id)
    assert [(a.kind, a.recipient) for a in actions] == [
        (ActionKind.OUTREACH, "grace@employer.example"),
        (ActionKind.FOLLOWUP, "grace@employer.example"),
        (ActionKind.THANKYOU, "grace@employer.example"),
        (ActionKind.THANKYOU, "alan@employer.example"),
    ]
    assert actions[0] == drafted
    tracked = store.get(iv.id)
    assert tracked is not None and tracked.actions == actions
    assert tracked.action(ActionKind.THANKYOU, "alan@employer.example") == actions[3]
    assert tracked.action(ActionKind.OUTREACH) == drafted


def test_database_enforces_one_row_per_slot(tmp_path: Path, sqlite_store: Store) -> None:
    store = sqlite_store
    iv = make_interview()
    store.save_interview(iv, T0)
    store.save_action(iv.id, ActionRecord(ActionKind.OUTREACH, "grace@employer.example"), T0)
    with sqlite3.connect(tmp_path / "state.db") as raw, pytest.raises(sqlite3.IntegrityError):
        raw.execute(
            "INSERT INTO actions (interview_id, kind, recipient, state, detail, updated_at) "
            "VALUES (?, 'outreach', 'grace@employer.example', 'planned', '', '2025-01-01')",
            (iv.id,),
        )


def test_action_of_unknown_interview_is_refused(store: Store) -> None:
    with pytest.raises(StorageError, match="not stored"):
        store.save_action("nope", ActionRecord(ActionKind.OUTREACH, "x@y.example"), T0)


def test_next_due(store: Store) -> None:
    now = datetime(2025, 3, 7, 12, 0, tzinfo=UTC)
    assert store.next_due(now) is None
    a, b = make_interview("a"), make_interview("b")
    store.save_interview(a, T0)
    store.save_interview(b, T0)
    store.save_action(
        a.id,
        ActionRecord(
            ActionKind.OUTREACH,
            "g@e.example",
            ActionState.PLANNED,
            due_at=datetime(2025, 3, 8, 9, 0, tzinfo=LONDON),
        ),
        T0,
    )
    store.save_action(
        a.id, ActionRecord(ActionKind.THANKYOU, "g@e.example", ActionState.PLANNED), T0
    )
    store.save_action(
        b.id,
        ActionRecord(
            ActionKind.OUTREACH,
            "g@e.example",
            ActionState.SKIPPED,
            due_at=datetime(2025, 3, 7, 13, 0, tzinfo=UTC),
        ),
        T0,
    )
    store.save_action(
        b.id,
        ActionRecord(
            ActionKind.FOLLOWUP,
            "g@e.example",
            ActionState.DRAFTED,
            due_at=datetime(2025, 3, 7, 13, 0, tzinfo=UTC),
        ),
        T0,
    )
    due = store.next_due(now)
    assert due == datetime(2025, 3, 8, 9, 0, tzinfo=UTC)
    assert due is not None and due.tzinfo is UTC
    # A drafting action counts; overdue work is due now.
    store.save_action(
        b.id,
        ActionRecord(
            ActionKind.THANKYOU,
            "g@e.example",
            ActionState.DRAFTING,
            due_at=datetime(2025, 3, 7, 11, 0, tzinfo=UTC),
        ),
        T0,
    )
    assert store.next_due(now) == now
    assert store.next_due(now.astimezone(NEW_YORK)).tzinfo is UTC  # type: ignore[union-attr]
    # Actions of interviews that are gone do not wake the scheduler.
    store.mark_gone(b.id, T1)
    assert store.next_due(now) == datetime(2025, 3, 8, 9, 0, tzinfo=UTC)


# -- audit, accounts, transactions ------------------------------------------------------


def test_audit_is_append_only(store: Store) -> None:
    iv = make_interview()
    entry = AuditEntry(
        at=datetime(2025, 3, 8, 9, 0, tzinfo=LONDON),
        account="personal",
        interview_id=iv.id,
        action_kind=ActionKind.OUTREACH,
        recipient="grace@employer.example",
        operation="create_draft",
        draft_id="d1",
        message_id="<m1@home.example>",
        detail="created",
    )
    other = AuditEntry(T1, "work", None, None, None, "state", detail="account needs auth")
    store.append_audit(entry)
    store.append_audit(other)
    store.append_audit(entry)  # the same thing twice is two lines
    assert store.audit() == [entry, other, entry]
    assert store.audit(iv.id) == [entry, entry]
    assert all(e.at.tzinfo is UTC for e in store.audit())
    public = {name for name in dir(Store) if not name.startswith("_")}
    assert not {n for n in public if "audit" in n} - {"append_audit", "audit"}


def test_account_state_round_trip_and_upsert(store: Store) -> None:
    assert store.account_state("personal") is None
    state = AccountState("personal", "google", "ada@home.example")
    store.save_account_state(state)
    assert store.account_state("personal") == state
    later = dataclasses.replace(
        state,
        calendar_cursor="sync-token-1",
        mail_cursor="history-42",
        last_pass_at=datetime(2025, 3, 8, 9, 0, tzinfo=BERLIN),
        last_success_at=T0,
        last_error="token revoked: run `interview-outreach auth personal`",
        needs_auth=True,
    )
    store.save_account_state(later)
    back = store.account_state("personal")
    assert back == later
    assert back is not None and back.last_pass_at is not None
    assert back.last_pass_at.tzinfo is UTC


def test_transaction_is_atomic_and_isolated(tmp_path: Path, sqlite_store: Store) -> None:
    store = sqlite_store
    iv = make_interview()
    with pytest.raises(RuntimeError), store.transaction():
        store.save_interview(iv, T0)
        store.save_action(iv.id, ActionRecord(ActionKind.OUTREACH, "g@e.example"), T0)
        raise RuntimeError("crash between two steps")
    assert store.get(iv.id) is None
    with Store(db_url(tmp_path)) as reader:
        with store.transaction(), store.transaction():  # nested blocks join
            store.save_interview(iv, T0)
            store.save_action(iv.id, ActionRecord(ActionKind.OUTREACH, "g@e.example"), T0)
            assert store.get(iv.id) is not None  # visible inside
            assert reader.get(iv.id) is None  # not yet committed
        tracked = reader.get(iv.id)
        assert tracked is not None and len(tracked.actions) == 1


def test_each_call_commits_on_its_own(tmp_path: Path) -> None:
    url = db_url(tmp_path)
    writer = Store(url)
    iv = make_interview()
    writer.save_interview(iv, T0)
    writer.save_action(iv.id, ActionRecord(ActionKind.OUTREACH, "g@e.example"), T0)
    # No close(): a process killed now has still recorded both steps.
    with Store(url) as other:
        assert len(other.actions(iv.id)) == 1
    writer.close()


# -- codec ----------------------------------------------------------------------------

texts = st.text(max_size=20)
zones: st.SearchStrategy[tzinfo] = st.one_of(
    st.timezones(),
    st.just(UTC),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
        lambda m: timezone(timedelta(minutes=m))
    ),
    st.builds(
        timezone,
        st.integers(min_value=-600, max_value=600).map(lambda m: timedelta(minutes=m)),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=5),
    ),
)
moments = st.one_of(
    st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=zones),
    st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1)),  # naive ones survive too
)
participants = st.builds(
    Participant,
    email=texts,
    name=texts,
    kind=st.sampled_from(ParticipantKind),
    required=st.booleans(),
    response=st.sampled_from(Response),
)
events = st.builds(
    CalendarEvent,
    uid=texts,
    title=texts,
    start=moments,
    end=moments,
    instance=texts,
    description=st.text(max_size=200),
    location=texts,
    all_day=st.booleans(),
    organizer=st.none() | participants,
    attendees=st.lists(participants, max_size=4).map(tuple),
    status=st.sampled_from(EventStatus),
    user_response=st.sampled_from(Response),
    user_is_organizer=st.booleans(),
    conference_url=texts,
    source_id=texts,
    calendar=texts,
)
interviews = st.builds(
    Interview,
    id=texts,
    account=texts,
    event=events,
    detection=st.builds(
        Detection,
        is_interview=st.booleans(),
        score=st.integers(),
        signals=st.lists(st.builds(Signal, texts, st.integers(), texts), max_size=4).map(tuple),
        vetoed_by=texts,
    ),
    interviewers=st.lists(participants, max_size=3).map(tuple),
    excluded=st.lists(st.builds(Exclusion, texts, texts), max_size=3).map(tuple),
    recipient=st.none() | participants,
    recipient_rule=st.none() | st.sampled_from(RecipientRule),
    recipient_detail=texts,
    company=texts,
    role=texts,
    skip_reason=st.none() | st.sampled_from(SkipReason),
    skip_detail=texts,
)


@settings(max_examples=300)
@given(interviews)
def test_codec_round_trip_is_lossless(interview: Interview) -> None:
    text = interview_to_json(interview)
    back = interview_from_json(text)
    assert back == interview
    # Equal instants are not enough: zone, wall time and fold must survive too.
    assert interview_to_json(back) == text
    for original, restored in ((interview.start, back.start), (interview.end, back.end)):
        assert restored.replace(tzinfo=None) == original.replace(tzinfo=None)
        assert restored.fold == original.fold
        assert restored.tzname() == original.tzname()
        assert restored.utcoffset() == original.utcoffset()
        assert str(restored.tzinfo) == str(original.tzinfo)
    assert isinstance(back.event.status, EventStatus)


def test_codec_covers_every_field() -> None:
    data = json.loads(interview_to_json(make_interview(skip=SkipReason.TOO_LATE)))

    def names(cls: type) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}

    assert set(data) - {"format"} == names(Interview)
    assert set(data["event"]) == names(CalendarEvent)
    assert set(data["event"]["organizer"]) == names(Participant)
    assert set(data["detection"]) == names(Detection)
    assert set(data["detection"]["signals"][0]) == names(Signal)
    assert set(data["excluded"][0]) == names(Exclusion)


def test_codec_keeps_zone_key_and_rejects_garbage() -> None:
    iv = make_interview(start=datetime(2025, 3, 30, 2, 30, tzinfo=LONDON))  # in the DST gap
    back = interview_from_json(interview_to_json(iv))
    assert back.start.tzinfo is LONDON
    assert (back.start.hour, back.start.minute) == (2, 30)
    for garbage in ("", "[]", '{"format": 99}', '{"format": 1}'):
        with pytest.raises(ValueError, match="snapshot"):
            interview_from_json(garbage)


def _version_1(snapshot: str) -> dict[str, object]:
    """``snapshot`` as the program wrote it before the recipient rule (format 1)."""
    data = json.loads(snapshot)
    data["format"] = 1
    data["primary_contact"] = data.pop("recipient")
    del data["recipient_rule"], data["recipient_detail"]
    return dict(data)


def test_codec_reads_snapshots_written_before_the_recipient_rule() -> None:
    iv = make_interview()
    assert iv.event.organizer is not None
    old = _version_1(interview_to_json(iv))
    back = interview_from_json(json.dumps(old))
    # The old primary contact was the organizer: the rule that chose it is known.
    assert back.recipient == iv.event.organizer
    assert back.recipient_rule is RecipientRule.ORGANIZER
    assert back.recipient_detail == ""
    assert dataclasses.replace(back, recipient_rule=iv.recipient_rule) == iv

    other = iv.interviewers[1]
    old["primary_contact"] = old["interviewers"][1]  # type: ignore[index]
    back = interview_from_json(json.dumps(old))
    assert (back.recipient, back.recipient_rule) == (other, RecipientRule.FIRST_REQUIRED)

    old["primary_contact"] = None
    back = interview_from_json(json.dumps(old))
    assert (back.recipient, back.recipient_rule) == (None, None)


def test_unreadable_snapshot_gives_storage_error(tmp_path: Path, sqlite_store: Store) -> None:
    store = sqlite_store
    iv = make_interview()
    store.save_interview(iv, T0)
    with sqlite3.connect(tmp_path / "state.db") as raw:
        raw.execute("UPDATE interviews SET snapshot = '{}'")
    with pytest.raises(StorageError, match=iv.id):
        store.get(iv.id)
