"""Company and role from the shapes invitations come in (titles, descriptions, tools)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from interview_outreach.daemon.domain.interviews import recognize
from interview_outreach.daemon.domain.model import (
    CalendarEvent,
    Interview,
    Participant,
    UserIdentity,
)
from interview_outreach.daemon.domain.rules import Rules

USER = UserIdentity(
    name="Ada Lovelace",
    addresses=frozenset({"ada.lovelace@gmail.com", "ada@analytical.io"}),
    timezone=ZoneInfo("Europe/London"),
)
ADA = Participant("ada.lovelace@gmail.com", "Ada Lovelace")


def read(title: str, description: str = "", *people: Participant) -> Interview:
    """The interview an invitation from ``people`` (organizer first) is read as."""
    start = datetime(2026, 12, 10, 10, tzinfo=UTC)
    organizer = people[0] if people else Participant("no-reply@greenhouse.io", "Greenhouse")
    event = CalendarEvent(
        uid="uid-1",
        title=title,
        start=start,
        end=start + timedelta(hours=1),
        description=description,
        organizer=organizer,
        attendees=(*people, ADA),
    )
    found = recognize(event, account="personal", user=USER, rules=Rules())
    assert found is not None, title
    return found


def person(email: str, name: str = "") -> Participant:
    return Participant(email, name)


@pytest.mark.parametrize(
    ("title", "people", "company", "role"),
    [
        (
            "Initrode Interview: Ada Lovelace for Analytics Engineer",
            (person("no-reply@greenhouse.io", "Greenhouse"), person("bob@initrode.com", "Bob S")),
            "Initrode",
            "Analytics Engineer",
        ),
        (
            "Final round: Site Reliability Engineer @ Stark Industries",
            (person("pepper@starkindustries.com", "Pepper Potts"),),
            "Stark Industries",
            "Site Reliability Engineer",
        ),
        (
            "Video Interview - Senior Data Scientist at Wayne Enterprises",
            (person("noreply@talent.icims.com"), person("lucius@wayne-enterprises.com", "L Fox")),
            "Wayne Enterprises",
            "Senior Data Scientist",
        ),
        (
            "Vandelay Industries Panel Interview",
            (person("notifications@ashbyhq.com"), person("george@vandelayind.com", "G C")),
            "Vandelay Industries",
            "",
        ),
        (
            "Hooli | Staff Data Engineer | Onsite",
            (person("gavin@hooli.xyz", "Gavin Belson"),),
            "Hooli",
            "Staff Data Engineer",
        ),
        (
            "[Globex] Onsite - Ada Lovelace",
            (person("hank@globexcorp.com", "Hank Scorpio"),),
            "Globex",
            "",
        ),
        (
            "Vorstellungsgespräch – Data Engineer (m/w/d) – Nordhafen Logistik",
            (
                person("jobs@nordhafen-logistik.de", "Recruiting"),
                person("timo@nordhafen-logistik.de"),
            ),
            "Nordhafen Logistik",
            "Data Engineer",
        ),
        (
            "Entretien – Développeur·euse Backend (H/F) – Cassis Technologies",
            (person("no-reply@hire.lever.co", "Cassis Technologies via Lever"),),
            "Cassis Technologies",
            "Développeur·euse Backend",
        ),
        (
            "Entrevista técnica – Ingeniera de Datos Sr. (f/h) – Ada Lovelace",
            (person("laura@nopalfintech.mx", "Laura Ruiz"),),
            "Nopalfintech",
            "Ingeniera de Datos Sr.",
        ),
        (
            "Interview – Data Analyst (w/m/d) – Northwind Traders",
            (person("emily@nwt.com", "Emily Carter"),),
            "Northwind Traders",
            "Data Analyst",
        ),
    ],
)
def test_title_shapes(title: str, people: tuple[Participant, ...], company: str, role: str) -> None:
    found = read(title, "", *people)
    assert (found.company, found.role) == (company, role)


@pytest.mark.parametrize(
    ("description", "role"),
    [
        ("Thank you for applying for the Senior Data Engineer position at Acme.", "Senior Data Engineer"),
        ("vielen Dank für Ihre Bewerbung für die Stelle als Backend-Entwicklerin (w/m/d) bei uns.", "Backend-Entwicklerin"),
        ("Merci pour votre candidature pour le poste de Chef de projet Data (F/H) chez nous.", "Chef de projet Data"),
        ("Gracias por tu interés en el puesto de Arquitecta de Datos en nuestra empresa.", "Arquitecta de Datos"),
        ("Questions:\n\nWhich role are you applying for?\nAnalytics Engineering Lead\n", "Analytics Engineering Lead"),
        ("Position: Quant Developer (80–100 %)\n", "Quant Developer"),
        ("wir freuen uns, Sie zu einem Gespräch für die Stelle als Data Engineer einzuladen.", "Data Engineer"),
        ("gern möchten wir mit Ihnen über Ihre Bewerbung als Analyst zu sprechen.", "Analyst"),
        ("Gespräch für die Stelle als Produktmanager Daten bei der Acme.", "Produktmanager Daten"),
    ],
)  # fmt: skip
def test_role_from_the_description(description: str, role: str) -> None:
    found = read("Interview", description, person("jane@acme.com", "Jane Doe"))
    assert found.role == role


@pytest.mark.parametrize(
    ("people", "description", "company"),
    [
        # a hiring tool sends on the employer's behalf, no employer address on the invite
        ((person("northbridge@myworkday.com", "Northbridge Building Society"),), "", "Northbridge Building Society"),
        ((person("no-reply@hire.lever.co", "Fabrikam via Lever"),), "", "Fabrikam"),
        ((person("laura@brisapay.teamtailor-mail.com", "Laura Pons"),), "Saludos, Brisa Pay", "Brisa Pay"),
        # the name written for the domain, the most used one, without legal form or team
        ((person("ana@alderwood.co.uk", "Ana"),),
         "Panel for the role at Alderwood Retail Group.\nWhere: Alderwood Support Centre\n"
         "Alderwood Retail Group Talent Team", "Alderwood Retail Group"),
        ((person("reto@limmat-re.ch", "Reto B"),), "bei der Limmat Rückversicherung AG", "Limmat Rückversicherung"),
        ((person("ana@bancsabadell.com", "Ana"),), "el puesto en Banco de Sabadell.", "Banco de Sabadell"),
        ((person("gabriel@orchardpay.com", "Gabriel"),), "open roles in Orchard Pay's data team", "Orchard Pay"),
        # a recruitment agency invites on behalf of its client
        ((person("sam@hays.co.uk", "Sam Hays"),), "on behalf of our client, Initech Ltd, for the role.", "Initech"),
        # her current employer is never the company
        ((person("tom@brightwave.io", "Tom"),), "the dbt project you're running at Analytical", "Brightwave"),
    ],
)  # fmt: skip
def test_company(people: tuple[Participant, ...], description: str, company: str) -> None:
    assert read("Interview", description, *people).company == company
