"""The pieces of wording the renderer hands to templates, in each draft language.

Templates hold the letters; what depends on the facts of one interview in a way a template
cannot express cleanly lives here: how to greet someone (first name where the language's
register allows it, never a guess about gender), how to name the position (with French
elision), the interest sentence, and the one question the invitation leaves open.
"""

from __future__ import annotations

import re
from enum import Enum

from interview_outreach.daemon.domain.language import Language
from interview_outreach.daemon.domain.people import ENGLISH_HONORIFICS

NBSP = "\u00a0"  # French puts a no-break space before ? ! : ;


class Question(Enum):
    """The question an outreach may ask, when the invitation leaves it open."""

    HOW_WE_MEET = "how_we_meet"  # no location and no video link
    WHAT_TO_PREPARE = "what_to_prepare"  # a panel: worth asking what to prepare


_QUESTIONS: dict[Language, dict[Question, str]] = {
    Language.EN: {
        Question.HOW_WE_MEET: "Could you let me know whether we will meet by video, by phone "
        "or in person?",
        Question.WHAT_TO_PREPARE: "Is there anything you would like me to prepare before we meet?",
    },
    Language.DE: {
        Question.HOW_WE_MEET: "Könnten Sie mir sagen, ob wir per Video, telefonisch oder vor "
        "Ort sprechen werden?",
        Question.WHAT_TO_PREPARE: "Gibt es etwas, das ich bis zu unserem Gespräch vorbereiten "
        "sollte?",
    },
    Language.FR: {
        Question.HOW_WE_MEET: "Pourriez-vous me préciser si nous échangerons en visioconférence, "
        f"par téléphone ou sur place{NBSP}?",
        Question.WHAT_TO_PREPARE: "Y a-t-il un point que vous souhaiteriez que je prépare avant "
        f"notre entretien{NBSP}?",
    },
    Language.ES: {
        Question.HOW_WE_MEET: "¿Podría indicarme si nos reuniremos por videollamada, por "
        "teléfono o en persona?",
        Question.WHAT_TO_PREPARE: "¿Hay algo que desee que prepare antes de nuestra reunión?",
    },
}

_TITLES = re.compile(rf"^(?:{ENGLISH_HONORIFICS}|sir|dame)\.?$", re.IGNORECASE)
_FRENCH_VOWEL = re.compile(r"^[aeiouyhàâäéèêëîïôöùûüœæ]", re.IGNORECASE)


def first_name(full_name: str) -> str:
    """The first name of ``full_name`` ("Maya" of "Maya Chen"); "" when the name starts with
    a title or an initial ("Dr. Maya Chen", "J. Smith"), so the full name is used instead."""
    words = full_name.split()
    if not words:
        return ""
    first = words[0]
    if _TITLES.match(first) or len(first.rstrip(".")) < 2 or first.endswith("."):
        return ""
    return first


def greeting(language: Language, full_name: str) -> str:
    """The salutation line. English greets by first name; German, French and Spanish keep
    the formal register with the full name, which needs no guess about gender."""
    if language is Language.DE:
        return f"Guten Tag {full_name}," if full_name else "Guten Tag,"
    if language is Language.FR:
        return f"Bonjour {full_name}," if full_name else "Bonjour,"
    if language is Language.ES:
        return f"Hola, {full_name}:" if full_name else "Hola:"
    first = first_name(full_name)
    if first:
        return f"Hi {first},"
    return f"Hello {full_name}," if full_name else "Hello,"


def french_de(word: str) -> str:
    """French "de" before ``word``, elided before a vowel or h: "d'Analyste", "de Data"."""
    return f"d'{word}" if _FRENCH_VOWEL.match(word) else f"de {word}"


def position(language: Language, role: str) -> str:
    """The position, with its article, as the object of a sentence: "the Data Engineer
    position", "die Stelle als Data Engineer", "le poste d'Analyste", "el puesto de ..."."""
    if language is Language.DE:
        return f"die Stelle als {role}" if role else "die ausgeschriebene Stelle"
    if language is Language.FR:
        return f"le poste {french_de(role)}" if role else "le poste à pourvoir"
    if language is Language.ES:
        return f"el puesto de {role}" if role else "el puesto vacante"
    return f"the {role} position" if role else "the open position"


def interest_sentence(language: Language, company: str) -> str:
    """One sentence of genuine interest in the role and the employer."""
    if language is Language.DE:
        who = f"von {company}" if company else "Ihres Teams"
        return f"Die Stelle und die Arbeit {who} interessieren mich sehr."
    if language is Language.FR:
        where = f"de vos équipes chez {company}" if company else "de votre équipe"
        return f"Le poste et le travail {where} m'intéressent vivement."
    if language is Language.ES:
        where = f"que se hace en {company}" if company else "de su equipo"
        return f"Me interesan mucho el puesto y el trabajo {where}."
    if company:
        return f"I am genuinely interested in this role and in the work {company} does."
    return "I am genuinely interested in this role and in the work your team does."


def question_text(language: Language, question: Question | None) -> str:
    """The question in ``language``, or "" for none."""
    return _QUESTIONS[language][question] if question is not None else ""
