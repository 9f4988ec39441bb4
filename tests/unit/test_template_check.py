"""``templates check``: the built-in templates meet SPEC section 2 for every sample interview,
and each way a custom template can break the rules is reported as one clear line."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.config import Profile
from interview_outreach.daemon.domain import rules
from interview_outreach.daemon.domain.interviews import recognize
from interview_outreach.daemon.domain.model import (
    ActionKind,
    CalendarEvent,
    DraftContent,
    Participant,
    UserIdentity,
)
from interview_outreach.daemon.domain.rendering import (
    RenderContext,
    Renderer,
    _variables,
    content_problems,
)
from interview_outreach.daemon.domain.rules import Rules
from interview_outreach.daemon.template_check import (
    TEMPLATE_VARIABLES,
    TemplateReport,
    check_templates,
    format_report,
    sample_interviews,
    sample_label,
)

LONDON = ZoneInfo("Europe/London")
HIGHLIGHTS = ("eight years of Python", "led a team of five engineers")
PROFILE = Profile("Ada Lovelace", LONDON, HIGHLIGHTS)

OUTREACH = """\
Subject: Our interview on {{ when_date }}

Dear {{ recipient_name or "Sir or Madam" }},

I am looking forward to our conversation on {{ when }} about the {{ role or "open" }} position{% if company %} at {{ company }}{% endif %}.
{{ interest }}
Thank you for arranging the interview.

Kind regards,
{{ signature }}
"""

THANKYOU = """\
Subject: Thank you for the conversation

Dear {{ recipient_name or "Sir or Madam" }},

Thank you for speaking with me on {{ when_date }}.
Our conversation made me even more interested in joining {{ company or "your team" }}.
{% if highlights %}I believe {{ highlights | join(" and ") }} would help me contribute.{% endif %}
Could you let me know the next steps and the expected timeline?

Kind regards,
{{ signature }}
"""

GMAIL_SAMPLE = "company unknown – Frontend Developer (interviewer on gmail.com)"


def check(tmp_path: Path, profile: Profile = PROFILE, **files: str) -> TemplateReport:
    """Write ``files`` (name with dots as "__") into a templates folder and check it."""
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text, encoding="utf-8")
    return check_templates(folder, profile, Rules())


def problems_of(report: TemplateReport, kind: ActionKind) -> tuple[str, ...]:
    return next(t.problems for t in report.templates if t.kind is kind)


# ---------------------------------------------------------------------------------------------
# Samples
# ---------------------------------------------------------------------------------------------


def test_the_samples_are_varied_and_recognised_as_the_daemon_would() -> None:
    samples = sample_interviews(LONDON)
    assert len(samples) >= 6
    assert len({sample_label(s) for s in samples}) == len(samples)
    by_label = {sample_label(s): s for s in samples}
    known = by_label["Acme – Data Engineer (video call)"]
    assert (known.company, known.role, known.skip_reason) == ("Acme", "Data Engineer", None)
    assert any(s.role == "" and s.company for s in samples)
    assert by_label[GMAIL_SAMPLE].interviewers[0].domain == "gmail.com"
    zones = {getattr(s.start.tzinfo, "key", "") for s in samples}
    assert {"Europe/London", "America/New_York", "Europe/Berlin"} <= zones
    assert any(len(s.role) > 60 for s in samples)
    assert any(len(s.interviewers) >= 3 for s in samples)
    assert any(not s.event.location and not s.event.conference_url for s in samples)
    assert any("Zoë" in p.name for s in samples for p in s.interviewers)
    assert all(s.recipient is not None and s.skip_reason is None for s in samples)


def test_the_samples_are_fixed_and_follow_the_users_zone() -> None:
    assert sample_interviews(LONDON) == sample_interviews(LONDON)
    tokyo = sample_interviews(ZoneInfo("Asia/Tokyo"))
    acme = next(s for s in tokyo if s.company == "Acme")
    assert (acme.start.hour, str(acme.start.tzinfo)) == (14, "Asia/Tokyo")
    new_york = next(s for s in tokyo if s.company == "Bluewater Bank")
    # 10:00 EDT while London is still on GMT: 14:00 there, not 15:00.
    assert new_york.start.astimezone(LONDON).hour == 14


def test_the_template_variables_listed_for_hints_are_the_renderers() -> None:
    interview = sample_interviews(LONDON)[0]
    assert interview.recipient is not None
    context = RenderContext(
        ActionKind.OUTREACH, interview.recipient, interview, "Ada", "Ada", (), LONDON
    )
    assert set(TEMPLATE_VARIABLES) == set(_variables(context))


# ---------------------------------------------------------------------------------------------
# The built-in templates: the proof that the defaults meet SPEC section 2
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone",
    ["Europe/London", "America/New_York", "Asia/Dubai", "Asia/Kolkata", "America/Sao_Paulo"],
)
@pytest.mark.parametrize("highlights", [(), ("eight years of Python",), HIGHLIGHTS])
def test_the_built_in_templates_pass_for_every_sample(
    tmp_path: Path, zone: str, highlights: tuple[str, ...]
) -> None:
    profile = Profile("Ada Lovelace", ZoneInfo(zone), highlights, "Ada Lovelace\n+44 20 7946 0000")
    report = check_templates(tmp_path / "missing", profile, Rules())
    assert report.ok, format_report(report)
    assert report.sample_count >= 6
    assert [t.custom for t in report.templates] == [False] * 12


def test_a_missing_folder_is_fine_and_the_report_says_so(tmp_path: Path) -> None:
    report = check_templates(tmp_path / "templates", PROFILE, Rules())
    text = format_report(report)
    assert report.ok
    assert not report.folder_found
    assert "does not exist, so the built-in templates are used" in text
    assert text.splitlines()[-1] == (
        f"12 templates checked against {report.sample_count} sample interviews in 4 languages: "
        "no problems"
    )


def test_good_custom_templates_pass_and_are_listed_as_custom(tmp_path: Path) -> None:
    report = check(tmp_path, outreach__txt__j2=OUTREACH, thankyou__txt__j2=THANKYOU)
    assert report.ok, format_report(report)
    listing = format_report(report).splitlines()[1:4]
    assert [line.split() for line in listing] == [
        ["outreach.txt.j2", "custom"],
        ["followup.txt.j2", "built-in"],
        ["thankyou.txt.j2", "custom"],
    ]


# ---------------------------------------------------------------------------------------------
# Custom templates that break the rules
# ---------------------------------------------------------------------------------------------


def test_salary_talk_is_reported(tmp_path: Path) -> None:
    text = OUTREACH.replace(
        "Thank you for arranging the interview.",
        "Thank you for arranging the interview; could we also discuss the salary?",
    )
    report = check(tmp_path, outreach__txt__j2=text)
    assert problems_of(report, ActionKind.OUTREACH) == (
        f"outreach.txt.j2, all {report.sample_count} samples: "
        "mentions what a draft must never mention: salary",
    )
    assert not report.ok


def test_four_questions_are_reported(tmp_path: Path) -> None:
    text = THANKYOU.replace(
        "Could you let me know",
        "Did I answer everything? Is there more I can send? Who else will I meet? Could you let me know",
    )
    report = check(tmp_path, thankyou__txt__j2=text)
    assert (
        f"thankyou.txt.j2, all {report.sample_count} samples: asks 4 questions; at most 2 are allowed"
        in problems_of(report, ActionKind.THANKYOU)
    )


def test_eight_sentences_are_reported(tmp_path: Path) -> None:
    text = OUTREACH.replace(
        "{{ interest }}",
        "{{ interest }} I have read about your work. It looks great. "
        "I have prepared well. I am ready.",
    )
    report = check(tmp_path, outreach__txt__j2=text)
    assert problems_of(report, ActionKind.OUTREACH) == (
        f"outreach.txt.j2, all {report.sample_count} samples: has 7 sentences; it needs 3 to 5",
    )
    text = text.replace("I am ready.", "I am ready. I will be on time.")
    report = check(tmp_path, outreach__txt__j2=text)
    assert problems_of(report, ActionKind.OUTREACH) == (
        f"outreach.txt.j2, all {report.sample_count} samples: has 8 sentences; it needs 3 to 5",
    )


def test_a_problem_of_some_samples_names_each_of_them(tmp_path: Path) -> None:
    text = THANKYOU.replace(
        "{% if highlights %}",
        "{% if not company %}I hope to learn more about your company. "
        "I could not find it online. Please tell me more. {% endif %}{% if highlights %}",
    )
    report = check(tmp_path, thankyou__txt__j2=text)
    assert problems_of(report, ActionKind.THANKYOU) == (
        f"thankyou.txt.j2, sample '{GMAIL_SAMPLE}': has 7 sentences; it needs 3 to 5",
    )


def test_a_missing_time_zone_is_reported(tmp_path: Path) -> None:
    text = OUTREACH.replace("{{ when }}", "{{ when.rsplit(' ', 1)[0] }}")
    report = check(tmp_path, outreach__txt__j2=text)
    problems = problems_of(report, ActionKind.OUTREACH)
    acme = "outreach.txt.j2, sample 'Acme – Data Engineer (video call)'"
    assert f"{acme}: does not name the time zone (GMT)" in problems
    assert any(line.endswith("does not name the time zone (BST)") for line in problems)
    assert len(problems) == report.sample_count


def test_a_jinja_syntax_error_is_reported_once_with_its_line(tmp_path: Path) -> None:
    text = OUTREACH.replace("{{ interest }}", "{{ interest }")
    report = check(tmp_path, outreach__txt__j2=text)
    assert problems_of(report, ActionKind.OUTREACH) == (
        "outreach.txt.j2, line 6: Jinja syntax error: unexpected '}'",
    )


def test_an_undefined_variable_is_reported_with_a_hint(tmp_path: Path) -> None:
    text = THANKYOU.replace("{{ recipient_name or", "{{ recipient_nmae or")
    report = check(tmp_path, thankyou__txt__j2=text)
    (line,) = problems_of(report, ActionKind.THANKYOU)
    assert line.startswith(
        f"thankyou.txt.j2, all {report.sample_count} samples: uses the undefined variable "
        '"recipient_nmae"; did you mean "recipient_name"? (available: recipient_name, '
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Dear {{ recipient_name }},\n\nHello.", 'the first line must be "Subject: ..."'),
        ("Subject:   \n\nDear {{ recipient_name }},", "the subject line is empty"),
    ],
)
def test_a_missing_or_empty_subject_is_reported(tmp_path: Path, text: str, problem: str) -> None:
    report = check(tmp_path, followup__txt__j2=text)
    assert problems_of(report, ActionKind.FOLLOWUP) == (
        f"followup.txt.j2, all {report.sample_count} samples: {problem}",
    )


def test_a_follow_up_is_checked_for_banned_topics_and_questions(tmp_path: Path) -> None:
    text = (
        "Subject: {{ reply_subject }}\n\nHello,\n\nJust checking in, lol. Got my note? "
        "Still on? Any perks? Thanks.\n\nBest regards,\n{{ signature }}\n"
    )
    problems = problems_of(check(tmp_path, followup__txt__j2=text), ActionKind.FOLLOWUP)
    assert [p.partition(": ")[2] for p in problems] == [
        "has 5 sentences; it needs 2 to 4",
        "asks 3 questions; at most 2 are allowed",
        "mentions what a draft must never mention: lol, perks",
    ]


def test_the_content_rule_lines_state_the_numbers_the_check_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each content-rule number lives once, in daemon.domain.rules: change it there and the
    # check and the line that states it follow together.
    monkeypatch.setattr(rules, "MAX_QUESTIONS", 1)
    monkeypatch.setattr(rules, "FOLLOWUP_SENTENCES", (3, 6))
    text = (
        "Subject: {{ reply_subject }}\n\nHello,\n\nJust checking in. Did my note arrive? "
        "Are we still on?\n\nBest regards,\n{{ signature }}\n"
    )
    problems = problems_of(check(tmp_path, followup__txt__j2=text), ActionKind.FOLLOWUP)
    assert [p.partition(": ")[2] for p in problems] == [
        "asks 2 questions; at most 1 are allowed",
    ]
    shorter = text.replace(" Are we still on?", "")
    problems = problems_of(check(tmp_path, followup__txt__j2=shorter), ActionKind.FOLLOWUP)
    assert [p.partition(": ")[2] for p in problems] == ["has 2 sentences; it needs 3 to 6"]


def test_a_misspelled_file_name_gets_the_closest_valid_name(tmp_path: Path) -> None:
    report = check(
        tmp_path, outrech__txt__j2=OUTREACH, thank_you__txt__j2=THANKYOU, notes__md="my notes"
    )
    assert report.folder_problems == (
        "outrech.txt.j2 is not a template name the program uses; did you mean outreach.txt.j2?",
        "thank_you.txt.j2 is not a template name the program uses; did you mean thankyou.txt.j2?",
    )
    assert not report.ok
    assert [t.custom for t in report.templates] == [False] * 12


def test_a_file_a_template_includes_is_not_unknown(tmp_path: Path) -> None:
    text = OUTREACH.replace("Kind regards,\n{{ signature }}", '{% include "signoff.j2" %}')
    report = check(tmp_path, outreach__txt__j2=text, signoff__j2="Kind regards,\n{{ signature }}")
    assert report.ok, format_report(report)


def test_a_template_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "thankyou.txt.j2").write_bytes(THANKYOU.replace("Dear", "Très").encode("latin-1"))
    report = check_templates(folder, PROFILE, Rules())
    assert problems_of(report, ActionKind.THANKYOU) == (
        "thankyou.txt.j2: is not UTF-8 text; save it with UTF-8 encoding",
    )


def test_many_problems_are_reported_at_once(tmp_path: Path) -> None:
    casual = (
        "Subject: Thanks!\n\nHey {{ recipient_name }},\n\nThanks so much for the chat. It was "
        "awesome. What is the salary range? Do you offer benefits? When do I start? "
        "Is it remote?\n\nCheers,\n{{ signature }}\n"
    )
    report = check(
        tmp_path,
        thankyou__txt__j2=casual,
        outreach__txt__j2=OUTREACH.replace("{{ when }}", "{{ wen }}"),
        outrech__txt__j2="",
    )
    every = f"all {report.sample_count} samples"
    assert problems_of(report, ActionKind.THANKYOU) == tuple(
        f"thankyou.txt.j2, {every}: {problem}"
        for problem in (
            "has 7 sentences; it needs 3 to 5",
            "asks 4 questions; at most 2 are allowed",
            "mentions what a draft must never mention: awesome, benefits, cheers, hey, salary",
            'does not express interest in the role (e.g. "I am interested in")',
            "does not mention a qualification from your profile highlights "
            '("eight years of Python", "led a team of five engineers")',
            "does not ask about the next steps (as a question ending in ?)",
            "does not ask about the timeline (as a question ending in ?)",
        )
    )
    lines = format_report(report).splitlines()
    assert lines[-1] == (
        f"12 templates checked against {report.sample_count} sample interviews in 4 languages: "
        "9 problems"
    )
    assert sum(1 for line in lines if "outreach.txt.j2, " in line) == 1
    assert any(line.startswith("outrech.txt.j2 is not a template name") for line in lines)
    assert lines[0] == f"Templates folder: {tmp_path / 'templates'}"


# ---------------------------------------------------------------------------------------------
# The strengthened content rules
# ---------------------------------------------------------------------------------------------


def _thankyou(body: str, highlights: tuple[str, ...] = HIGHLIGHTS) -> list[str]:
    interview = sample_interviews(LONDON)[0]
    recipient = interview.interviewers[0]
    context = RenderContext(
        ActionKind.THANKYOU, recipient, interview, "Ada", "Ada", highlights, LONDON
    )
    return content_problems(context, DraftContent((), "Thank you", body))


def test_a_thank_you_needs_thanks_interest_a_highlight_and_next_steps() -> None:
    good = (
        "Dear Jane,\n\nThank you for your time today. I am even more keen to join Acme. "
        "My eight years of Python would help. What are the next steps, and when might I "
        "hear back?\n\nBest regards,\nAda\n"
    )
    assert _thankyou(good) == []
    assert _thankyou(good.replace("Thank you for", "I enjoyed")) == ["does not thank the reader"]
    assert _thankyou(good.replace("I am even more keen to join", "I met the team at")) == [
        'does not express interest in the role (e.g. "I am interested in")'
    ]
    assert _thankyou(good, highlights=("a PhD in statistics",)) == [
        'does not mention a qualification from your profile highlights ("a PhD in statistics")'
    ]
    assert _thankyou(good, highlights=()) == []
    assert _thankyou(good.replace(", and when might I hear back?", "?")) == [
        "does not ask about the timeline (as a question ending in ?)"
    ]
    assert _thankyou(good.replace("What are the next steps, and w", "W")) == [
        "does not ask about the next steps (as a question ending in ?)"
    ]


def test_a_highlight_or_a_name_is_not_mistaken_for_a_banned_topic() -> None:
    body = (
        "Dear Jane,\n\nThank you for your time today. I am keen to join Acme. My work on "
        "a payment platform would help. What are the next steps and the timeline?\n\n"
        "Best regards,\nAda\n"
    )
    assert _thankyou(body, highlights=("work on a payment platform",)) == []


def test_an_outreach_must_thank_the_reader() -> None:
    interview = sample_interviews(LONDON)[0]
    assert interview.recipient is not None
    context = RenderContext(
        ActionKind.OUTREACH, interview.recipient, interview, "Ada", "Ada", (), LONDON
    )
    content = Renderer(None).render_unchecked(context)
    assert content_problems(context, content) == []
    rude = replace(content, body=content.body.replace("Thank you for arranging", "I note"))
    assert content_problems(context, rude) == ["does not thank the reader"]


def test_a_recipient_named_like_a_banned_word_is_fine() -> None:
    interview = sample_interviews(LONDON)[0]
    recipient = Participant("kai.hey@acme.com", "Kai Hey")
    context = RenderContext(ActionKind.OUTREACH, recipient, interview, "Ada", "Ada", (), LONDON)
    content = Renderer(None).render_unchecked(context)
    assert "Hi Kai," in content.body
    assert content_problems(context, content) == []


def test_a_name_inside_a_word_is_not_removed_before_the_checks() -> None:
    """Regression: the recipient "Hank" once hid the "Thank" of "Thank you"."""
    london = ZoneInfo("Europe/London")
    start = datetime(2026, 12, 10, 10, tzinfo=UTC)
    event = CalendarEvent(
        uid="h", title="Interview with Globex", start=start, end=start + timedelta(hours=1),
        organizer=Participant("hank@globex.com", "Hank"),
    )  # fmt: skip
    interview = recognize(
        event, account="a", user=UserIdentity("Ada", frozenset({"a@x.org"}), london), rules=Rules()
    )
    assert interview is not None and interview.recipient is not None
    context = RenderContext(
        kind=ActionKind.OUTREACH, recipient=interview.recipient, interview=interview,
        user_name="Ada", signature="Ada", highlights=(), timezone=london,
    )  # fmt: skip
    content = Renderer(None).render_unchecked(context)
    assert content_problems(context, content) == []
