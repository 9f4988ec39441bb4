"""How invitations name the stages of a hiring process, in English, German, French and Spanish.

Three vocabularies: ``STAGE`` names a selection stage on its own ("Vorstellungsgespräch",
"Assessment centre", "Probetag", "étude de cas", "prueba técnica"); ``LOOSE_STAGE`` is a
meeting word that a hiring context turns into one ("Intro call", "Kennenlernen",
"échange"); ``SCREEN`` is how a short preliminary call is worded (used for
``brief_screening`` together with the duration). ``CANDIDATE`` finds words addressed to a
candidate ("your application", "Ihre Bewerbung", "votre candidature", "tu postulación").
"""

from __future__ import annotations

from interview_outreach.daemon.domain.patterns import rx

STAGE = rx(
    # English
    r"\b(?:job[ -]?)?interviews?\b|\binterviewing\b|\bon-?site(?: loop)?\b|\binterview loop\b|"
    r"\bloop\b|\bsuper ?day\b|"
    r"\b(?:phone|telephone|technical|tech|initial|recruiter|hr|video|first)[ -]screen(?:ing)?\b|"
    r"\bscreening (?:call|interview|chat)\b|\bpre-?screen(?:ing)?\b|"
    r"\bfinal[ -](?:round|stage)\b|\b(?:first|second|third|fourth|1st|2nd|3rd|4th|next)[ -]"
    r"(?:round|stage)\b|\b(?:round|stage) [1-9]\b|"
    r"\btake[ -]home\b|\bpair[ -]programming\b|\bsystems? design\b|\blive[ -]coding\b|"
    r"\bcoding (?:challenge|exercise|session|test|interview|assessment)\b|"
    r"\btechnical (?:assessment|deep[ -]dive|discussion|exercise|test|challenge|round|"
    r"conversation|task)\b|"
    r"\bculture[ -](?:fit|add)\b|\bvalues (?:fit|interview|conversation)\b|"
    r"\bcase (?:study|interview|presentation|exercise)\b|\bbehaviou?ral\b|"
    r"\bcompetency[ -]based\b|\brecruiter (?:call|chat|conversation)\b|\bhiring[ -]manager\b|"
    r"\bpanel\b|\bassessment (?:centre|center|day)\b|"
    r"\b(?:online|skills?|technical|coding|psychometric|aptitude) (?:assessment|test)s?\b|"
    r"\bwork (?:sample|trial)\b|\btrial day\b|\bmeet the team\b|\bteam[ -]fit\b|"
    r"\bportfolio (?:review|presentation)\b|\bcandidate\s*:|"
    r"\b(?:recruiter|recruiterin|recruteur|recruteuse|reclutador(?:a)?)\b|"
    r"\b(?:recruiting|recruitment|recrutement|reclutamiento)\b|\brr\.?\s?hh\b|"
    r"\b(?:your|ihre|deine|votre|ta|tu|su) (?:job )?(?:application|candidacy|bewerbung|"
    r"candidature|candidatura|postulaci[óo]n)\b|"
    # German
    r"vorstellungsgespr[äa]ch|bewerbungsgespr[äa]ch|bewerbergespr[äa]ch|auswahlgespr[äa]ch|"
    r"einstellungsgespr[äa]ch|telefoninterview|videointerview|jobinterview|fachinterview|"
    r"fachgespr[äa]ch|kennenlerngespr[äa]ch|erstgespr[äa]ch|zweitgespr[äa]ch|drittgespr[äa]ch|"
    r"\bprobetag|\bprobearbeit|\bschnuppertag|\bhospitation|assessment[ -]?cent(?:er|re)|"
    r"\bfallstudie|case[ -]pr[äa]sentation|\bauswahltag|\bauswahlverfahren|\bbewerbertag|"
    r"\b(?:erstes|zweites|drittes|finales|abschlie(?:ß|ss)endes|pers[öo]nliches) "
    r"(?:gespr[äa]ch|interview|kennenlernen)\b|"
    # French
    r"\bentretiens?\b|\bpr[ée]-?qualification\b|\bpr[ée]-?s[ée]lection\b|"
    r"\bmise en situation\b|\b[ée]tude de cas\b|\bcas pratique\b|"
    r"\b(?:test|exercice|[ée]preuve) (?:technique|pratique)\b|"
    r"\bjourn[ée]e d['’](?:immersion|essai)\b|\bjury de recrutement\b|"
    r"\brencontre avec (?:l['’][ée]quipe|le manager|la manager|le recruteur|la recruteuse)\b|"
    # Spanish
    r"\bentrevistas?\b|\bpre-?selecci[óo]n\b|\bprueba (?:t[ée]cnica|de nivel|pr[áa]ctica)\b|"
    r"\bcaso pr[áa]ctico\b|\bdin[áa]mica de grupo\b|\b(?:reto|desaf[íi]o|ejercicio) t[ée]cnico\b|"
    r"\bproceso de selecci[óo]n\b|\bpresentaci[óo]n del caso\b|"
    r"\bllamada (?:con|de) (?:(?:el |la )?(?:rr\.? ?hh\.?|recursos humanos|selecci[óo]n|"
    r"reclutamiento|talento|recruiter))|\bprimera (?:llamada|entrevista)\b"
)

LOOSE_STAGE = rx(
    r"\bintro(?:duction|ductory)?\b|\b(?:initial|first|quick|short|informal|exploratory) "
    r"(?:call|chat|conversation)\b|\bconversation\b|\bchat\b|\bassessment\b|\bpresentation\b|"
    r"\bkennenlernen\b|\bgespr[äa]ch\b|\btelefonat\b|\b[ée]change\b|\bappel\b|\brencontre\b|"
    r"\bmeet (?:&|and) greet\b|\bcatch[ -]up\b|\bvideo ?call\b|\bvideollamada\b|\bvisio\b|"
    r"\bllamada\b|\bconversaci[óo]n\b|\bcharla\b|\breuni[óo]n\b"
)

SCREEN = rx(
    r"\bscreen(?:ing)?\b|\bintro(?:duction|ductory)?\b|\brecruiter (?:call|chat)\b|"
    r"\bhiring[ -]manager (?:call|chat)\b|"
    r"\b(?:hr|talent|people|recruiting|recruitment) (?:call|chat)\b|"
    r"\b(?:initial|first|quick|short|brief) (?:phone )?(?:call|chat|conversation)\b|"
    r"\bphone (?:call|interview)\b|\bquick (?:call|chat)\b|\bget(?:ting)? to know\b|"
    r"telefoninterview|telefonat|erstgespr[äa]ch|kennenlern|vorab|"
    r"entretien t[ée]l[ée]phonique|pr[ée]-?qualification|pr[ée]-?s[ée]lection|premier [ée]change|"
    r"appel (?:t[ée]l[ée]phonique|d['’]introduction|de d[ée]couverte|rh|recruteur)|"
    r"[ée]change (?:t[ée]l[ée]phonique|rapide|initial)|(?:court|bref|rapide|premier) [ée]change|"
    r"appel (?:de )?(?:qualification|d[ée]couverte|rapide|court)|"
    r"(?:breve|corta) llamada|llamada (?:breve|corta|r[áa]pida)|"
    r"llamada (?:inicial|telef[óo]nica|de presentaci[óo]n)|entrevista telef[óo]nica|"
    r"primera (?:llamada|entrevista|conversaci[óo]n)|pre-?selecci[óo]n|"
    r"llamada (?:con|de) (?:(?:el |la )?(?:rr\.? ?hh\.?|recursos humanos|selecci[óo]n|"
    r"reclutamiento|talento))"
)

# Stages that are more than a screen, however short: description words such as "a short
# introduction" do not make them one.
BEYOND_SCREEN = rx(
    r"\btechnical\b|\btech\b|\bcoding\b|\bpair[ -]programming\b|\bsystems? design\b|\bcase\b|"
    r"\btake[ -]home\b|\bpanel\b|\bon-?site\b|\bfinal\b|\bassessment\b|\bpresentation\b|"
    r"\b(?:second|third|2nd|3rd)\b|fachgespr[äa]ch|\bfachlich|\bzweit|\btechnique\b|"
    r"\bmise en situation\b|\b[ée]tude de cas\b|\bdeuxi[èe]me\b|\bt[ée]cnic[ao]\b|"
    r"\bcaso pr[áa]ctico\b|\bsegunda\b"
)

CANDIDATE = rx(
    r"\byour (?:job )?(?:application|candidacy|candidature|cv|resume|profile)\b|"
    r"\b(?:applying|applied) (?:for|to)\b|\bthank you for applying\b|\bshortlisted\b|"
    r"\b(?:hiring|interview|recruitment|recruiting|selection|application) process\b|"
    r"\bihre?r? bewerbung\b|\bdeine?r? bewerbung\b|\bbewerbungs(?:prozess|verfahren)\b|"
    r"\bauswahlverfahren\b|"
    r"\bvotre candidature\b|\bprocessus de (?:recrutement|s[ée]lection)\b|"
    r"\b(?:tu|su) (?:candidatura|postulaci[óo]n)\b|\bproceso de selecci[óo]n\b|"
    r"\b(?:inscribirte|postularte|aplicar) (?:en|a) (?:la|el) (?:oferta|vacante|puesto)\b"
)
