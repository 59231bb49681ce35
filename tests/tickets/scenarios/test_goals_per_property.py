"""SPEC §2.3 (scope) as tickets see it: goals per property value, and no SLA when the value is
off, missing or empty, or when goals are switched off.

The clock is frozen at each step, so every moment is exact to the second. Unless a test says
otherwise the SLA runs 24/7 in UTC with first response 60 min (due soon 15), next response 120 min
(due soon 30) and close 1440 min (due soon 240), and "Waiting on customer" pauses
(``tests.factories.ALWAYS_DOCUMENT``). Most tickets are opened on Tue 1 Dec 2026 at 08:00Z, so
first response is due 09:00Z (due soon 08:45Z) and close is due Wed 08:00Z (due soon 04:00Z).
"""

from __future__ import annotations

import pytest

from tests.factories import sla_document
from tests.tickets.scenarios.helpers import clock, running
from tickets.models import SlaClock, SlaEvent

pytestmark = pytest.mark.django_db


def test_goals_per_priority(by_priority, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    urgent = api.create(priority="urgent")
    assert clock(urgent, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T08:30:00Z",
        due_soon_at="2026-12-01T08:20:00Z",
    )
    assert clock(urgent, "close")["due_at"] == "2026-12-01T12:00:00Z"  # + 240 min
    high = api.create(priority="high")
    assert clock(high, "first_response")["due_at"] == "2026-12-01T09:00:00Z"
    assert clock(high, "close")["due_at"] == "2026-12-01T16:00:00Z"  # + 480 min


@pytest.mark.parametrize(
    "fields",
    [
        {"priority": "low"},  # a value switched off
        {"priority": "medium"},  # a value with no row
        {"priority": None},  # empty on the ticket
        {},  # empty on the ticket
    ],
)
def test_no_sla_when_the_value_is_off_missing_or_empty(
    by_priority, api, freeze, fields: dict
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket = api.create(**fields)
    assert ticket["sla"] == {"first_response": None, "next_response": None, "close": None}
    assert not SlaClock.objects.exists()
    assert not SlaEvent.objects.exists()


def test_no_sla_when_goals_are_switched_off(sla_settings, api, freeze) -> None:
    sla_settings(sla_document(goals_enabled=False))
    freeze("2026-12-01T08:00:00Z")
    ticket = api.create()
    assert ticket["sla"] == {"first_response": None, "next_response": None, "close": None}
