"""The ticket's SLA timeline (issue 16, item 5): each transition once, in time order, and the events
of a clock that a change removed marked as such; on the demo data and after a goal is removed and
given back with "new and open tickets".

What the reports of duplicated lines were: no clock ever held two due-soon or overdue events at
one moment (a unique constraint forbids it). A removed clock's events lose their clock when it is
deleted, and the clock given back later has the same kind and cycle and records its transitions
at the same moments: two clocks shown alike. The "started after its own overdue" lines were the
``applied`` event, stamped when the change applied the goal while its transitions are stamped at
the clock's own moments.
"""

from __future__ import annotations

import copy
import datetime
import re
from collections import Counter
from html import unescape

import pytest
from django.test import Client

from settings_app.demo import DEMO_SETTINGS, demo_seed
from settings_app.models import SlaSettingsChange
from settings_app.selectors import sla_config_cache_clear
from settings_app.services import sla_settings_save
from tests.tickets.conftest import utc
from tickets.demo import demo_tickets_seed
from tickets.models import SlaClock, SlaEvent, Ticket
from tickets.recompute import sla_recompute_run
from tickets.selectors import ticket_timeline
from tickets.services import ticket_create, ticket_message_add, ticket_update

pytestmark = pytest.mark.django_db

NOW = utc("2026-03-04T15:00:00Z")  # a Wednesday


def settings_save(document: dict, *, now: datetime.datetime) -> None:
    result = sla_settings_save(
        document=document, actor=None, via=SlaSettingsChange.Via.COMMAND, apply_to="new_and_open"
    )
    sla_config_cache_clear()
    assert result.recompute is not None
    sla_recompute_run(recompute_id=result.recompute.pk, now=now)


def without_close_goals(document: dict, values: tuple[str, ...]) -> dict:
    changed = copy.deepcopy(document)
    for row in changed["goals"]:
        if row["value"] in values:
            row["close_minutes"] = row["close_due_soon_minutes"] = None
    return changed


@pytest.fixture
def demo(time_machine) -> list[int]:
    time_machine.move_to(NOW, tick=False)
    demo_seed()
    sla_config_cache_clear()
    demo_tickets_seed(count=80, now=NOW)
    return list(Ticket.objects.order_by("id").values_list("id", flat=True))


def assert_each_transition_once_in_time_order(ticket_ids: list[int]) -> None:
    for ticket_id in ticket_ids:
        timeline = ticket_timeline(ticket_id=ticket_id)
        moments = [item.at for item in timeline]
        assert moments == sorted(moments), ticket_id
        by_clock: dict[tuple, list] = {}
        for item in timeline:
            by_clock.setdefault(item.clock_key, []).append(item)
        for key, items in by_clock.items():
            twice = [
                kind_at
                for kind_at, n in Counter((i.event.kind, i.at) for i in items).items()
                if n > 1
            ]
            assert twice == [], (ticket_id, key)
            assert items[0].event.kind == SlaEvent.Kind.APPLIED, (ticket_id, key)


def test_the_demo_timelines_list_each_transition_once_in_time_order(demo) -> None:
    assert_each_transition_once_in_time_order(demo)


def test_after_a_goal_is_removed_and_given_back(demo) -> None:
    settings_save(without_close_goals(DEMO_SETTINGS, ("high", "medium")), now=NOW)
    later = NOW + datetime.timedelta(hours=2)
    settings_save(copy.deepcopy(DEMO_SETTINGS), now=later)

    assert_each_transition_once_in_time_order(demo)
    # The removed clocks: their events are marked, and tell which removal they belong to.
    removed = SlaEvent.objects.filter(kind="removed")
    assert removed.count() > 10
    for event in removed:
        timeline = ticket_timeline(ticket_id=event.ticket_id)
        mine = [item for item in timeline if item.removed_by == event]
        assert mine and all(item.is_removed_clock for item in mine)
        assert {item.event.clock_id for item in mine} == {None}
        assert event.detail["why"] == "settings"
        # The clock given back has its own events, its start stamped at the ticket's creation.
        clock = SlaClock.objects.get(ticket_id=event.ticket_id, kind="close")
        given_back = [item for item in timeline if item.event.clock_id == clock.pk]
        assert given_back[0].event.kind == "applied"
        assert (
            given_back[0].at
            == clock.started_at
            == Ticket.objects.get(pk=event.ticket_id).created_at
        )


def test_a_clock_given_after_the_fact_starts_at_its_own_start(sla_settings, freeze) -> None:
    """A property change gives a ticket goals 5 h after it opened: the clock's start, due soon
    and overdue are stamped at their own moments, and the page lists them in that order."""
    document = copy.deepcopy(DEMO_SETTINGS)
    sla_settings(document)
    created = freeze("2026-03-04T08:00:00Z")
    ticket = ticket_create(
        subject="Printer", body="Help", requester_email="a@example.com", priority="low", now=created
    )
    moved = freeze("2026-03-04T13:00:00Z")
    ticket_update(ticket_id=ticket.pk, now=moved, priority="urgent")

    applied = SlaEvent.objects.get(ticket=ticket, clock_kind="first_response", kind="applied")
    assert applied.at == SlaClock.objects.get(ticket=ticket, kind="first_response").started_at
    assert applied.detail["applied_at"] == "2026-03-04T13:00:00Z"
    kinds = [
        item.event.kind
        for item in ticket_timeline(ticket_id=ticket.pk)
        if item.event.clock_kind == "first_response"
    ]
    assert kinds == ["applied", "due_soon", "overdue"]


def page_timeline(client: Client, ticket_id: int) -> list[tuple[str, str]]:
    html = client.get(f"/tickets/{ticket_id}/").content.decode()
    section = html.split('id="timeline-heading"', 1)[1]
    return [
        (moment, re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", text))).strip())
        for moment, text in re.findall(
            r'<time datetime="([^"]+)"[^>]*>.*?</time>(.*?)</li>', section, re.S
        )
    ]


def test_the_page_marks_the_events_of_a_removed_clock(agent_client: Client, sla_settings, freeze):
    document = copy.deepcopy(DEMO_SETTINGS)
    sla_settings(document)
    created = freeze("2026-03-04T08:00:00Z")
    ticket = ticket_create(
        subject="Printer",
        body="Help",
        requester_email="a@example.com",
        priority="high",
        now=created,
    )
    freeze("2026-03-04T16:00:00Z")
    settings_save(without_close_goals(document, ("high",)), now=utc("2026-03-04T16:00:00Z"))
    freeze("2026-03-05T16:00:00Z")
    settings_save(copy.deepcopy(DEMO_SETTINGS), now=utc("2026-03-05T16:00:00Z"))

    lines = page_timeline(agent_client, ticket.pk)
    moments = [moment for moment, _ in lines]
    assert moments == sorted(moments)
    texts = [text for _, text in lines]
    assert any(
        t.startswith("Close removed (no goal applies after a settings change)") for t in texts
    )
    started = [t for t in texts if t.startswith("Close started")]
    assert len(started) == 2
    assert sum("of a clock removed" in t for t in started) == 1


def test_clocks_without_a_running_cycle_say_why(agent_client: Client, sla_settings, freeze, agent):
    sla_settings(copy.deepcopy(DEMO_SETTINGS))
    created = freeze("2026-03-04T08:00:00Z")
    high = ticket_create(
        subject="Printer",
        body="Help",
        requester_email="a@example.com",
        priority="high",
        now=created,
    )
    low = ticket_create(
        subject="Mouse", body="Help", requester_email="a@example.com", priority="low", now=created
    )

    def panel(ticket: Ticket) -> str:
        html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
        return html.split('id="sla-heading"', 1)[1].split('id="timeline-heading"', 1)[0]

    assert "Starts at the customer&#x27;s next message after the first reply" in panel(high)
    assert "No goal" not in panel(high)
    assert panel(low).count("No goal") == 3

    freeze("2026-03-04T08:30:00Z")
    ticket_message_add(
        ticket_id=high.pk,
        body="On it",
        author_kind="agent",
        author=agent,
        now=utc("2026-03-04T08:30:00Z"),
    )
    assert "No reply owed now; starts at the customer&#x27;s next message" in panel(high)
    assert "No goal" not in panel(high)
