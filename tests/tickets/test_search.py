"""The ticket search (``ticket_search_q``: the queue's ``q``, the list API's, the admin's) finds
the same tickets as a plain case-insensitive scan of the subjects and requesters, plus the
ticket a number names. On PostgreSQL it reads the trigram-indexed side table that triggers keep
(migration 0020), so random tickets, random searches and every way a ticket is written or
removed are checked against the scan of the ticket rows themselves."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.db.models import Q

from tests.factories import TicketFactory
from tickets.models import Ticket
from tickets.selectors import TICKET_NUMBER, ticket_search_q

pytestmark = pytest.mark.django_db

WORDS = (
    "Printer",
    "printer jam",
    "PRINTER",
    "Invoice",
    "50% off",
    "under_score",
    "back\\slash",
    "Åsa Öberg",
    "straße",
    "Ärende",
    "VPN",
    "vpn down",
    "a",
    "ab",
    "x_y%z",
)

NAMES = ("ana", "Bo", "CAROL")
DOMAINS = ("example.com", "Kund.SE")


def _scan(text: str) -> set[int]:
    """The reference: the ticket rows scanned with Django's ``icontains``, and the number."""
    text = text.strip()
    found = Q(subject__icontains=text) | Q(requester_email__icontains=text)
    number = TICKET_NUMBER.fullmatch(text)
    if number is not None:
        found |= Q(pk=int(number.group(1)))
    return set(Ticket.objects.filter(found).values_list("pk", flat=True))


def _searched(text: str) -> set[int]:
    return set(Ticket.objects.filter(ticket_search_q(text)).values_list("pk", flat=True))


def _random_subject(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


def _queries(rng: random.Random, tickets: list[Ticket]) -> list[str]:
    queries = ["printer", "PRINTER", "%", "_", "\\", "50%", "x_y", "åsa", "ÅSA", "STRASSE"]
    queries += ["straße", "example.com", "nobody-has-this", " vpn ", "a", "ab", "", "  "]
    for ticket in rng.sample(tickets, 8):
        text = rng.choice((ticket.subject, ticket.requester_email))
        start = rng.randrange(len(text))
        piece = text[start : start + rng.randint(1, 6)]
        queries.append(piece.upper() if rng.random() < 0.5 else piece)
        queries += [str(ticket.pk), f"#{ticket.pk}", f"# {ticket.pk}"]
    return queries


def _assert_same(rng: random.Random, tickets: list[Ticket]) -> None:
    for text in _queries(rng, tickets):
        assert _searched(text) == _scan(text), text


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_search_finds_what_a_scan_of_the_tickets_finds(seed) -> None:
    rng = random.Random(seed)
    tickets = [
        TicketFactory(
            subject=_random_subject(rng),
            requester_email=f"{rng.choice(NAMES)}{n}@{rng.choice(DOMAINS)}",
        )
        for n in range(30)
    ]
    _assert_same(rng, tickets)

    # Subjects and requesters changed by a model save, by a queryset update, tickets deleted and
    # created again: the side table follows.
    for ticket in rng.sample(tickets, 8):
        ticket.subject = _random_subject(rng)
        ticket.save()
    changed = [t.pk for t in rng.sample(tickets, 5)]
    Ticket.objects.filter(pk__in=changed).update(requester_email="dora@printer.example")
    Ticket.objects.filter(pk__in=changed[:2]).update(subject="Moved 50% of the printer_queue")
    gone = {t.pk for t in rng.sample(tickets, 6)}
    Ticket.objects.filter(pk__in=gone).delete()
    tickets = [t for t in tickets if t.pk not in gone]
    tickets += [TicketFactory(subject=_random_subject(rng)) for _ in range(5)]
    _assert_same(rng, tickets)


def test_a_number_finds_its_ticket_and_what_contains_it() -> None:
    first = TicketFactory(subject="Order 12345 lost")
    numbered = TicketFactory(subject="Hello")
    assert _searched(str(numbered.pk)) >= {numbered.pk}
    assert _searched(f"#{numbered.pk}") == _scan(f"#{numbered.pk}")
    assert first.pk in _searched("2345")
    assert _searched("#999999999") == set()


@pytest.mark.postgres
def test_sla_updates_of_tickets_do_not_write_the_search_table() -> None:
    """The recompute and the services update only SLA columns: the triggers stay silent."""
    tickets = [TicketFactory() for _ in range(3)]

    def writes() -> tuple[int, int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables "
                "WHERE relname = 'tickets_ticket_search'"
            )
            return cursor.fetchone()

    before = writes()
    assert before[0] >= 3  # a row per ticket created
    Ticket.objects.update(sla_due_at=None, sla_overdue_at=None, sla_active_until=None)
    tickets[0].save()  # every column written, subject and requester unchanged
    assert writes() == before
    Ticket.objects.filter(pk=tickets[1].pk).update(subject="Renamed")
    assert writes() == (before[0], before[1] + 1, before[2])
    assert _searched("renamed") == {tickets[1].pk}


@pytest.mark.postgres
def test_the_search_uses_the_trigram_index() -> None:
    TicketFactory()
    with connection.cursor() as cursor:
        # (A few rows: the planner would rightly read them all; at scale it picks the indexes,
        # bench/queue_filters.py.)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        found = Ticket.objects.filter(ticket_search_q("printer")).values("pk")
        sql, params = found.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_search_subject_trgm" in plan and "ticket_search_requester_trgm" in plan, plan
