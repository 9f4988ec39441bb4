"""``templates check`` in every draft language: the built-in templates pass, and a user's
German, French or Spanish template is checked with that language's rules."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from interview_outreach.daemon.config import Profile
from interview_outreach.daemon.domain.language import Language
from interview_outreach.daemon.domain.model import ActionKind
from interview_outreach.daemon.domain.rules import Rules
from interview_outreach.daemon.template_check import TemplateReport, check_templates, format_report

PROFILE = Profile("Ada Lovelace", ZoneInfo("Europe/Berlin"), ("acht Jahre Python",))
BUILT_IN = Path(__file__).resolve().parents[2] / "daemon" / "domain" / "templates"


def check(tmp_path: Path, files: dict[str, str]) -> TemplateReport:
    folder = tmp_path / "templates"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    folder.mkdir(exist_ok=True)
    return check_templates(folder, PROFILE, Rules())


def problems_of(report: TemplateReport, language: Language, kind: ActionKind) -> tuple[str, ...]:
    return next(t.problems for t in report.templates if (t.language, t.kind) == (language, kind))


def german_outreach() -> str:
    return (BUILT_IN / "de" / "outreach.txt.j2").read_text(encoding="utf-8")


def test_every_language_is_checked_and_the_built_in_templates_pass(tmp_path: Path) -> None:
    report = check_templates(tmp_path / "none", PROFILE, Rules())
    assert report.ok, format_report(report)
    assert {(t.language, t.kind) for t in report.templates} == {
        (language, kind) for language in Language for kind in ActionKind
    }
    listing = format_report(report).splitlines()
    assert "  de/outreach.txt.j2  built-in" in listing
    assert listing[-1].endswith("in 4 languages: no problems")


def test_a_users_german_template_is_used_and_checked_in_german(tmp_path: Path) -> None:
    report = check(tmp_path, {"de/outreach.txt.j2": german_outreach()})
    assert report.ok, format_report(report)
    german = next(t for t in report.templates if t.name == "de/outreach.txt.j2")
    english = next(t for t in report.templates if t.name == "outreach.txt.j2")
    assert (german.custom, english.custom) == (True, False)


def test_a_broken_german_template_is_caught(tmp_path: Path) -> None:
    broken = german_outreach().replace("{{ interest }}", "{{ interest }")
    report = check(tmp_path, {"de/outreach.txt.j2": broken})
    (line,) = problems_of(report, Language.DE, ActionKind.OUTREACH)
    assert line.startswith("de/outreach.txt.j2, line ")
    assert line.endswith("Jinja syntax error: unexpected '}'")
    assert problems_of(report, Language.EN, ActionKind.OUTREACH) == ()


def test_german_rules_catch_pay_talk_the_familiar_du_and_a_missing_zone(tmp_path: Path) -> None:
    text = (
        german_outreach()
        .replace(
            "Vielen Dank für die Organisation", "Was ist das Gehalt? Danke dir für die Organisation"
        )
        .replace("{{ when }}", "{{ when_date }}")
    )
    report = check(tmp_path, {"de/outreach.txt.j2": text})
    found = {p.partition(": ")[2] for p in problems_of(report, Language.DE, ActionKind.OUTREACH)}
    assert "mentions what a draft must never mention: dir, gehalt" in found
    assert any(p.startswith("does not state the date and time") for p in found)
    assert any(p.startswith("does not name the time zone") for p in found)


def test_german_thanks_interest_and_next_steps_are_recognised(tmp_path: Path) -> None:
    text = (
        "Subject: Danke\n\n{{ greeting }}\n\nich schreibe Ihnen nach unserem Gespräch. "
        "Es war ein guter Austausch. Ich habe {{ highlights | join(' und ') }}. "
        "Wie geht es jetzt weiter?\n\nMit freundlichen Grüßen\n{{ signature }}\n"
    )
    report = check(tmp_path, {"de/thankyou.txt.j2": text})
    found = [p.partition(": ")[2] for p in problems_of(report, Language.DE, ActionKind.THANKYOU)]
    assert found == [
        "does not thank the reader",
        'does not express interest in the role (e.g. "Die Stelle interessiert mich")',
        "does not ask about the next steps (as a question ending in ?)",
        "does not ask about the timeline (as a question ending in ?)",
    ]


def test_misnamed_language_folders_and_files_are_reported(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {
            "en/outreach.txt.j2": "x",
            "it/outreach.txt.j2": "x",
            "fr/remerciement.txt.j2": "x",
            "es/thankyu.txt.j2": "x",
        },
    )
    assert report.folder_problems == (
        "en/ is not a language folder the program uses; English templates go at the top of "
        "the templates folder",
        "es/thankyu.txt.j2 is not a template name the program uses; did you mean "
        "es/thankyou.txt.j2?",
        "fr/remerciement.txt.j2 is not a template name the program uses; name your templates "
        "fr/outreach.txt.j2, fr/followup.txt.j2 or fr/thankyou.txt.j2",
        "it/ is not a language folder the program uses; the language folders are de/, fr/, es/",
    )
