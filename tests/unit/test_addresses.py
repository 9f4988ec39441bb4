"""Addresses from strangers: what is accepted, what is rejected and why."""

from __future__ import annotations

import email.headerregistry

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interview_outreach.daemon.domain.addresses import (
    Contacts,
    InvalidAddress,
    clean_name,
    parse_address,
    shown,
)
from interview_outreach.daemon.domain.limits import MAX_ATTENDEES_PER_EVENT


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        ("Jane.Doe@Acme.COM", "jane.doe@acme.com"),
        ("mailto:jane@acme.com", "jane@acme.com"),
        ("  MAILTO:jane+jobs@acme.co.uk ", "jane+jobs@acme.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("john@bücher.de", "john@xn--bcher-kva.de"),
    ],
)
def test_plain_addresses_are_accepted_in_one_form(raw: str, address: str) -> None:
    assert parse_address(raw) == address


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("jane@northwind.com?bcc=attacker@evil.com", "contains a query string"),
        ("jane@x.com>, attacker@evil.com", "holds more than one address"),
        ("jane@x.com;eve@evil.com", "holds more than one address"),
        ("jane@x.com\r\nBcc: eve@evil.com", "contains control characters"),
        ("ja\x1cne@x.com", "contains control characters"),
        ("Jane <jane@x.com>", "is not a plain address"),
        ('"jane doe"@x.com', "is not a plain address"),
        ("jane", "has no @domain"),
        ("jane@localhost", "has a domain without a dot"),
        ("jane@x_y.com", "has an invalid domain"),
        ("jane@-x.com", "has an invalid domain"),
        ("jane@1.2.3.4", "has a numeric top-level domain"),
        ("jörg@x.de", "has a local part that is not ASCII"),
        (".jane@x.com", "has a misplaced dot"),
        ("", "empty"),
        ("j" * 250 + "@x.com", "longer than 254 characters"),
    ],
)
def test_anything_else_is_rejected_with_the_reason(raw: str, why: str) -> None:
    with pytest.raises(InvalidAddress, match=f"^{why}$"):
        parse_address(raw)


@given(st.text(max_size=80))
def test_an_accepted_address_always_makes_a_valid_header(raw: str) -> None:
    try:
        address = parse_address(raw)
    except InvalidAddress:
        return
    header = email.headerregistry.Address(addr_spec=address)
    assert header.addr_spec == address and address == address.lower() and address.isascii()


def test_contacts_keep_a_few_rejected_entries_shown_safely_and_stop_at_the_bound() -> None:
    contacts = Contacts()
    assert contacts.person("jane@x.com?bcc=eve@evil.com\x1b[2J") is None
    person = contacts.person("Raj@Acme.com", "Raj\x00 Patel\n")
    assert person is not None and (person.email, person.name) == ("raj@acme.com", "Raj Patel")
    assert [x.email for x in contacts.invalid] == ["jane@x.com?bcc=eve@evil.com\\x1b[2J"]
    for n in range(MAX_ATTENDEES_PER_EVENT):
        contacts.person(f"bad{n}")
    assert contacts.full and len(contacts.invalid) == 5


def test_names_and_shown_values_are_one_safe_line() -> None:
    assert clean_name("  Jane\r\nBcc: x  ") == "Jane Bcc: x"
    assert len(clean_name("x" * 10_000)) == 256


@pytest.mark.parametrize(
    "text",
    ["\x1b[2JRaj Patel", "\x1b[31mRaj\x1b[0m Patel", "\x1b]0;title\x07Raj Patel", "\x1bcRaj Patel"],
)
def test_a_terminal_escape_sequence_leaves_no_trace_in_a_name(text: str) -> None:
    assert clean_name(text) == "Raj Patel"
    assert shown("a\x1bb") == "a\\x1bb"
    assert len(shown("y" * 500)) == 80
