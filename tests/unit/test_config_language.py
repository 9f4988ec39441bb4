"""``language`` in ``[profile]`` and in an account, and highlights per language (SPEC §5)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.config import Config, parse_config
from interview_outreach.daemon.context import plan_context
from interview_outreach.daemon.domain.interviews import recognize
from interview_outreach.daemon.domain.language import Language
from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    Interview,
    Participant,
    UserIdentity,
)
from interview_outreach.daemon.domain.rules import Rules
from interview_outreach.daemon.errors import ConfigError

ENV = {"TZ": "Europe/Berlin"}


@pytest.fixture(autouse=True)
def _folders(tmp_path: Path) -> None:
    (tmp_path / "cal").mkdir()
    (tmp_path / "mail").mkdir()


def account(name: str, **keys: object) -> dict[str, Any]:
    return {
        "name": name, "provider": "local", "address": f"{name}@example.org",
        "calendar": "cal", "maildir": "mail", **keys,
    }  # fmt: skip


def config(tmp_path: Path, profile: dict[str, Any], *accounts: dict[str, Any]) -> Config:
    data = {"profile": {"name": "Ada Lovelace", **profile}, "accounts": list(accounts)}
    return parse_config(copy.deepcopy(data), base_dir=tmp_path, env=ENV)


def problems(tmp_path: Path, profile: dict[str, Any], *accounts: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config(tmp_path, profile, *accounts)
    return caught.value.problems


def german_interview(account_name: str) -> Interview:
    start = datetime(2026, 12, 10, 13, tzinfo=UTC)
    jana = Participant("jana.roth@kranich.de", "Jana Roth")
    event = CalendarEvent(
        uid="k", title="Vorstellungsgespräch – Data Engineer (m/w/d)", start=start,
        end=start + timedelta(hours=1), description="Wir freuen uns auf das Gespräch mit Ihnen.",
        organizer=jana, attendees=(jana, Participant("ada@example.org")),
    )  # fmt: skip
    user = UserIdentity("Ada", frozenset({"ada@example.org"}), ZoneInfo("Europe/Berlin"))
    found = recognize(event, account=account_name, user=user, rules=Rules())
    assert found is not None
    return found


def test_by_default_drafts_follow_the_invitation(tmp_path: Path) -> None:
    loaded = config(tmp_path, {}, account("home"))
    assert loaded.profile.language == "auto"
    assert plan_context(loaded).language_of(german_interview("home")) is Language.DE


def test_the_profile_fixes_the_language_for_every_account(tmp_path: Path) -> None:
    loaded = config(tmp_path, {"language": "fr"}, account("home"), account("work"))
    context = plan_context(loaded)
    assert context.language_of(german_interview("home")) is Language.FR
    assert context.language_of(german_interview("work")) is Language.FR


def test_an_account_overrides_the_profile(tmp_path: Path) -> None:
    loaded = config(
        tmp_path, {"language": "en"}, account("home"), account("work", language="auto"),
        account("spain", language="ES"),
    )  # fmt: skip
    context = plan_context(loaded)
    assert [a.language for a in loaded.accounts] == [None, "auto", "es"]
    assert context.language_of(german_interview("home")) is Language.EN
    assert context.language_of(german_interview("work")) is Language.DE
    assert context.language_of(german_interview("spain")) is Language.ES


@pytest.mark.parametrize("where", ["profile", "account"])
def test_another_language_is_one_clear_line(tmp_path: Path, where: str) -> None:
    if where == "profile":
        found = problems(tmp_path, {"language": "it"}, account("home"))
        key = "profile.language"
    else:
        found = problems(tmp_path, {}, account("home", language="german"))
        key = "accounts[0].language"
    assert found == [
        f'{key}: "{"it" if where == "profile" else "german"}" is not a language the drafts can '
        'be written in; use one of "auto", "en", "de", "fr", "es" ("auto" writes each draft in '
        "the language of its invitation)"
    ]


def test_highlights_per_language(tmp_path: Path) -> None:
    loaded = config(
        tmp_path,
        {"highlights": ["eight years of Python"], "highlights_de": ["acht Jahre Python"]},
        account("home"),
    )
    assert loaded.profile.highlights_in(Language.DE) == ("acht Jahre Python",)
    assert loaded.profile.highlights_in(Language.FR) == ("eight years of Python",)
    context = plan_context(loaded)
    assert context.highlights_in(Language.DE) == ("acht Jahre Python",)
    assert context.highlights_in(Language.EN) == ("eight years of Python",)
    assert problems(tmp_path, {"highlights_fr": ["a", "b", "c"]}, account("home")) == [
        "profile.highlights_fr: 3 facts given; keep the 2 strongest "
        "(a thank-you note mentions one or two)"
    ]
