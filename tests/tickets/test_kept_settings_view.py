"""A ticket kept on its old settings ("new tickets only") keeps its due moment, and its time left
comes from its stored moments, never from working hours it was not counted in (SPEC 2.5;
old schedules are not kept, docs/DECISIONS.md)."""

from __future__ import annotations

from django.test import Client

from settings_app.services import sla_settings_save
from tests.factories import WORKING_HOURS_DOCUMENT, TicketFactory, goal_row, sla_document
from tests.tickets.conftest import utc
from tickets.models import SlaClock

CREATED = utc("2026-12-07T08:00:00Z")  # Mon 09:00 Stockholm
SEEN = utc("2026-12-07T15:00:00Z")  # Mon 16:00: 7 of 16 working hours counted, 9 h left
GOALS = [goal_row(first_response=(16 * 60, None))]


def ticket_page(client: Client, ticket_id: int) -> str:
    return " ".join(client.get(f"/tickets/{ticket_id}/").content.decode().split())


def test_time_left_of_a_kept_ticket_is_not_counted_in_the_new_hours(
    agent_client: Client, time_machine
) -> None:
    sla_settings_save(
        document=sla_document(WORKING_HOURS_DOCUMENT, goals=GOALS), actor=None, via="api"
    )
    ticket = TicketFactory(now=CREATED)
    due_at = SlaClock.objects.get(ticket=ticket, kind="first_response").due_at
    assert due_at == utc("2026-12-08T16:00:00Z")  # Tue 17:00 Stockholm
    time_machine.move_to(SEEN, tick=False)
    before = ticket_page(agent_client, ticket.pk)
    assert "9 h left in counted time" in before

    # Longer working hours from now on, for new tickets only: this ticket keeps its moments.
    longer = {day: [["07:00", "19:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    sla_settings_save(
        document=sla_document(WORKING_HOURS_DOCUMENT, goals=GOALS, working_hours=longer),
        actor=None,
        via="api",
        apply_to="new",
    )
    assert SlaClock.objects.get(ticket=ticket, kind="first_response").due_at == due_at
    after = ticket_page(agent_client, ticket.pk)
    assert "Due Tue 8 Dec, 17:00 CET" in after
    assert "in counted time" not in after  # the new hours would say 15 h
    assert "Counted in the working hours of its settings (version 2)" in after
    assert "in 1 d 1 h" in after  # to its stored due moment

    # A new ticket is counted in the new hours, and says so.
    fresh = TicketFactory(now=SEEN)
    assert "left in counted time" in ticket_page(agent_client, fresh.pk)


def test_a_goal_change_alone_keeps_counted_time(agent_client: Client, time_machine) -> None:
    """The schedule did not change: kept tickets still show counted time left."""
    sla_settings_save(
        document=sla_document(WORKING_HOURS_DOCUMENT, goals=GOALS), actor=None, via="api"
    )
    ticket = TicketFactory(now=CREATED)
    sla_settings_save(
        document=sla_document(WORKING_HOURS_DOCUMENT, goals=[goal_row(first_response=(60, 5))]),
        actor=None,
        via="api",
        apply_to="new",
    )
    time_machine.move_to(SEEN, tick=False)
    assert "9 h left in counted time" in ticket_page(agent_client, ticket.pk)


def test_time_left_counts_in_the_tickets_team_schedule(agent_client: Client, time_machine) -> None:
    """SPEC 2.1: a team's ticket shows its time left in its team's hours, not the default's."""
    from settings_app.models import Team

    team = Team.objects.create(slug="support-us", name="Support US")
    new_york = {
        "teams": ["support-us"],
        "timezone": "America/New_York",
        "working_hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": [],
    }
    sla_settings_save(
        document=sla_document(WORKING_HOURS_DOCUMENT, goals=GOALS, team_schedules=[new_york]),
        actor=None,
        via="api",
    )
    ticket = TicketFactory(now=CREATED, team=team)  # Mon 03:00 in New York
    # New York: from Mon 09:00 EST (14:00Z), 16 working hours: Tue 17:00 EST.
    assert SlaClock.objects.get(ticket=ticket, kind="first_response").due_at == utc(
        "2026-12-08T22:00:00Z"
    )
    time_machine.move_to(SEEN, tick=False)  # Mon 10:00 EST: 1 h counted, 15 h left
    page = ticket_page(agent_client, ticket.pk)
    assert "15 h left in counted time" in page
    plain = TicketFactory(now=CREATED)
    assert "9 h left in counted time" in ticket_page(agent_client, plain.pk)
