"""Which language an invitation is written in: English, German, French or Spanish.

A small scored guess, pure and bounded: the title and description are cut into words
(accents folded, so "Gespräch", "Gesprach" and "Gespraech" count alike), and each word that
belongs to only one of the four languages — common function words, and the vocabulary of
hiring, which counts more — adds to that language's score. The title counts twice: it is
short and chosen by a person. Lines of video-call boilerplate and web addresses are left
out, since a meeting tool may add them in another language than the invitation's. Without a
clear winner the answer is English.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Language(StrEnum):
    """A language drafts can be written in (its ISO 639-1 code)."""

    EN = "en"
    DE = "de"
    FR = "fr"
    ES = "es"


AUTO = "auto"
"""The language setting that follows each invitation's own language."""

LANGUAGE_SETTINGS: tuple[str, ...] = (AUTO, *(language.value for language in Language))
"""Every value ``language`` may take in the configuration."""

_TEXT_LIMIT = 6_000  # enough to tell a language apart; hostile descriptions stay cheap
_TITLE_WEIGHT = 2
_HIRING_WEIGHT = 2


def words(text: str) -> frozenset[str]:
    """The words of ``text``, split at white space: a word list written as one string."""
    return frozenset(text.split())


# Words that belong to one of the four languages only. Words two of them share ("de",
# "la", "en", "que", "un", "in", "am", "position", "rôle"/"role") are deliberately absent.
_FUNCTION_WORDS: dict[Language, frozenset[str]] = {
    Language.EN: words(
        "the and for with you your we our will of to is are be this that at on please "
        "looking forward meet meeting join call thanks thank regards best would like "
        "who which about from have has been look speak chat"
    ),
    Language.DE: words(
        "und der die das den dem des mit fur fuer wir sie ihr ihre ihnen ihren ist sind "
        "nicht auf zu bei ein eine einen einem uns unser unsere unserem bitte freuen "
        "freundliche grusse gruesse uhr um vom zum zur uber ueber oder auch sich gerne "
        "gern herzlichen vielen dank termin sehr geehrte geehrter hallo gruezi "
        "wird werden haben hat dass noch"
    ),
    Language.FR: words(
        "le les des du et pour avec nous vous votre vos est sont sur au aux une dans "
        "par ce cette qui ne pas merci bonjour cordialement heure serait notre "
        "plaisir rencontre avons tout toute"
    ),
    Language.ES: words(
        "el los las del y para con nosotros usted ustedes su sus esta estan por una "
        "lo al muy gracias saludos hola mas como este nuestro nuestra nuestros "
        "atentamente cordial estaremos"
    ),
}

_HIRING_WORDS: dict[Language, frozenset[str]] = {
    Language.EN: words("hiring onsite round screen technical opening vacancy applied"),
    Language.DE: words(
        "gesprach gespraech bewerbung stelle kennenlernen einladung bewerber "
        "bewerberin karriere personalabteilung probetag kandidat kandidatin "
        "telefoninterview videointerview stellenantritt"
    ),
    Language.FR: words(
        "entretien entrevue embauche poste candidature candidat recrutement echange "
        "visioconference rendez ressources humaines talents courriel"
    ),
    Language.ES: words(
        "entrevista puesto vacante candidato seleccion proceso empleo trabajo "
        "contratacion reclutamiento postulacion oferta llamada"
    ),
}

# German joins words: "Vorstellungsgespräch", "Bewerbungsgespräch", "Stellenangebot".
_GERMAN_ENDINGS = ("gesprach", "gespraech", "bewerbung", "stelle", "interview")

# Lines a meeting tool adds (Teams, Zoom, Meet, Webex) in whatever language it is set to.
_BOILERPLATE = re.compile(
    r"https?://|www\.|teams|zoom|google meet|webex|meeting id|passcode|dial|"
    r"[-_=]{8,}",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W\d_]+")


def detect_language(title: str, description: str) -> Language:
    """The language ``title`` and ``description`` are written in; English when unclear."""
    scores = dict.fromkeys(Language, 0)
    for text, weight in ((title, _TITLE_WEIGHT), (_without_boilerplate(description), 1)):
        for word in _WORDS.findall(_fold(text[:_TEXT_LIMIT])):
            for language in Language:
                scores[language] += weight * _word_score(language, word)
    best = max(scores.values())
    leaders = [language for language, score in scores.items() if score == best]
    if best == 0 or len(leaders) > 1:
        return Language.EN
    return leaders[0]


def choose_language(setting: str, title: str, description: str) -> Language:
    """The drafts' language: fixed by ``setting``, or the invitation's when it is ``auto``."""
    if setting == AUTO:
        return detect_language(title, description)
    return Language(setting)


def highlights_for(
    language: Language,
    highlights: tuple[str, ...],
    translated: tuple[tuple[Language, tuple[str, ...]], ...],
) -> tuple[str, ...]:
    """The highlights a draft in ``language`` mentions: those ``translated`` holds for it,
    else ``highlights``."""
    return dict(translated).get(language, highlights)


def _word_score(language: Language, word: str) -> int:
    if word in _HIRING_WORDS[language]:
        return _HIRING_WEIGHT
    if word in _FUNCTION_WORDS[language]:
        return 1
    if language is Language.DE and len(word) > 10 and word.endswith(_GERMAN_ENDINGS):
        return _HIRING_WEIGHT
    return 0


def _without_boilerplate(description: str) -> str:
    lines = description[:_TEXT_LIMIT].splitlines()
    return "\n".join(line for line in lines if not _BOILERPLATE.search(line))


def _fold(text: str) -> str:
    """Lower case without accents: "Gespräch" → "gesprach", "Selección" → "seleccion"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
