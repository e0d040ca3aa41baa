"""The shared universe of people: who is in NationBuilder, Action Network or both; their emails."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field

FIRST_NAMES = (
    "Maya",
    "Luis",
    "Zoë",
    "José",
    "Siobhán",
    "Ngozi",
    "Björn",
    "Fatima",
    "Hiroshi",
    "Priya",
    "Aiyana",
    "Dmitri",
    "Amélie",
    "Kwame",
    "Søren",
    "Li",
    "Mateo",
    "Aroha",
    "Chloé",
    "Tomás",
    "Yusuf",
    "Ingrid",
    "Anaïs",
    "Kofi",
    "Renée",
    "Jürgen",
    "Mei",
    "Omar",
    "Zuzanna",
    "Darius",
)
LAST_NAMES = (
    "Okafor",
    "Ortega",
    "Nguyễn",
    "O'Brien",
    "Müller",
    "García",
    "Kowalski",
    "Haddad",
    "Sato",
    "Smith",
    "Iyer",
    "Johansson",
    "Dubois",
    "Mensah",
    "Łukasiewicz",
    "Chen",
    "Rossi",
    "Walker",
    "Ferreira",
    "Novák",
    "Abebe",
    "Jensen",
    "Da Silva",
    "Kim",
    "Petrov",
    "Van der Berg",
    "Ali",
    "Papadopoulos",
    "Nakamura",
    "Brennan",
)
DOMAINS = ("example.org", "example.net", "mail.example.com", "union.example", "campaign.example")


def ascii_slug(text: str) -> str:
    """Email-safe lowercase form of a name: accents folded, punctuation and spaces dropped."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


@dataclass
class Person:
    """One human. `shared_email` is the address both systems know when the person is in both."""

    key: int
    first_name: str
    last_name: str
    shared_email: str | None
    other_email: str | None = None
    in_nb: bool = False
    in_an: bool = False
    # How each system stores the shared email (case and spaces may differ between systems).
    nb_emails: list[str | None] = field(default_factory=list)
    nb_primary_slot: int = 1
    an_emails: list[tuple[str, bool]] = field(default_factory=list)


def _email(rng: random.Random, first: str, last: str, key: int) -> str:
    return f"{ascii_slug(first)}.{ascii_slug(last)}{key}@{rng.choice(DOMAINS)}"


def _messy(rng: random.Random, email: str) -> str:
    """The same address as a person might have typed it into another system."""
    roll = rng.random()
    if roll < 0.15:
        return email.upper()
    if roll < 0.3:
        return f"  {email.capitalize()} "
    return email


def build_universe(rng: random.Random, nb_count: int, an_count: int) -> list[Person]:
    """People for both systems: about a third of everyone is in both, matched by email."""
    both = min((nb_count + an_count) // 4, nb_count, an_count)
    total = nb_count + an_count - both
    people: list[Person] = []
    for key in range(total):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        people.append(Person(key, first, last, _email(rng, first, last, key)))
    order = list(range(total))
    rng.shuffle(order)
    for index in order[:both]:
        people[index].in_nb = people[index].in_an = True
    for index in order[both : both + (nb_count - both)]:
        people[index].in_nb = True
    for index in order[both + (nb_count - both) :]:
        people[index].in_an = True
    for person in people:
        assign_emails(rng, person)
    return people


def assign_emails(rng: random.Random, person: Person) -> None:
    """Give each system its view of the person's addresses, with the awkward cases real data has."""
    shared = person.shared_email
    assert shared is not None
    if person.in_nb:
        roll = rng.random()
        if not person.in_an and roll < 0.04:
            person.shared_email = None  # NationBuilder allows people without email
            person.nb_emails = [None, None, None, None]
            person.nb_primary_slot = 1
        elif person.in_an and roll < 0.12:
            # Their NB primary is a work address; the address AN knows sits in slot 2.
            person.other_email = f"work.{shared}"
            person.nb_emails = [person.other_email, _messy(rng, shared), None, None]
            person.nb_primary_slot = 1
        else:
            person.nb_emails = [_messy(rng, shared), None, None, None]
            person.nb_primary_slot = 1
    if person.in_an:
        if rng.random() < 0.1:
            alt = f"alt.{shared}"
            person.an_emails = [(alt, True), (shared, False)]
        else:
            person.an_emails = [(shared if not person.in_nb else _messy(rng, shared), True)]
