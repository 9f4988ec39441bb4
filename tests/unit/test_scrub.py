"""The one scrubber: secrets masked, terminal control sequences made harmless."""

from __future__ import annotations

from daemon.scrub import REDACTED, scrub


def test_a_bearer_token_echoed_by_a_service_is_masked() -> None:
    text = "Graph answered 400: bad header Authorization: Bearer eyJ0eXAi.payload.signature"
    assert scrub(text) == f"Graph answered 400: bad header Authorization: Bearer {REDACTED}"


def test_tokens_in_json_and_query_strings_are_masked() -> None:
    text = '{"refresh_token": "1//0gAbCdEfGhIjKl"} https://x/cb?code=4/0AbC&state=s'
    masked = scrub(text)
    assert "1//0gAbCdEfGhIjKl" not in masked and "4/0AbC" not in masked
    assert masked.count(REDACTED) == 2


def test_escape_sequences_are_shown_not_obeyed() -> None:
    title = "Interview\x1b]0;pwned\x07\x1b[2J at Acme\x9b31m"
    assert scrub(title) == "Interview\\x1b]0;pwned\\x07\\x1b[2J at Acme\\x9b31m"


def test_a_one_line_message_stays_one_line_and_tables_keep_their_lines() -> None:
    assert scrub("first\r\nsecond\nthird") == "first second third"
    assert scrub("a\tb\nc\x1b", keep_newlines=True) == "a\tb\nc\\x1b"


def test_ordinary_text_is_left_alone() -> None:
    text = "Acme – Technical interview (Senior Backend Engineer) · Zoë Ünal, 14:00 GMT"
    assert scrub(text) == text
