"""SPEC §2.1 "Team schedules" and §3 through the API: each team's tickets count in its own hours,
time zone and holidays; a team change re-picks the schedule and recomputes running clocks from
their original start (paused time counted again in the new calendar); settings applied to open
tickets of both teams.

Settings: goals for all tickets, first response 120 min (due soon 30 before), close 960 min
(due soon 120 before), "Waiting on customer" pauses. The default schedule is London 09–17; team
``support-se`` counts in Stockholm 08–16 (Christmas Eve off), ``support-us`` in New York 09–17
with Thanksgiving (Thu 26 Nov 2026) off. The clock is frozen at each step: every moment is exact.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from settings_app.models import Team
from tests.factories import goal_row, sla_document
from tests.tickets.scenarios.helpers import clock, running
from tickets.models import SlaEvent
from tickets.recompute import sla_recompute_run
from tickets.sla import iso as sla_iso

pytestmark = pytest.mark.django_db

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
STOCKHOLM = {
    "teams": ["support-se"],
    "timezone": "Europe/Stockholm",
    "working_hours": {day: [["08:00", "16:00"]] for day in WEEKDAYS},
    "holidays": [{"date": "2026-12-24", "name": "Julafton", "recurring": True}],
}
NEW_YORK = {
    "teams": ["support-us"],
    "timezone": "America/New_York",
    "working_hours": {day: [["09:00", "17:00"]] for day in WEEKDAYS},
    "holidays": [{"date": "2026-11-26", "name": "Thanksgiving", "recurring": False}],
}
SETTINGS = sla_document(
    applies="working_hours",
    timezone="Europe/London",
    working_hours={day: [["09:00", "17:00"]] for day in WEEKDAYS},
    holidays=[],
    goals=[goal_row(first_response=(120, 30), close=(960, 120))],
    team_schedules=[STOCKHOLM, NEW_YORK],
)


def put_settings(client: Client, document: dict[str, Any]) -> Any:
    response = client.put(
        "/api/sla/settings/", json.dumps(document), content_type="application/json"
    )
    assert response.status_code in (200, 202), response.content
    return response.json()


@pytest.fixture
def teams(admin_client_) -> dict[str, Team]:
    teams = {
        "support-se": Team.objects.create(slug="support-se", name="Support Sweden"),
        "support-us": Team.objects.create(slug="support-us", name="Support US"),
    }
    put_settings(admin_client_, SETTINGS)
    return teams


def test_the_same_moment_counts_in_each_teams_own_hours_and_holidays(teams, api, freeze) -> None:
    # Wed 25 Nov 2026 20:00Z: 15:00 in New York (working), 21:00 in Stockholm (evening).
    freeze("2026-11-25T20:00:00Z")
    us = api.create(team="support-us")
    se = api.create(team="support-se")
    plain = api.create()
    # New York: 15:00–17:00 Wed, Thanksgiving off, Fri 09–17, Mon 09–15.
    assert clock(us, "first_response") == running(
        "active",
        started_at="2026-11-25T20:00:00Z",
        due_at="2026-11-25T22:00:00Z",
        due_soon_at="2026-11-25T21:30:00Z",
    )
    assert clock(us, "close") == running(
        "active",
        started_at="2026-11-25T20:00:00Z",
        due_at="2026-11-30T20:00:00Z",
        due_soon_at="2026-11-30T18:00:00Z",
    )
    # Stockholm: Thanksgiving is a working day there; counting starts Thu 08:00 (07:00Z).
    assert clock(se, "first_response")["due_at"] == "2026-11-26T09:00:00Z"
    assert clock(se, "first_response")["due_soon_at"] == "2026-11-26T08:30:00Z"
    assert clock(se, "close")["due_at"] == "2026-11-27T15:00:00Z"
    assert clock(se, "close")["due_soon_at"] == "2026-11-27T13:00:00Z"
    # No team: the default schedule (London 09–17, GMT): Thu 09:00–11:00.
    assert clock(plain, "first_response")["due_at"] == "2026-11-26T11:00:00Z"


def test_each_team_crosses_its_own_daylight_saving_sunday(teams, api, freeze) -> None:
    # Europe leaves summer time on Sun 25 Oct 2026, the US on Sun 1 Nov 2026.
    freeze("2026-10-23T13:00:00Z")  # Fri 15:00 CEST in Stockholm
    se = api.create(team="support-se")
    # Fri 15:00–16:00, then Mon 26 Oct 08:00–09:00 CET (UTC+1).
    assert clock(se, "first_response")["due_at"] == "2026-10-26T08:00:00Z"
    assert clock(se, "first_response")["due_soon_at"] == "2026-10-26T07:30:00Z"
    freeze("2026-10-30T20:00:00Z")  # Fri 16:00 EDT in New York
    us = api.create(team="support-us")
    # Fri 16:00–17:00 EDT, then Mon 2 Nov 09:00–10:00 EST (UTC-5).
    assert clock(us, "first_response")["due_at"] == "2026-11-02T15:00:00Z"
    assert clock(us, "first_response")["due_soon_at"] == "2026-11-02T14:30:00Z"
    # Close, 16 h: Fri 1 h, Mon 8 h, Tue 09:00–16:00 EST.
    assert clock(us, "close")["due_at"] == "2026-11-03T21:00:00Z"


def test_moving_a_ticket_to_another_team_recomputes_from_the_original_start(
    teams, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")  # Tue 09:00 in Stockholm, 03:00 in New York
    ticket_id = api.create(team="support-se")["id"]
    assert clock(api.ticket(ticket_id), "first_response")["due_at"] == "2026-12-01T10:00:00Z"
    freeze("2026-12-01T10:00:00Z")
    ticket = api.update(ticket_id, team="support-us")
    # From 08:00Z in New York's calendar: counting starts 09:00 EST (14:00Z).
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T16:00:00Z",
        due_soon_at="2026-12-01T15:30:00Z",
    )
    assert clock(ticket, "close") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-02T22:00:00Z",
        due_soon_at="2026-12-02T20:00:00Z",
    )
    recomputed = SlaEvent.objects.get(
        ticket_id=ticket_id, kind="recomputed", clock_kind="first_response"
    )
    assert recomputed.detail["why"] == "property"
    assert recomputed.detail["due_at_before"] == "2026-12-01T10:00:00Z"
    assert recomputed.detail["due_at"] == "2026-12-01T16:00:00Z"
    # And back: the Stockholm moments again.
    freeze("2026-12-01T10:30:00Z")
    ticket = api.update(ticket_id, team="support-se")
    assert clock(ticket, "first_response")["due_at"] == "2026-12-01T10:00:00Z"
    assert clock(ticket, "first_response")["status"] == "overdue"


def test_paused_time_is_counted_again_in_the_new_teams_calendar(teams, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")  # Tue 09:00 Stockholm
    ticket_id = api.create(team="support-se")["id"]
    freeze("2026-12-01T09:00:00Z")
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-01T15:00:00Z")
    ticket = api.update(ticket_id, status="waiting-on-us")
    # Stockholm: 10:00–16:00 paused (6 h of working time): first response due Wed 09:00.
    assert clock(ticket, "first_response")["due_at"] == "2026-12-02T08:00:00Z"
    ticket = api.update(ticket_id, team="support-us")
    # New York: the pause (04:00–10:00 EST) held 1 h of its working time; 120 + 60 min from
    # 09:00 EST is 12:00 EST.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T17:00:00Z",
        due_soon_at="2026-12-01T16:30:00Z",
    )
    # Close, 960 + 60 min: Tue 8 h, Wed 8 h, Thu 09:00–10:00 EST; due soon 15 h: Wed 16:00.
    assert clock(ticket, "close")["due_at"] == "2026-12-03T15:00:00Z"
    assert clock(ticket, "close")["due_soon_at"] == "2026-12-02T21:00:00Z"


def test_a_team_change_within_one_schedule_changes_no_clock(
    teams, api, freeze, admin_client_
) -> None:
    Team.objects.create(slug="support-ny-2", name="Support NY 2")
    schedules = [STOCKHOLM, {**NEW_YORK, "teams": ["support-us", "support-ny-2"]}]
    put_settings(admin_client_, {**SETTINGS, "team_schedules": schedules})
    freeze("2026-12-01T15:00:00Z")
    ticket_id = api.create(team="support-us")["id"]
    before = clock(api.ticket(ticket_id), "close")
    freeze("2026-12-01T15:30:00Z")
    after = clock(api.update(ticket_id, team="support-ny-2"), "close")
    assert after == before
    assert not SlaEvent.objects.filter(ticket_id=ticket_id, kind="recomputed").exists()


def test_settings_applied_to_open_tickets_recompute_each_in_its_teams_schedule(
    teams, api, freeze, admin_client_
) -> None:
    freeze("2026-12-01T08:00:00Z")
    us_id = api.create(team="support-us")["id"]
    se_id = api.create(team="support-se")["id"]
    freeze("2026-12-01T08:30:00Z")
    faster = {**SETTINGS, "goals": [goal_row(first_response=(60, 15), close=(480, 60))]}
    body = put_settings(admin_client_, {**faster, "apply_to": "new_and_open"})
    sla_recompute_run(recompute_id=body["recompute"]["id"], now=timezone.now())
    us, se = api.ticket(us_id), api.ticket(se_id)
    # New York: from 09:00 EST (14:00Z), 60 min; close 8 h: Tue 17:00 EST.
    assert clock(us, "first_response")["due_at"] == "2026-12-01T15:00:00Z"
    assert clock(us, "close")["due_at"] == "2026-12-01T22:00:00Z"
    # Stockholm: from 09:00 CET (08:00Z), 60 min; close 8 h: Wed 09:00 CET.
    assert clock(se, "first_response")["due_at"] == "2026-12-01T09:00:00Z"
    assert clock(se, "close")["due_at"] == "2026-12-02T08:00:00Z"


def test_a_changed_team_schedule_applied_to_open_tickets_moves_only_its_teams(
    teams, api, freeze, admin_client_
) -> None:
    freeze("2026-12-01T08:00:00Z")
    us_id = api.create(team="support-us")["id"]
    se_id = api.create(team="support-se")["id"]
    se_before = clock(api.ticket(se_id), "close")
    freeze("2026-12-01T08:30:00Z")
    earlier = {**NEW_YORK, "working_hours": {day: [["07:00", "17:00"]] for day in WEEKDAYS}}
    document = {**SETTINGS, "team_schedules": [STOCKHOLM, earlier], "apply_to": "new_and_open"}
    body = put_settings(admin_client_, document)
    sla_recompute_run(recompute_id=body["recompute"]["id"], now=timezone.now())
    # New York from 07:00 EST (12:00Z): first response 14:00Z, close 16 h = Tue 10 h + Wed 6 h.
    us = api.ticket(us_id)
    assert clock(us, "first_response")["due_at"] == "2026-12-01T14:00:00Z"
    assert clock(us, "close")["due_at"] == "2026-12-02T18:00:00Z"
    assert clock(api.ticket(se_id), "close") == se_before


def test_the_planner_counts_in_the_snapshots_team_schedules_when_none_are_passed(
    teams, api, freeze
) -> None:
    """Callers that pass only the default schedule (the dry run, say) still count a team's
    ticket in its team's schedule: the planner takes them from the settings snapshot."""
    from settings_app.selectors import sla_config_get
    from tickets import planner
    from tickets.clock_store import ticket_state
    from tickets.models import SlaClock, Ticket

    now = freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create(team="support-us")["id"]
    ticket = Ticket.objects.select_related("team", "pipeline", "stage").get(pk=ticket_id)
    clocks = list(SlaClock.objects.filter(ticket_id=ticket_id))
    config = sla_config_get()
    state = ticket_state(ticket, clocks, config=config)
    result = planner.plan(
        state, [planner.SettingsApplied()], settings=config, schedule=config.schedule, now=now
    )
    first = next(c for c in result.ticket.clocks if c.kind == "first_response")
    assert sla_iso(first.due_at) == "2026-12-01T16:00:00Z"  # New York, as stored
    assert result.events == []  # nothing moved
