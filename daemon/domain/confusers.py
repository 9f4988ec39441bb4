"""Events worded like job interviews that are not the user's job interviews.

Research, usability and customer "interviews", podcast and press interviews, exit and
appraisal interviews, interviewer training, hiring-side debriefs and practice interviews,
in English, German, French and Spanish. ``TITLE_VETOES`` decide from the title alone;
``CONTEXT_VETOES`` from the description when nothing in it addresses the user as a
candidate ("your application", "Ihre Bewerbung", ...).
"""

from __future__ import annotations

import re

from interview_outreach.daemon.domain.patterns import rx

_RESEARCH = (
    r"\b(?:user|customer|client|research|usability|discovery|stakeholder|ux|product|expert|"
    r"participant)[ -](?:interview|research|study|session|test|testing|call)s?\b|"
    r"\buser research\b|\busability\b|\buser (?:study|testing)\b|\bresearch (?:study|participant)\b|"
    r"(?<!case )\bstud(?:y|ies)\b|\bdiary study\b|\bfocus group|\bcard sort|\bbeta test|"
    r"\bstudie\b|\bfokusgruppe|\bgroupe de discussion\b|\bgrupo focal\b|"
    r"\bnutzer(?:innen)?interview|\bkunden(?:innen)?interview|\bnutzer(?:studie|test|befragung)|"
    r"\busability-test|\bkundengespr[äa]ch|\bexpert(?:en)?(?:interview|gespr[äa]ch)|"
    r"\b(?:entretien|interview|test|[ée]tude)s? (?:utilisateurs?|clients?|usagers?)\b|"
    r"\bentrevistas? (?:de|con|a) (?:usuari[oa]s?|clientes?)\b|"
    r"\b(?:prueba|test|estudio)s? de (?:usabilidad|usuari[oa]s?)\b|\binvestigaci[óo]n de usuari"
)
_PRESS = (
    r"\bpodcast|\b(?:press|media|radio|tv|magazine|newspaper|presse|prensa|medien)[ -]"
    r"(?:interview|entrevista|gespr[äa]ch|entretien)|"
    r"\binterview (?:with|for) (?:the )?(?:press|media|radio|tv|podcast|magazine|newspaper|blog)\b|"
    r"\bjournalist|\bperiodista|\breportage\b|\bon the record\b|\bfor (?:our|the|an?) "
    r"(?:feature|article|story|piece|episode|show|newsletter|blog post)\b|"
    r"\bf[üu]r (?:unseren?|den|die|das) (?:artikel|beitrag|podcast|blog)\b|"
    r"\bpour (?:notre|l['’]|un) (?:article|[ée]mission|[ée]pisode)\b|"
    r"\bpara (?:nuestro|el|un) (?:art[íi]culo|episodio|programa|reportaje)\b"
)
_EXIT = (
    r"\bexit[ -](?:interview|conversation|survey)|\bleaver(?:s)? interview|\boffboarding\b|"
    r"austrittsgespr[äa]ch|\bexit-gespr[äa]ch|"
    r"entretien (?:de (?:d[ée]part|sortie)|annuel|individuel|professionnel|d['’][ée]valuation|"
    r"de fin d['’]ann[ée]e|pr[ée]alable)|"
    r"entrevistas? (?:de (?:salida|egreso|desvinculaci[óo]n|desempe[ñn]o))|"
    r"\bmitarbeitergespr[äa]ch|\bjahresgespr[äa]ch|\bperformance review\b|\bappraisal\b|"
    r"\bstay interview\b|\breference (?:check|call)|\breferenzgespr[äa]ch|"
    r"\bprise de r[ée]f[ée]rences\b|\bverificaci[óo]n de referencias\b"
)
_TRAINING = (
    r"\binterview(?:er|ing)?s? (?:skills )?(?:training|certification|calibration|workshop|"
    r"onboarding|shadow(?:ing)?|course)\b|\binterviewer (?:calibration|onboarding|shadow|"
    r"certification|training)|\bstructured interviewing\b|\bhow to interview\b|"
    r"\binterviewer-?schulung|\binterview-?(?:training|schulung)|\bschulung\b|"
    r"\bformation (?:des |aux |à l['’])?(?:recruteurs|intervieweurs|entretiens?)|"
    r"\bcalibration\b|\bkalibrierung|"
    r"\bcapacitaci[óo]n\b|\b(?:taller|entrenamiento|formaci[óo]n) (?:para |de )?"
    r"(?:entrevistadores|entrevistas)"
)
_DEBRIEF = (
    r"(?<!take-home )(?<!take home )(?<!case )(?<!exercise )\bd[ée]brief|"
    r"\bnachbesprechung|\bhiring (?:committee|sync|decision)\b|\bscorecard|"
    r"\binterview (?:loop )?(?:planning|kick-?off|prep(?:aration)? (?:for|with) (?:the )?"
    r"(?:panel|interviewers))\b|\breuni[óo]n de evaluaci[óo]n\b|"
    r"\binterview feedback\b|\bfeedback (?:session|round|call)\b|\bfeedbackrunde|"
    r"\bretours? (?:d['’]|sur l['’])entretien|\bevaluaci[óo]n de candidat"
)
_NETWORKING = (
    r"\binformational interview|\binformation(?:al)? (?:chat|call)\b|\bcoffee chat\b|"
    r"\bnetworking\b|\bentretien (?:informatif|r[ée]seau)|\bentrevista informativa\b|"
    r"\binformationsgespr[äa]ch\b|\bmentor(?:ing|ship)\b"
)
_PRACTICE = r"\bmock interview|\bpractice (?:interview|session)|\bcoaching\b|\binterview prep"
_EVENTS = (
    r"\bwebinar\b|\bmeetup\b|(?<!video )\bconference\b(?! call)|\bkonferenz\b|\bsummit\b|\bkeynote\b|"
    r"\bhackathon\b|\bcareer fair\b|\bjob fair\b|\bpanel (?:discussion|debate|talk)\b|"
    r"\bpodiumsdiskussion|\btable ronde\b|\bmesa redonda\b|\bfireside chat\b|"
    r"\bjobmesse|\bsalon (?:de l['’]emploi|du recrutement)|\bferia de empleo"
)

TITLE_VETOES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("exit or appraisal interview", rx(_EXIT)),
    ("user or customer research", rx(_RESEARCH)),
    ("podcast, press or media", rx(_PRESS)),
    ("interviewer training", rx(_TRAINING)),
    ("debrief", rx(_DEBRIEF)),
    ("networking, not a job interview", rx(_NETWORKING)),
    ("interview practice", rx(_PRACTICE)),
    ("webinar or event", rx(_EVENTS)),
)

# Description words that show the user is a research participant, a source or a trainee.
CONTEXT_VETOES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "user or customer research",
        rx(
            _RESEARCH + r"|\b(?:gift card|voucher|incentive|gutschein|bon d['’]achat|"
            r"tarjeta regalo|carte cadeau)\b|\bno right or wrong answers\b|"
            r"\bkeine richtigen oder falschen\b|\bpas de bonnes? ou (?:de )?mauvaises?\b|"
            r"\bno hay respuestas (?:correctas|buenas)\b|\bsurvey\b|\bumfrage\b|\benqu[êe]te\b|"
            r"\bencuesta\b|\bexpert network\b|\bhonorari(?:um|o)\b"
        ),
    ),
    ("podcast, press or media", rx(_PRESS)),
    ("exit or appraisal interview", rx(_EXIT)),
    ("interviewer training", rx(_TRAINING)),
    ("networking, not a job interview", rx(_NETWORKING)),
)
