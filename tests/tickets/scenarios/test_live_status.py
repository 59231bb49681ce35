"""SPEC §3 "Live status" and the status table: Active → Due soon → Overdue, derived from
the stored moments and the current time with no sweep, in the ticket and in the SLA filters (§4).

The clock is frozen at each step, so every moment is exact to the second. Unless a test says
otherwise the SLA runs 24/7 in UTC with first response 60 min (due soon 15), next response 120 min
(due soon 30) and close 1440 min (due soon 240), and "Waiting on customer" pauses
(``tests.factories.ALWAYS_DOCUMENT``). Most tickets are opened on Tue 1 Dec 2026 at 08:00Z, so
first response is due 09:00Z (due soon 08:45Z) and close is due Wed 08:00Z (due soon 04:00Z).
"""

from __future__ import annotations

import pytest

from tests.tickets.scenarios.helpers import clock, events, list_ids, running
from tickets.models import SlaClock

pytestmark = pytest.mark.django_db


def test_status_is_derived_live_from_the_stored_moments(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket = api.create()
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T09:00:00Z",  # 08:00 + 60 min
        due_soon_at="2026-12-01T08:45:00Z",  # 08:00 + (60 - 15) min
    )
    assert clock(ticket, "close") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-02T08:00:00Z",  # + 1440 min
        due_soon_at="2026-12-02T04:00:00Z",  # + (1440 - 240) min
    )
    assert ticket["sla"]["next_response"] is None  # no first response yet

    seen = {}
    for moment in (
        "2026-12-01T08:44:59Z",
        "2026-12-01T08:45:00Z",  # == due_soon_at: due soon
        "2026-12-01T09:00:00Z",  # == due_at: not overdue yet
        "2026-12-01T09:00:01Z",
    ):
        freeze(moment)
        seen[moment] = api.ticket(ticket["id"])["sla"]["first_response"]["status"]
    assert seen == {
        "2026-12-01T08:44:59Z": "active",
        "2026-12-01T08:45:00Z": "due_soon",
        "2026-12-01T09:00:00Z": "due_soon",
        "2026-12-01T09:00:01Z": "overdue",
    }
    # Nothing was persisted: no sweep ran, the status shown was derived from due_at / due_soon_at.
    assert set(SlaClock.objects.values_list("status", flat=True)) == {"active"}
    assert [kind for _, _, kind in events(ticket["id"])] == ["applied", "applied"]


def test_sla_status_filters_are_live_too(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T09:00:00Z")
    assert list_ids(api, sla_status="due_soon") == [ticket_id]
    assert list_ids(api, sla_status="overdue") == []
    # The close clock is still active, and a ticket matches when any running clock matches.
    assert list_ids(api, sla_status="active") == [ticket_id]
    freeze("2026-12-01T09:00:01Z")
    assert list_ids(api, sla_status="overdue") == [ticket_id]
    assert list_ids(api, sla_status="due_soon") == []
