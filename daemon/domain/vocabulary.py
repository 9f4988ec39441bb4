"""The words the content rules look for, in each draft language (SPEC section 2).

``banned`` is what no draft may mention (pay, benefits, personal matters, a casual tone —
in German, French and Spanish that includes the familiar "du" / "tu" / "tú" forms, since
drafts address a stranger formally). The others are what a draft must contain: thanks,
interest, and for a thank-you a question about the next steps and one about the timeline.
A draft is checked against its own language's words and the English ones: English
loanwords ("Benefits", "cool", "Bonus") are as out of place in a German draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interview_outreach.daemon.domain.language import Language
from interview_outreach.daemon.domain.patterns import rx


@dataclass(frozen=True)
class Vocabulary:
    """One language's words for the content rules."""

    banned: re.Pattern[str]
    thanks: re.Pattern[str]
    interest: re.Pattern[str]
    next_steps: re.Pattern[str]
    timeline: re.Pattern[str]
    sign_offs: re.Pattern[str]


# Casual marks in any language: "!!", smileys.
_CASUAL_MARKS = r"|!{2,}|:\)|;\)|:-\)|:D\b"

VOCABULARIES: dict[Language, Vocabulary] = {
    Language.EN: Vocabulary(
        # Word boundaries keep "payment team" and "company" safe.
        banned=rx(
            r"\b(salary|salaries|compensation|pay|paid|payment|wages?|bonus(es)?|equity|"
            r"stock options?|benefits?|perks?|vacation|holidays?|pto|remote allowance|pension|"
            r"relocation package|married|children|kids|age|religion|pregnan\w*|health|"
            r"visa status|hey|hiya|gonna|wanna|cheers|lol|btw|thx|awesome|super excited|cool)\b"
            + _CASUAL_MARKS
        ),
        thanks=rx(r"\b(thank(s| you)|grateful|appreciate[ds]?|appreciation)\b"),
        interest=rx(
            r"\b(interest(ed)?|excited|excitement|enthusias(m|tic)|keen|eager|look(ing)? forward|"
            r"motivated|delighted)\b"
        ),
        next_steps=rx(
            r"\bnext (steps?|stages?|round)\b|\bwhat (comes|happens) next\b|\bhow the process\b"
        ),
        timeline=rx(
            r"\b(timeline|time ?frame|timescales?|timing|how long|by when)\b|"
            r"\bwhen\b.*\b(hear|decision|decide|expect)"
        ),
        sign_offs=rx(
            r"^(best regards|kind regards|regards|best|sincerely|thank you|many thanks|"
            r"warm regards),?$"
        ),
    ),
    Language.DE: Vocabulary(
        banned=rx(
            r"\b(gehalt|gehälter|gehalts\w*|vergütung\w*|bezahlung|lohn|löhne|bonus|boni|"
            r"prämien?|sozialleistungen|zusatzleistungen|urlaub\w*|betriebsrente|rente|"
            r"aktienoptionen|firmenwagen|dienstwagen|verheiratet|kinder|alter|religion|"
            r"schwanger\w*|gesundheit\w*|familienplanung|aufenthaltstitel|"
            r"du|dich|dir|dein\w*|euch|euer|eure\w*|hi|hey|servus|moin|tschüss|ciao|"
            r"lg|vg|krass|supercool)\b" + _CASUAL_MARKS
        ),
        thanks=rx(r"\b(danke\w*|dank|bedanke\w*|dankbar\w*)\b"),
        interest=rx(
            r"\b(interesse\w*|interessiert\w*|interessier\w*|freue mich|freuen uns|"
            r"begeister\w*|motiviert|gespannt)\b"
        ),
        next_steps=rx(
            r"\b(nächsten? schritte?|weitere[n]? (vorgehen|ablauf|schritte)|wie es (\w+ ){0,3}weitergeht|"
            r"nächste[n]? (runde|phase|etappe))\b"
        ),
        timeline=rx(
            r"\b(zeitrahmen|zeitliche[nr]? rahmen|zeitplan|bis wann)\b|"
            r"\bwann\b.*\b(rechnen|hören|entscheidung|rückmeldung|melden)"
        ),
        sign_offs=rx(
            r"^(mit freundlichen grüßen|freundliche grüße|beste grüße|viele grüße|"
            r"mit besten grüßen|freundliche grüsse|mit freundlichen grüssen),?$"
        ),
    ),
    Language.FR: Vocabulary(
        banned=rx(
            r"\b(salaires?|rémunérations?|rétribution|paie|paye|primes?|bonus|"
            r"avantages sociaux|avantages en nature|mutuelle|congés|vacances|rtt|retraite|"
            r"stock-options?|actions gratuites|mariée?|enfants|âge|religion|enceinte|"
            r"grossesse|santé|titre de séjour|"
            r"tu|toi|ton|ta|tes|salut|coucou|bises|bisous|mdr|stp|cool|trop bien)\b" + _CASUAL_MARKS
        ),
        thanks=rx(r"\b(merci|remercie\w*|remerciements?|reconnaissante?)\b"),
        interest=rx(
            r"\b(intéress\w*|intérêt|enthousias\w*|motivée?|hâte|impatiente?|me réjouis)\b"
        ),
        next_steps=rx(
            r"\b(prochaines? étapes?|suite du processus|suite de la procédure|"
            r"prochain (tour|entretien))\b"
        ),
        timeline=rx(
            r"\b(calendrier|délais?|échéances?|échéancier)\b|"
            r"\bquand\b.*\b(décision|retour|nouvelles|réponse)"
        ),
        sign_offs=rx(
            r"^(cordialement|bien cordialement|bien à vous|sincères salutations|"
            r"meilleures salutations|salutations distinguées),?$"
        ),
    ),
    Language.ES: Vocabulary(
        banned=rx(
            r"\b(salarios?|sueldos?|remuneración|retribución|compensación|paga|pagos?|bonos?|"
            r"beneficios|prestaciones|vacaciones|jubilación|pensión|stock options|"
            r"casad[oa]|hijos|edad|religión|embarazo|embarazada|salud|visado|"
            r"tú|tu|tus|te|ti|contigo|guay|jaja\w*|besos|un abrazo|qué tal)\b" + _CASUAL_MARKS
        ),
        thanks=rx(r"\b(gracias|agradec\w*|agradezco)\b"),
        interest=rx(
            r"\b(interés|interes\w*|entusiasm\w*|ilusión|motivad[oa]|ganas|"
            r"espero con)\b"
        ),
        next_steps=rx(
            r"\b(próximos pasos|siguientes pasos|próxima (etapa|fase)|siguiente (etapa|fase)|"
            r"cómo (sigue|continúa) el proceso)\b"
        ),
        timeline=rx(
            r"\b(plazos?|calendario|fechas previstas)\b|"
            r"\bcuándo\b.*\b(decisión|respuesta|noticias|saber)"
        ),
        sign_offs=rx(
            r"^(atentamente|un cordial saludo|saludos cordiales|cordialmente|"
            r"reciba un cordial saludo|un saludo),?$"
        ),
    ),
}


def banned_topics(text: str, language: Language) -> list[str]:
    """What ``text`` mentions that no draft may, in ``language`` or English, sorted."""
    found = {m.group(0).lower() for m in VOCABULARIES[language].banned.finditer(text)}
    if language is not Language.EN:
        found |= {m.group(0).lower() for m in VOCABULARIES[Language.EN].banned.finditer(text)}
    return sorted(found)


def is_sign_off(line: str) -> bool:
    """Whether ``line`` closes a letter in any of the languages ("Best regards,", ...)."""
    return any(vocabulary.sign_offs.match(line) for vocabulary in VOCABULARIES.values())
