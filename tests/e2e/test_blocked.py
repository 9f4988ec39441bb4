"""What a pass says: a due draft that cannot be made is named (`once` exits 1) and
`status` shows it blocked with its reason; the per-pass cap on new drafts."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.conftest import World
from tests.e2e.test_lifecycle import START, interview, only

AFTER = START + timedelta(hours=2, minutes=1)  # both thank-yous are due (16:00 on Thursday)


def thankyous(world: World) -> list[dict[str, object]]:
    actions = only(world.status(at=AFTER))["actions"]
    result: list[dict[str, object]] = actions["thankyou"]
    return sorted(result, key=lambda a: str(a["recipient"]))


def test_a_template_that_breaks_a_content_rule_blocks_the_draft_and_says_so(
    world: World,
) -> None:
    (world.root / "templates").mkdir()
    (world.root / "templates" / "thankyou.txt.j2").write_text(
        "Subject: Thank you\n\nDear {{ recipient_name }},\n\nThank you for your time. What "
        "salary does the role pay? I look forward to hearing from you. Thanks again.\n\n"
        "Best regards,\n{{ signature }}\n"
    )
    interview(world)
    result = world.run("once", at=AFTER)
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if "is blocked" in line]
    assert len(lines) == 2
    assert lines[0].startswith("home: thankyou to ")
    assert "Acme – Technical interview" in lines[0] and "cannot draft:" in lines[0]
    assert world.draft_paths() == []
    for action in thankyous(world):
        assert (action["state"], action["reason"]) == ("blocked", "template_rule")
        assert action["due_at"] == "2026-12-10T16:00:00+00:00"
    # Fixed: the next pass drafts them.
    (world.root / "templates" / "thankyou.txt.j2").unlink()
    again = world.run("once", at=AFTER + timedelta(minutes=5))
    assert again.code == 0, again.err
    assert len(world.draft_paths()) == 2
    assert {a["state"] for a in thankyous(world)} == {"drafted"}


def test_at_most_max_new_drafts_per_pass_then_one_line(world: World) -> None:
    world.write_config(extra_rules="max_new_drafts_per_pass = 1")
    interview(world)
    result = world.run("once", at=AFTER)
    assert result.code == 1
    assert len(world.draft_paths()) == 1
    assert (
        "home: 1 new drafts made, the most for one pass (max_new_drafts_per_pass); "
        "1 more wait for the next pass"
    ) in result.err
    states = sorted((a["state"], a["reason"]) for a in thankyous(world))
    assert states == [("blocked", "draft_cap"), ("drafted", None)]
    again = world.run("once", at=AFTER + timedelta(minutes=5))
    assert again.code == 0, again.err
    assert len(world.draft_paths()) == 2
    assert {a["state"] for a in thankyous(world)} == {"drafted"}


def test_escape_sequences_from_an_invitation_never_reach_the_terminal(world: World) -> None:
    world.add_event("evil-1", "Interview\x1b[2J\x1b]0;pwned\x07 at Acme", START)
    world.run("once", at=START - timedelta(days=3))
    table = world.run("status", at=START - timedelta(days=3))
    assert "\x1b" not in table.out
    interview_id = only(world.status(at=START))["id"]
    explained = world.run("explain", str(interview_id), at=START)
    assert "\x1b" not in explained.out and "\x07" not in explained.out
    assert "\\x1b]0;pwned\\x07" in explained.out
