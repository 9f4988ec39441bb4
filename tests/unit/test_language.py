"""Which language an invitation is written in (SPEC section 2, "language")."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.domain.language import (
    AUTO,
    LANGUAGE_SETTINGS,
    Language,
    choose_language,
    detect_language,
)
from interview_outreach.daemon.domain.model import UserIdentity
from interview_outreach.providers.local.ics import events_from_ics

EVENTS = Path(__file__).resolve().parents[1] / "data" / "events"

TEAMS_FOOTER_EN = (
    "\n________________________________________________________________________________\n"
    "Microsoft Teams meeting\nJoin on your computer, mobile app or room device\n"
    "Click here to join the meeting<https://teams.microsoft.com/l/meetup-join/x>\n"
    "Meeting ID: 318 442 907 615\nPasscode: Qm7Vx3\n"
    "Download Teams | Join on the web\nLearn More | Meeting options\n"
)


@pytest.mark.parametrize(
    ("title", "description", "language"),
    [
        # English, British and American.
        ("Interview: Data Engineer at Acme", "We look forward to meeting you.", Language.EN),
        ("Technical interview", "Please join us for the second round with the hiring team.", Language.EN),
        # German: Germany, Austria, Switzerland (no ß), without umlauts.
        ("Vorstellungsgespräch – Data Engineer (m/w/d)", "", Language.DE),
        ("Bewerbungsgespräch", "Wir freuen uns auf das Gespräch mit Ihnen.", Language.DE),
        ("Data Scientist (w/m/d) – Ada Lovelace", "Grüezi Frau Lovelace, gerne laden wir Sie zu einem Gespräch ein. Freundliche Grüsse", Language.DE),
        ("Vorstellungsgespraech Backend", "Vielen Dank fuer Ihre Bewerbung.", Language.DE),
        # French: France, Belgium, Canada (entrevue, courriel), Switzerland.
        ("Entretien d'embauche – Analyste BI", "", Language.FR),
        ("Entrevue d'embauche", "Vous recevrez un courriel de confirmation avec le lien.", Language.FR),
        ("Premier échange", "Merci pour votre candidature au poste de développeuse.", Language.FR),
        # Spanish: Spain, Mexico, Argentina, Colombia, without accents.
        ("Entrevista técnica – Ingeniera de Datos", "", Language.ES),
        ("Entrevista de trabajo", "Le confirmamos la entrevista para la vacante de analista.", Language.ES),
        ("Primera llamada con RR. HH.", "Gracias por tu postulación, te compartimos los detalles.", Language.ES),
        ("Entrevista tecnica", "Nos da gusto invitarle al proceso de seleccion para el puesto.", Language.ES),
        # Nothing to tell by: English.
        ("", "", Language.EN),
        ("Ada / Tom", "", Language.EN),
        ("Intervista di lavoro", "Siamo lieti di invitarla a un colloquio.", Language.EN),
    ],
)  # fmt: skip
def test_the_language_of_sample_invitations(
    title: str, description: str, language: Language
) -> None:
    assert detect_language(title, description) is language


def test_an_english_meeting_footer_does_not_outweigh_a_german_invitation() -> None:
    description = "Wir freuen uns auf das Gespräch mit Ihnen." + TEAMS_FOOTER_EN * 3
    assert detect_language("Vorstellungsgespräch", description) is Language.DE


def test_a_name_shared_by_french_and_spanish_does_not_decide() -> None:
    # "de la" belongs to both French and Spanish: neither wins, English stays.
    assert detect_language("Interview with Laura de la Fuente", "") is Language.EN


def test_a_huge_description_is_read_only_in_part() -> None:
    description = "Wir freuen uns auf das Gespräch. " * 200 + "the and for with you " * 50_000
    assert detect_language("Interview", description) is Language.DE


def _expected(name: str) -> Language:
    known = {
        "alpenbyte": Language.DE, "fjordlicht": Language.DE, "kurbelwerk": Language.DE,
        "stahlberg": Language.DE, "lumiere": Language.FR, "vauban": Language.FR,
        "quetzalpay": Language.ES, "solvia": Language.ES,
    }  # fmt: skip
    regional = re.match(r"b-(de|fr|es)-", name)
    if regional:
        return Language(regional.group(1))
    return known.get(name.split("-", 1)[0], Language.EN)


def test_every_invitation_of_the_corpus_is_in_its_language() -> None:
    """The corpus holds invitations from Germany, Austria, Switzerland, France, Belgium,
    Canada, Spain, Mexico, Argentina, Chile and Colombia, and English ones with footers."""
    user = UserIdentity("Ada Lovelace", frozenset({"ada@analytical.io"}), ZoneInfo("Europe/London"))
    window = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))
    wrong = []
    files = sorted(EVENTS.glob("*.ics"))
    for path in files:
        for event in events_from_ics(path.read_bytes(), user, *window)[:1]:
            found = detect_language(event.title, event.description)
            if found is not _expected(path.name):
                wrong.append(f"{path.name}: {found.value}")
    assert len(files) > 150
    assert wrong == []


def test_the_setting_fixes_the_language_or_follows_the_invitation() -> None:
    german = ("Vorstellungsgespräch", "Wir freuen uns auf Sie.")
    assert choose_language(AUTO, *german) is Language.DE
    assert choose_language("fr", *german) is Language.FR
    assert choose_language("en", *german) is Language.EN
    assert LANGUAGE_SETTINGS == ("auto", "en", "de", "fr", "es")
