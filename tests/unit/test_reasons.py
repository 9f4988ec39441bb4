"""Action reasons are enum members everywhere but in the database and the output."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.domain.model import (
    ActionKind,
    ActionRecord,
    ActionState,
    Reason,
    SkipReason,
)
from interview_outreach.daemon.report import status_json
from interview_outreach.daemon.store.records import TrackedInterview, reason_from_row, reason_to_row
from interview_outreach.daemon.store.repository import Store
from interview_outreach.daemon.store.sqlite_reader import read_status
from tests.unit.test_store import T0, T1, make_interview

EVERY_REASON = [*SkipReason, *Reason]


def test_the_two_reason_enums_share_no_code() -> None:
    assert not {r.value for r in SkipReason} & {r.value for r in Reason}


@pytest.mark.parametrize("reason", EVERY_REASON, ids=str)
def test_a_known_code_reads_as_its_member(reason: SkipReason | Reason) -> None:
    assert reason_to_row(reason) == reason.value
    assert type(reason_to_row(reason)) is str
    code, detail = reason_from_row(reason.value, "why")
    assert code is reason and detail == "why"


@pytest.mark.parametrize("code", [None, ""])
def test_no_code_reads_as_no_reason(code: str | None) -> None:
    assert reason_from_row(code, "why") == (None, "why")


def test_an_unknown_code_reads_as_no_reason_and_stays_in_the_detail() -> None:
    assert reason_from_row("snoozed", "until Monday") == (None, "snoozed: until Monday")
    assert reason_from_row("snoozed", "") == (None, "snoozed")


@pytest.mark.parametrize("reason", EVERY_REASON, ids=str)
def test_every_reason_round_trips_through_the_store(
    tmp_path: Path, reason: SkipReason | Reason
) -> None:
    interview = make_interview()
    record = ActionRecord(ActionKind.OUTREACH, "", state=ActionState.SKIPPED, reason=reason)
    with Store(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.save_interview(interview, T0)
        store.save_action(interview.id, record, T1)
        (back,) = store.actions(interview.id)
    assert back.reason is reason
    with sqlite3.connect(tmp_path / "state.db") as raw:
        assert raw.execute("SELECT reason FROM actions").fetchall() == [(reason.value,)]


def test_an_unknown_stored_code_is_read_without_error(tmp_path: Path) -> None:
    """A code written by a newer version: every reader takes the row, none raises."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    interview = make_interview()
    record = ActionRecord(
        ActionKind.OUTREACH, "", state=ActionState.SKIPPED, reason=Reason.MISSED, detail="late"
    )
    with Store(url) as store:
        store.save_interview(interview, T0)
        store.save_action(interview.id, record, T1)
    with sqlite3.connect(tmp_path / "state.db") as raw:
        raw.execute("UPDATE actions SET reason = 'snoozed'")
    expected = (None, "snoozed: late")
    with Store(url) as store:
        (back,) = store.actions(interview.id)
        tracked = store.get(interview.id)
    assert (back.reason, back.detail) == expected
    assert tracked is not None and tracked.actions == (back,)
    view = read_status(url)
    assert view is not None
    (seen,) = view.interviews[0].actions
    assert (seen.reason, seen.detail) == expected
    shown = status_json(view.interviews, ZoneInfo("UTC"))
    assert shown["interviews"][0]["actions"]["outreach"]["reason"] is None  # type: ignore[index]


def test_status_json_prints_the_code_as_plain_text() -> None:
    interview = make_interview()
    record = ActionRecord(
        ActionKind.FOLLOWUP, "", state=ActionState.CANCELLED, reason=Reason.REPLIED
    )
    tracked = TrackedInterview(interview, (record,), T0, T1, gone=False)
    shown = status_json([tracked], ZoneInfo("UTC"))
    followup = shown["interviews"][0]["actions"]["followup"]  # type: ignore[index]
    assert type(followup["reason"]) is str
    assert '"reason": "replied"' in json.dumps(shown)
