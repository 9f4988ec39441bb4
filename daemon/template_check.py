"""``interview-outreach templates check``: the user's templates against sample interviews.

Each of the three templates in each draft language — the user's own file where there is one
(``outreach.txt.j2`` at the top of the folder for English, ``de/outreach.txt.j2`` for German,
...), else the built-in one — is rendered for a set of varied sample interviews built here in
code, and every way a draft breaks SPEC section 2's content rules becomes one line of the
report. Only the templates folder is touched: it is listed (to spot misnamed files and
folders) and its templates are read.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import jinja2.meta

from interview_outreach.daemon.config import Profile
from interview_outreach.daemon.domain.interviews import recognize
from interview_outreach.daemon.domain.language import Language
from interview_outreach.daemon.domain.model import (
    ActionKind,
    CalendarEvent,
    DraftContent,
    Interview,
    Participant,
    ParticipantKind,
    UserIdentity,
)
from interview_outreach.daemon.domain.rendering import (
    RenderContext,
    Renderer,
    TemplateProblem,
    content_problems,
    template_name,
)
from interview_outreach.daemon.domain.rules import Rules

# What a template may use (see ``daemon.domain.rendering``); only for "did you mean" hints.
TEMPLATE_VARIABLES: tuple[str, ...] = (
    "recipient_name",
    "recipient_first_name",
    "recipient_email",
    "greeting",
    "when",
    "when_date",
    "role",
    "position",
    "company",
    "title",
    "user_name",
    "signature",
    "highlights",
    "interest",
    "question",
    "reply_subject",
    "note_day",
    "interviewer_title",
    "interviewer_part",
    "panel_index",
    "panel_size",
    "language",
)

# The samples' user: someone at a domain no sample interviewer shares.
SAMPLE_USER_NAME = "Alex Morgan"
SAMPLE_USER_ADDRESS = "alex.morgan@example.net"
_LABEL_ROLE_MAX = 40
# A sample follow-up's note was sent two days before the interview.
_SAMPLE_NOTE_BEFORE = timedelta(days=2)
_UNDEFINED = re.compile(r"'(?P<name>\w+)' is undefined")


@dataclass(frozen=True)
class TemplateResult:
    """One template (a kind in a language): which file was checked and what is wrong with it."""

    kind: ActionKind
    name: str  # the file name in the folder, e.g. "outreach.txt.j2", "de/outreach.txt.j2"
    custom: bool  # the user's own file rather than the built-in one
    problems: tuple[str, ...] = ()
    language: Language = Language.EN

    @property
    def shown_name(self) -> str:
        """How problem lines name the template ("built-in ..." for the default)."""
        return self.name if self.custom else f"built-in {self.name}"


@dataclass(frozen=True)
class TemplateReport:
    """The outcome of checking the templates folder against the sample interviews."""

    folder: Path
    folder_found: bool
    templates: tuple[TemplateResult, ...]
    sample_count: int
    folder_problems: tuple[str, ...] = field(default=())  # misnamed or unusable files
    language_count: int = len(Language)

    @property
    def problems(self) -> tuple[str, ...]:
        """Every problem, one line each: the folder's first, then each template's."""
        lines = list(self.folder_problems)
        for template in self.templates:
            lines.extend(template.problems)
        return tuple(lines)

    @property
    def ok(self) -> bool:
        """Whether every template meets the content rules for every sample."""
        return not self.problems


# ---------------------------------------------------------------------------------------------
# Sample interviews
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sample:
    """One sample invitation, at wall-clock ``day`` and ``at`` in ``zone`` or the user's zone."""

    key: str
    note: str  # what makes this sample worth checking; part of its label
    title: str
    day: date
    at: time
    organizer: Participant
    attendees: tuple[Participant, ...]
    description: str
    zone: str = ""
    location: str = ""
    conference_url: str = ""
    minutes: int = 60

    @property
    def uid(self) -> str:
        """The invitation's UID."""
        return f"{self.key}@samples.interview-outreach.invalid"

    def event(self, tz: ZoneInfo, user: Participant) -> CalendarEvent:
        """The invitation as a provider would report it to ``user`` in ``tz``."""
        start = datetime.combine(self.day, self.at, tzinfo=ZoneInfo(self.zone) if self.zone else tz)
        return CalendarEvent(
            uid=self.uid,
            title=self.title,
            start=start,
            end=start + timedelta(minutes=self.minutes),
            description=self.description,
            location=self.location,
            conference_url=self.conference_url,
            organizer=self.organizer,
            attendees=(*self.attendees, user),
        )


_JANE = Participant("jane.doe@acme.com", "Jane Doe")
_PRIYA = Participant("priya.shah@northwind.io", "Priya Shah")
_SAM = Participant("sam.carter.hires@gmail.com", "Sam Carter")
_MICHAEL = Participant("m.oconnor@bluewaterbank.com", "Michael O'Connor")
_ROHAN = Participant("r.banerjee@quantaloop.ai", "Rohan Banerjee")
_NINA = Participant("nina.patel@tidewell.co.uk", "Nina Patel")
_ZOE = Participant("zoe.lefevre@lumiere-donnees.fr", "Zoë Lefèvre")

_SAMPLES: tuple[_Sample, ...] = (
    _Sample(
        key="known",
        note="video call",
        title="Interview: Data Engineer at Acme",
        day=date(2026, 12, 10),
        at=time(14),
        description="Video interview for the Data Engineer position.",
        conference_url="https://meet.example.com/acme-data",
        organizer=_JANE,
        attendees=(_JANE,),
    ),
    _Sample(
        key="no-role",
        note="title names only the interviewer",
        title="Interview with Priya Shah",
        day=date(2026, 11, 17),
        at=time(11),
        description="Priya would like to talk with you about your application to Northwind.",
        location="Northwind, 12 King Street, Manchester",
        organizer=_PRIYA,
        attendees=(_PRIYA,),
    ),
    _Sample(
        key="no-company",
        note="interviewer on gmail.com",
        title="Interview – Frontend Developer",
        day=date(2026, 12, 2),
        at=time(16),
        description="Thanks for applying. Let's talk on Google Meet.",
        conference_url="https://meet.google.com/abc-defg-hij",
        organizer=_SAM,
        attendees=(_SAM,),
    ),
    _Sample(
        # US clocks have gone forward, European ones not yet: 4 h from London, not 5.
        key="new-york",
        note="New York invite between the US and European clock changes",
        title="Bluewater Bank – Risk Analyst interview",
        day=date(2027, 3, 16),
        at=time(10),
        zone="America/New_York",
        description="Interview for the Risk Analyst position. We will call you at 10:00 AM Eastern.",
        location="Phone call",
        organizer=_MICHAEL,
        attendees=(_MICHAEL,),
    ),
    _Sample(
        key="dst",
        note="Berlin invite the day after the clocks go forward",
        title="Second interview – Product Manager (Orbital Freight)",
        day=date(2027, 3, 29),
        at=time(10),
        zone="Europe/Berlin",
        description="Second round for the Product Manager role at Orbital Freight.",
        conference_url="https://teams.microsoft.com/l/meetup-join/orbital",
        organizer=Participant("talent@orbitalfreight.de", "Orbital Freight Talent"),
        attendees=(Participant("lena.fischer@orbitalfreight.de", "Lena Fischer"),),
    ),
    _Sample(
        key="long-role",
        note="long role title",
        title="Technical interview",
        day=date(2026, 12, 15),
        at=time(13),
        description="Position: Senior Staff Machine Learning Infrastructure Engineer, "
        "Search and Recommendations Platform\nWe look forward to meeting you.",
        conference_url="https://zoom.us/j/5551234567",
        organizer=_ROHAN,
        attendees=(_ROHAN,),
    ),
    _Sample(
        key="panel",
        note="panel of three, one without a name",
        title="Final panel interview – Backend Engineer – Fernhill Energy",
        day=date(2026, 12, 8),
        at=time(10),
        minutes=120,
        description="Panel interview for the Backend Engineer position at Fernhill Energy.",
        location="Fernhill Energy, 4 Dock Road, Bristol – Room Severn",
        organizer=Participant("careers@fernhill-energy.com", "Fernhill Careers"),
        attendees=(
            Participant("tom.baker@fernhill-energy.com", "Tom Baker"),
            Participant("a.khan@fernhill-energy.com"),
            Participant("grace.okafor@fernhill-energy.com", "Okafor, Grace"),
            Participant(
                "severn@resource.calendar.google.com", "Room Severn", kind=ParticipantKind.RESOURCE
            ),
        ),
    ),
    _Sample(
        key="no-location",
        note="no location",
        title="Interview: QA Engineer – Tidewell",
        day=date(2026, 12, 3),
        at=time(15),
        description="Interview for the QA Engineer role.",
        organizer=_NINA,
        attendees=(_NINA,),
    ),
    _Sample(
        key="accents",
        note="French invite, names with accents",
        title="Entretien – Data Scientist chez Lumière Données",
        day=date(2026, 11, 24),
        at=time(14),
        description="Entretien pour le poste de Data Scientist chez Lumière Données.",
        conference_url="https://meet.example.com/lumiere",
        organizer=_ZOE,
        attendees=(_ZOE, Participant("jose.alvarez@lumiere-donnees.fr", "José Álvarez")),
    ),
    _Sample(
        key="german-panel",
        note="German invite naming each interviewer's part",
        title="Vorstellungsgespräch – Data Engineer (m/w/d) – Kranich Robotik",
        day=date(2026, 12, 9),
        at=time(10),
        zone="Europe/Berlin",
        description="Vielen Dank für Ihre Bewerbung als Data Engineer. Ihre Gesprächspartner "
        "sind Sabine Krüger (Teamleiterin Data) und Jonas Weber, der den Teil zum Systemdesign "
        "leitet.",
        conference_url="https://meet.example.com/kranich",
        organizer=Participant("sabine.krueger@kranich-robotik.de", "Sabine Krüger"),
        attendees=(Participant("jonas.weber@kranich-robotik.de", "Jonas Weber"),),
    ),
    _Sample(
        key="spanish-panel",
        note="Spanish invite with each interviewer's title",
        title="Entrevista técnica – Analista de Datos – Cobre Andino",
        day=date(2026, 12, 11),
        at=time(9),
        zone="America/Santiago",
        description="Le confirmamos su entrevista técnica para el puesto de Analista de Datos. "
        "Le entrevistarán Alejandra Ruiz (Gerente de Datos) y Jorge Salinas, que dirigirá la "
        "parte de SQL.",
        location="Cobre Andino, Av. Apoquindo 3000, Santiago",
        organizer=Participant("alejandra.ruiz@cobreandino.cl", "Alejandra Ruiz"),
        attendees=(Participant("jorge.salinas@cobreandino.cl", "Jorge Salinas"),),
    ),
)

_NOTES = {sample.uid: sample.note for sample in _SAMPLES}


def sample_interviews(tz: ZoneInfo) -> list[Interview]:
    """Varied, realistic interviews for a user in ``tz``, recognised as the daemon would.

    Dates are fixed. Invitations without a zone of their own are at those wall-clock times
    wherever the user lives; the others keep their zone (New York, Berlin).
    """
    return _samples(tz, Rules())


def _samples(tz: ZoneInfo, rules: Rules) -> list[Interview]:
    user = UserIdentity(SAMPLE_USER_NAME, frozenset({SAMPLE_USER_ADDRESS}), tz)
    me = Participant(SAMPLE_USER_ADDRESS, SAMPLE_USER_NAME)
    interviews: list[Interview] = []
    for sample in _SAMPLES:
        interview = recognize(sample.event(tz, me), account="sample", user=user, rules=rules)
        if interview is None:  # pragma: no cover - the tests show every sample is recognised
            raise AssertionError(f"sample {sample.note!r} is not recognised as an interview")
        interviews.append(interview)
    return interviews


def sample_label(interview: Interview) -> str:
    """A short name for a sample: "Acme – Data Engineer (video call)"."""
    role = interview.role or "role unknown"
    if len(role) > _LABEL_ROLE_MAX:
        role = role[: _LABEL_ROLE_MAX - 1].rstrip(" ,") + "…"
    label = f"{interview.company or 'company unknown'} – {role}"
    note = _NOTES.get(interview.event.uid)
    return f"{label} ({note})" if note else label


# ---------------------------------------------------------------------------------------------
# Checking
# ---------------------------------------------------------------------------------------------


class _TemplateBroken(Exception):
    """The template fails the same way whatever the sample (syntax, encoding, unreadable)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(message)


def check_templates(templates_dir: Path, profile: Profile, rules: Rules) -> TemplateReport:
    """Render every template in every language for every sample interview and collect what
    breaks the rules. A missing folder is fine: then the built-in templates are checked.
    """
    folder_found = templates_dir.is_dir()
    folder_problems: list[str] = []
    if templates_dir.exists() and not folder_found:
        folder_problems.append(
            f"{templates_dir} is not a folder; the built-in templates are used — "
            f"move that file away and create a folder there for your templates"
        )
    renderer = Renderer(templates_dir if folder_found else None)
    builtin = Renderer(None)
    samples = _samples(profile.timezone, rules)
    results = []
    for language in Language:
        for kind in ActionKind:
            name = template_name(kind, language)
            custom = folder_found and (templates_dir / name).is_file()
            result = TemplateResult(kind, name, custom, language=language)
            problems = _check_kind(result, renderer, builtin, samples, profile)
            results.append(replace(result, problems=tuple(problems)))
    if folder_found:
        folder_problems.extend(_unknown_files(templates_dir, results))
    return TemplateReport(
        folder=templates_dir,
        folder_found=folder_found,
        templates=tuple(results),
        sample_count=len(samples),
        folder_problems=tuple(folder_problems),
    )


def _check_kind(
    template: TemplateResult,
    renderer: Renderer,
    builtin: Renderer,
    samples: list[Interview],
    profile: Profile,
) -> list[str]:
    by_problem: dict[str, list[str]] = {}
    for interview in samples:
        label = sample_label(interview)
        try:
            found = _sample_problems(template, renderer, builtin, interview, profile)
        except _TemplateBroken as broken:
            where = "" if broken.line is None else f", line {broken.line}"
            return [f"{template.shown_name}{where}: {broken.message}"]
        for problem in found:
            by_problem.setdefault(problem, []).append(label)
    lines = []
    for problem, labels in by_problem.items():
        if len(labels) == len(samples) > 1:
            lines.append(f"{template.shown_name}, all {len(samples)} samples: {problem}")
        else:
            lines.extend(f"{template.shown_name}, sample '{label}': {problem}" for label in labels)
    return lines


def _sample_problems(
    template: TemplateResult,
    renderer: Renderer,
    builtin: Renderer,
    interview: Interview,
    profile: Profile,
) -> list[str]:
    """Every distinct problem of one template with one sample, for each recipient it has."""
    kind, language = template.kind, template.language
    if kind is ActionKind.THANKYOU:
        recipients = list(interview.interviewers)
    else:
        recipients = [interview.recipient] if interview.recipient else []
    problems: list[str] = []
    for recipient in recipients:
        context = _context(kind, recipient, interview, profile, language)
        if kind is ActionKind.FOLLOWUP:
            outreach = _context(ActionKind.OUTREACH, recipient, interview, profile, language)
            context = replace(
                context,
                reply_subject=_reply_subject(renderer, builtin, outreach),
                note_sent_at=interview.start - _SAMPLE_NOTE_BEFORE,
            )
        for problem in _render_problems(renderer, context):
            if problem not in problems:
                problems.append(problem)
    return problems


def _context(
    kind: ActionKind,
    recipient: Participant,
    interview: Interview,
    profile: Profile,
    language: Language,
) -> RenderContext:
    return RenderContext(
        kind=kind,
        recipient=recipient,
        interview=interview,
        user_name=profile.name,
        signature=profile.signature or profile.name,
        highlights=profile.highlights_in(language),
        timezone=profile.timezone,
        language=language,
    )


def _reply_subject(renderer: Renderer, builtin: Renderer, outreach: RenderContext) -> str:
    """The follow-up's subject as planning makes it: "Re: " and the outreach's subject."""
    try:
        subject = renderer.render_unchecked(outreach).subject
    except (TemplateProblem, OSError, UnicodeDecodeError):
        # The outreach template's own problems are reported with it; check the follow-up
        # as if the outreach were the built-in one.
        subject = builtin.render_unchecked(outreach).subject
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _render_problems(renderer: Renderer, context: RenderContext) -> list[str]:
    name = template_name(context.kind, context.language)
    try:
        content: DraftContent = renderer.render_unchecked(context)
    except TemplateProblem as problem:
        return _explain(name, problem)
    except UnicodeDecodeError as error:
        raise _TemplateBroken("is not UTF-8 text; save it with UTF-8 encoding") from error
    except OSError as error:
        raise _TemplateBroken(f"cannot be read ({error.strerror})") from error
    return content_problems(context, content)


def _explain(name: str, problem: TemplateProblem) -> list[str]:
    """``problem`` in the report's words; raises ``_TemplateBroken`` when no sample matters."""
    cause = problem.__cause__
    if isinstance(cause, jinja2.TemplateSyntaxError):
        where = "" if cause.name in (None, name) else f" (in {cause.name})"
        raise _TemplateBroken(f"Jinja syntax error{where}: {cause.message}", cause.lineno)
    if isinstance(cause, jinja2.TemplateNotFound):
        raise _TemplateBroken(f"uses {cause.name}, which is not in the templates folder")
    if isinstance(cause, jinja2.UndefinedError):
        return [_undefined(cause.message or str(cause))]
    if isinstance(cause, jinja2.TemplateError):
        return [f"cannot be rendered: {cause.message or cause}"]
    return [line.removeprefix(f"{name}: ") for line in problem.problems]


def _undefined(message: str) -> str:
    match = _UNDEFINED.fullmatch(message)
    if match is None:
        return f"uses something undefined: {message}"
    variable = match.group("name")
    close = difflib.get_close_matches(variable, TEMPLATE_VARIABLES, n=1)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    return (
        f'uses the undefined variable "{variable}"{hint} '
        f"(available: {', '.join(TEMPLATE_VARIABLES)})"
    )


def _unknown_files(folder: Path, results: list[TemplateResult]) -> list[str]:
    """Files and folders in the templates folder the program will never use: most likely
    misnamed templates or language folders."""
    used = {r.name for r in results} | _included(folder, [r.name for r in results if r.custom])
    languages = [language.value for language in Language if language is not Language.EN]
    problems = []
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.startswith(".") or name.endswith("~"):
            continue
        if path.is_dir():
            if name in languages:
                problems.extend(_unknown_in(path, f"{name}/", results, used))
            else:
                problems.append(_unknown_folder(name, languages))
        elif path.is_file():
            problems.extend(_unknown_in(path, "", results, used))
    return problems


def _unknown_in(
    path: Path, prefix: str, results: list[TemplateResult], used: set[str]
) -> list[str]:
    """The misnamed files among ``path`` (a file, or a language folder's files)."""
    valid = [r.name for r in results if r.name.startswith(prefix)]
    bare = [name.removeprefix(prefix) for name in valid if "/" not in name.removeprefix(prefix)]
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    problems = []
    for file in files:
        name = prefix + file.name
        if name in used or file.name.startswith(".") or name.endswith("~") or not file.is_file():
            continue
        close = difflib.get_close_matches(file.name.lower(), bare, n=1, cutoff=0.6)
        if close:
            problems.append(
                f"{name} is not a template name the program uses; did you mean {prefix}{close[0]}?"
            )
        elif name.endswith(".j2"):
            names = [prefix + bare_name for bare_name in bare]
            problems.append(
                f"{name} is not a template name the program uses; name your templates "
                f"{', '.join(names[:-1])} or {names[-1]}"
            )
    return problems


def _unknown_folder(name: str, languages: list[str]) -> str:
    listed = ", ".join(f"{code}/" for code in languages)
    if name.lower() == Language.EN.value:
        fix = "English templates go at the top of the templates folder"
    else:
        fix = f"the language folders are {listed}"
    return f"{name}/ is not a language folder the program uses; {fix}"


def _included(folder: Path, names: list[str]) -> set[str]:
    """Files the custom templates include, import or extend: those are in use too."""
    env = jinja2.Environment(autoescape=False)  # noqa: S701 - parsed only, never rendered
    found: set[str] = set()
    for name in names:
        try:
            tree = env.parse((folder / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, jinja2.TemplateSyntaxError):
            continue  # reported with the template itself
        found.update(n for n in jinja2.meta.find_referenced_templates(tree) if n)
    return found


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def format_report(report: TemplateReport) -> str:
    """The text ``templates check`` prints: the folder, each template, each problem, a total."""
    lines = []
    if report.folder_found:
        lines.append(f"Templates folder: {report.folder}")
    else:
        lines.append(
            f"Templates folder: {report.folder} does not exist, so the built-in templates are "
            f"used; to customise a draft, create {_names(report)} there"
        )
    for template in report.templates:
        where = "custom" if template.custom else "built-in"
        lines.append(f"  {template.name:<19} {where}")
    lines.extend(report.problems)
    count = len(report.problems)
    total = "no problems" if count == 0 else f"{count} problem{'s' if count != 1 else ''}"
    lines.append(
        f"{len(report.templates)} templates checked against {report.sample_count} "
        f"sample interviews in {report.language_count} languages: {total}"
    )
    return "\n".join(lines)


def _names(report: TemplateReport) -> str:
    english = [t.name for t in report.templates if t.language is Language.EN]
    folders = ", ".join(
        f"{language.value}/" for language in Language if language is not Language.EN
    )
    return (
        f"{', '.join(english[:-1])} or {english[-1]} (English; the same names in {folders} "
        "for German, French and Spanish)"
    )
