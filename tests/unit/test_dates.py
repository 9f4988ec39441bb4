"""Dates, times and zones in each draft language, from the program's own tables."""

from __future__ import annotations

import locale
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.domain import timing
from interview_outreach.daemon.domain.dates import format_day, format_when, weekday_name, zone_label
from interview_outreach.daemon.domain.language import Language

BERLIN = ZoneInfo("Europe/Berlin")
WINTER = datetime(2026, 12, 8, 13, tzinfo=UTC)  # Tuesday, 14:00 in Berlin
SUMMER = datetime(2027, 7, 1, 7, 30, tzinfo=UTC)  # Thursday, 09:30 in Berlin


@pytest.mark.parametrize(
    ("language", "at", "when", "day"),
    [
        (Language.EN, WINTER, "Tuesday, 8 December 2026 at 14:00 CET", "Tuesday, 8 December"),
        (Language.DE, WINTER, "Dienstag, 8. Dezember 2026, um 14:00 Uhr MEZ", "Dienstag, 8. Dezember"),
        (Language.DE, SUMMER, "Donnerstag, 1. Juli 2027, um 09:30 Uhr MESZ", "Donnerstag, 1. Juli"),
        (Language.FR, WINTER, "mardi 8 décembre 2026 à 14 h 00 CET", "mardi 8 décembre"),
        (Language.FR, SUMMER, "jeudi 1er juillet 2027 à 9 h 30 CEST", "jeudi 1er juillet"),
        (Language.ES, WINTER, "martes 8 de diciembre de 2026 a las 14:00 CET", "martes 8 de diciembre"),
        (Language.ES, SUMMER, "jueves 1 de julio de 2027 a las 09:30 CEST", "jueves 1 de julio"),
    ],
)  # fmt: skip
def test_dates_in_each_language(language: Language, at: datetime, when: str, day: str) -> None:
    assert format_when(at, BERLIN, language) == when
    assert format_day(at, BERLIN, language) == day


def test_spanish_says_a_la_una() -> None:
    one = datetime(2026, 12, 8, 0, 15, tzinfo=UTC)  # 01:15 in Berlin
    assert format_when(one, BERLIN, Language.ES).endswith("a la 01:15 CET")


def test_a_zone_without_an_abbreviation_is_named_in_each_language() -> None:
    dubai = ZoneInfo("Asia/Dubai")
    assert zone_label(WINTER, dubai, Language.EN) == "Asia/Dubai time (UTC+04)"
    assert zone_label(WINTER, dubai, Language.DE) == "(Zeitzone Asia/Dubai, UTC+04)"
    assert zone_label(WINTER, dubai, Language.FR) == "(fuseau horaire Asia/Dubai, UTC+04)"
    assert zone_label(WINTER, dubai, Language.ES) == "(zona horaria Asia/Dubai, UTC+04)"


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Dubai", "America/Sao_Paulo"])
def test_english_reads_as_the_status_table_does(zone: str) -> None:
    tz = ZoneInfo(zone)
    assert format_when(WINTER, tz, Language.EN) == timing.format_when(WINTER, tz)


def test_the_operating_systems_locale_plays_no_part() -> None:
    before = locale.setlocale(locale.LC_TIME)
    try:
        for name in ("de_DE.UTF-8", "fr_FR.UTF-8", "C.UTF-8"):
            try:
                locale.setlocale(locale.LC_TIME, name)
            except locale.Error:
                continue
            assert weekday_name(WINTER, BERLIN, Language.ES) == "martes"
            assert format_day(WINTER, BERLIN, Language.EN) == "Tuesday, 8 December"
    finally:
        locale.setlocale(locale.LC_TIME, before)
