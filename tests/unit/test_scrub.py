"""The one scrubber: secrets masked, terminal control sequences made harmless."""

from __future__ import annotations

import json

import pytest

from interview_outreach.daemon.scrub import REDACTED, scrub, scrub_json


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


@pytest.mark.parametrize(
    ("text", "secret", "kept"),
    [
        # Bearer tokens, in a header dump and in a Python repr of the headers.
        ("Authorization: Bearer ya29.a0AfH6SMBx-abc_def", "a0AfH6SMBx", "Authorization: Bearer"),
        ("{'Authorization': 'Bearer EwBwA8l6BAAU.secret'}", "EwBwA8l6BAAU", "'Authorization'"),
        # Refresh tokens: Google's anywhere, any provider's by name.
        ("retrying with 1//0gVeryLongRefreshTokenValue", "VeryLongRefresh", "retrying with"),
        ('{"refresh_token": "M.C5_BAY.0.U.-Cq!secret", "scope": "x"}', "Cq!secret", '"scope"'),
        ("refresh_token: M.C5_BAY.0.U.-Cqsecret", "Cqsecret", "refresh_token: "),
        ("grant_type=refresh_token&refresh_token=0.ARoA-secret&x=1", "ARoA-secret", "&x=1"),
        # Authorization codes: in a redirect, a token request, JSON, and Google's bare form.
        ("GET /callback?state=s1&code=0.AXoA-secret-code&session_state=z", "AXoA-secret", "s1"),
        ('{"code": "4/0AX4XfWhSecretCode", "state": "s1"}', "0AX4XfWh", '"state": "s1"'),
        ("invalid_grant for 4/0AX4XfWhSecretAuthorizationCode", "SecretAuthorization", "for"),
        # URL credentials.
        ("postgresql://ada:s3cret-pw@db.example.org/outreach", "s3cret-pw", "ada:"),
        ("https://ghp_0123456789abcdefghij@github.com/x.git", "ghp_0123", "@github.com/x.git"),
        ("IMAP imaps://ada%40example.org:p%40ss@mail.example.org", "p%40ss", "ada%40example.org"),
        # MSAL-style client secrets: form body, dict repr, TOML, and a library's log line.
        ("client_id=abc&client_secret=Qx8Q~secret.value&scope=x", "Qx8Q~secret", "client_id=abc"),
        ("{'client_id': 'abc', 'client_secret': 'Qx8Q~secret'}", "Qx8Q~secret", "'abc'"),
        ('client_secret = "Qx8Q~secret"', "Qx8Q~secret", "client_secret = "),
        ("client_secret: Qx8Q~secret, authority: x", "Qx8Q~secret", "authority: x"),
        # A JSON web token (Microsoft's access and ID tokens) on its own.
        ("token was eyJ0eXAiOiJKV1Qi.eyJhdWQiOiJodHRw.c2lnbmF0dXJl", "eyJhdWQi", "token was"),
    ],
)
def test_every_kind_of_secret_is_masked(text: str, secret: str, kept: str) -> None:
    masked = scrub(text)
    assert secret not in masked
    assert REDACTED in masked
    assert kept in masked
    assert scrub(masked) == masked  # scrubbing twice changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "! account home: needs authorization: run `interview-outreach auth home`",
        "  authorization: no authorization needed",
        "https://calendar.example.org:8443/dav/ada@example.org/",
        "mailto:jane.doe@acme.com",
        "postgresql://ada@db.example.org/outreach",
        "Graph answered 404: ErrorItemNotFound; access token expired, refresh token kept",
        "ID 4/2026 at 10:00, path /a/1//b",
    ],
)
def test_ordinary_text_with_look_alike_words_is_left_alone(text: str) -> None:
    assert scrub(text) == text


def test_terminal_control_sequences_are_escaped() -> None:
    title = "\x1b[31mRed\x1b[0m \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ \x08\x7f"
    shown = scrub(title)
    assert "\x1b" not in shown and "\x08" not in shown and "\x7f" not in shown
    assert shown == (
        "\\x1b[31mRed\\x1b[0m \\x1b]8;;https://evil.example\\x1b\\link\\x1b]8;;\\x1b\\ \\x08\\x7f"
    )


def test_unicode_line_separators_cannot_start_a_new_line() -> None:
    text = "Interview\u2028ERROR forged line\u2029\x85\x0b\x0c\x1c"
    shown = scrub(text)
    assert shown.splitlines() == [shown]
    assert shown == "Interview\\u2028ERROR forged line\\u2029\\x85\\x0b\\x0c\\x1c"
    assert scrub(text, keep_newlines=True) == shown


def test_scrub_json_keeps_valid_json_and_escapes_what_a_terminal_obeys() -> None:
    text = json.dumps({"title": "a\x9b[2J\u2028b", "note": "Bearer ya29.abc"}, ensure_ascii=False)
    shown = scrub_json(text)
    assert "\x9b" not in shown and "\u2028" not in shown and "ya29" not in shown
    assert json.loads(shown) == {"title": "a\x9b[2J\u2028b", "note": "Bearer [redacted]"}
