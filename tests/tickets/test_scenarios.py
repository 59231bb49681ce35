"""SPEC section 3, rule by rule, through the JSON API as a channel or an agent uses it.

The clock is frozen at each step, so every moment is exact to the second. Unless a test says
otherwise the SLA runs 24/7 in UTC with first response 60 min (due soon 15), next response 120 min
(due soon 30) and close 1440 min (due soon 240), and "Waiting on customer" pauses
(``tests.factories.ALWAYS_DOCUMENT``). Most tickets are opened on Tue 1 Dec 2026 at 08:00Z, so
first response is due 09:00Z (due soon 08:45Z) and close is due Wed 08:00Z (due soon 04:00Z).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tests.factories import (
    ALWAYS_DOCUMENT,
    WORKING_HOURS_DOCUMENT,
    PipelineFactory,
    goal_row,
    sla_document,
)
from tests.tickets.conftest import utc
from tickets.models import Message, SlaClock, SlaEvent
from tickets.recompute import sla_recompute_run
from tickets.services import ticket_message_add

pytestmark = pytest.mark.django_db

SPEC_CLOCK_KEYS = (
    "status",
    "started_at",
    "due_at",
    "due_soon_at",
    "completed_at",
    "completed_by",
    "paused",
)


def clock(ticket: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The ticket's clock of ``kind`` with the keys of SPEC section 7."""
    shown = ticket["sla"][kind]
    return None if shown is None else {key: shown[key] for key in SPEC_CLOCK_KEYS}


def running(
    status: str,
    *,
    started_at: str,
    due_at: str,
    due_soon_at: str | None,
    paused: bool = False,
) -> dict[str, Any]:
    return {
        "status": status,
        "started_at": started_at,
        "due_at": due_at,
        "due_soon_at": due_soon_at,
        "completed_at": None,
        "completed_by": None,
        "paused": paused,
    }


def events(ticket_id: int) -> list[tuple[str, int, str]]:
    """(clock kind, cycle, event kind) in the order they were recorded."""
    return list(
        SlaEvent.objects.filter(ticket_id=ticket_id)
        .order_by("id")
        .values_list("clock_kind", "cycle", "kind")
    )


def events_of(ticket_id: int, clock_kind: str) -> list[tuple[int, str]]:
    return [(cycle, kind) for kind_, cycle, kind in events(ticket_id) if kind_ == clock_kind]


def list_ids(api, **filters: str) -> list[int]:
    response = api.get("/api/tickets/", filters)
    assert response.status_code == 200, response.content
    return [ticket["id"] for ticket in response.json()["results"]]


@pytest.fixture
def always(sla_settings):
    return sla_settings(sla_document(ALWAYS_DOCUMENT))


@pytest.fixture
def office_hours(sla_settings):
    return sla_settings(sla_document(WORKING_HOURS_DOCUMENT))


# --- Live status: Active → Due soon → Overdue, read with no sweep ------------------------------


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


# --- Completion by reply ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply_at", "status"),
    [
        ("2026-12-01T08:50:00Z", "completed_on_time"),  # while due soon
        ("2026-12-01T09:00:00Z", "completed_on_time"),  # exactly at due_at
        ("2026-12-01T09:00:01Z", "completed_late"),
    ],
)
def test_first_public_reply_completes_first_response(
    always, api, freeze, reply_at: str, status: str
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze(reply_at)
    ticket = api.reply(ticket_id)
    assert clock(ticket, "first_response") == {
        "status": status,
        "started_at": "2026-12-01T08:00:00Z",
        "due_at": "2026-12-01T09:00:00Z",
        "due_soon_at": "2026-12-01T08:45:00Z",
        "completed_at": reply_at,
        "completed_by": "reply",
        "paused": False,
    }
    assert ticket["sla"]["close"]["completed_at"] is None  # a reply never completes close
    assert events_of(ticket_id, "first_response")[-1] == (1, status)
    freeze("2027-01-15T00:00:00Z")  # a completed clock's status does not move with time
    assert api.ticket(ticket_id)["sla"]["first_response"]["status"] == status


def test_a_late_completion_records_the_transitions_it_passed(always, api, freeze) -> None:
    # No sweep ran between 08:45 and 09:30; the timeline still shows due soon and overdue.
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T09:30:00Z")
    api.reply(ticket_id)
    recorded = SlaEvent.objects.filter(ticket_id=ticket_id, clock_kind="first_response")
    assert list(recorded.order_by("id").values_list("kind", "at", "should_notify")) == [
        ("applied", utc("2026-12-01T08:00:00Z"), False),
        ("due_soon", utc("2026-12-01T08:45:00Z"), False),
        ("overdue", utc("2026-12-01T09:00:00Z"), False),
        ("completed_late", utc("2026-12-01T09:30:00Z"), False),
    ]


def test_internal_notes_automatic_and_customer_messages_complete_nothing(
    always, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:10:00Z")
    api.message(ticket_id, author="agent", internal=True)
    freeze("2026-12-01T08:20:00Z")
    ticket_message_add(
        ticket_id=ticket_id,
        body="We got your request.",
        author_kind=Message.Author.SYSTEM,
        now=timezone.now(),
    )
    freeze("2026-12-01T08:30:00Z")
    ticket = api.customer(ticket_id)
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T09:00:00Z",
        due_soon_at="2026-12-01T08:45:00Z",
    )
    assert ticket["sla"]["next_response"] is None  # next response only after a first response
    assert ticket["status"] == "new"
    assert [kind for _, _, kind in events(ticket_id)] == ["applied", "applied"]
    freeze("2026-12-01T09:00:01Z")
    assert api.ticket(ticket_id)["sla"]["first_response"]["status"] == "overdue"


# --- Counted time: working hours, weekends, holidays -----------------------------------------


def test_working_hours_skip_the_weekend(office_hours, api, freeze) -> None:
    # Fri 4 Dec 16:00 Stockholm (CET, 15:00Z); first response 120 (due soon 30), close 960 (120).
    freeze("2026-12-04T15:00:00Z")
    ticket = api.create()
    # First response: 1 h on Friday (16–17), then Mon 7 Dec 09:00 + 1 h → 10:00 local = 09:00Z.
    # Due soon after 90 min: 1 h Fri + 30 min Mon → 09:30 local = 08:30Z.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-04T15:00:00Z",
        due_at="2026-12-07T09:00:00Z",
        due_soon_at="2026-12-07T08:30:00Z",
    )
    # Close 16 h: 1 h Fri + 8 h Mon + 7 h Tue → Tue 16:00 local = 15:00Z.
    # Due soon after 14 h: 1 + 8 + 5 → Tue 14:00 local = 13:00Z.
    assert clock(ticket, "close") == running(
        "active",
        started_at="2026-12-04T15:00:00Z",
        due_at="2026-12-08T15:00:00Z",
        due_soon_at="2026-12-08T13:00:00Z",
    )
    freeze("2026-12-06T23:00:00Z")  # Sunday night: nothing counted over the weekend
    assert api.ticket(ticket["id"])["sla"]["first_response"]["status"] == "active"
    freeze("2026-12-07T08:30:00Z")
    assert api.ticket(ticket["id"])["sla"]["first_response"]["status"] == "due_soon"
    freeze("2026-12-07T09:00:01Z")
    assert api.ticket(ticket["id"])["sla"]["first_response"]["status"] == "overdue"


def test_working_hours_skip_recurring_holidays(office_hours, api, freeze) -> None:
    # Wed 23 Dec 16:30 Stockholm (15:30Z). Thu 24 and Fri 25 are holidays (entered for 2025,
    # recurring), then the weekend.
    freeze("2026-12-23T15:30:00Z")
    ticket = api.create()
    # First response 120: 30 min Wed, then Mon 28 09:00 + 90 min → 10:30 local = 09:30Z.
    # Due soon after 90: 30 Wed + 60 Mon → 10:00 local = 09:00Z.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-23T15:30:00Z",
        due_at="2026-12-28T09:30:00Z",
        due_soon_at="2026-12-28T09:00:00Z",
    )
    # Close 16 h: 0.5 Wed + 8 Mon + 7.5 Tue 29 → 16:30 local = 15:30Z.
    # Due soon after 14 h: 0.5 + 8 + 5.5 → Tue 14:30 local = 13:30Z.
    assert clock(ticket, "close") == running(
        "active",
        started_at="2026-12-23T15:30:00Z",
        due_at="2026-12-29T15:30:00Z",
        due_soon_at="2026-12-29T13:30:00Z",
    )
    freeze("2026-12-24T12:00:00Z")  # on the holiday itself
    assert api.ticket(ticket["id"])["sla"]["first_response"]["status"] == "active"


def test_working_hours_follow_the_daylight_saving_change(office_hours, api, freeze) -> None:
    # Fri 27 Mar 16:00 Stockholm is 15:00Z (CET, +1); clocks go forward on Sun 29 Mar, so
    # Mon 30 Mar 09:00 Stockholm is 07:00Z (CEST, +2). First response 120: 1 h on Friday,
    # then 1 h from Mon 09:00 → 10:00 CEST = 08:00Z. Due soon after 90 min → 09:30 = 07:30Z.
    freeze("2026-03-27T15:00:00Z")
    ticket = api.create()
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-03-27T15:00:00Z",
        due_at="2026-03-30T08:00:00Z",
        due_soon_at="2026-03-30T07:30:00Z",
    )


@pytest.mark.parametrize(
    ("created_at", "due_at", "due_soon_at"),
    [
        # Sat 5 Dec: counting starts Mon 7 Dec 09:00 local; + 120 min → 11:00 local = 10:00Z;
        # due soon + 90 min → 10:30 local = 09:30Z.
        ("2026-12-05T12:00:00Z", "2026-12-07T10:00:00Z", "2026-12-07T09:30:00Z"),
        # Tue 1 Dec 19:00 local: counting starts Wed 09:00 local.
        ("2026-12-01T18:00:00Z", "2026-12-02T10:00:00Z", "2026-12-02T09:30:00Z"),
        # Tue 1 Dec 07:00 local, before opening: counting starts the same day at 09:00.
        ("2026-12-01T06:00:00Z", "2026-12-01T10:00:00Z", "2026-12-01T09:30:00Z"),
    ],
)
def test_a_ticket_created_outside_working_hours_starts_at_the_next_period(
    office_hours, api, freeze, created_at: str, due_at: str, due_soon_at: str
) -> None:
    freeze(created_at)
    ticket = api.create()
    # started_at is the moment the ticket came in; counting begins at the next period.
    assert clock(ticket, "first_response") == running(
        "active", started_at=created_at, due_at=due_at, due_soon_at=due_soon_at
    )


def test_a_reply_before_opening_time_is_on_time(office_hours, api, freeze) -> None:
    freeze("2026-12-05T12:00:00Z")  # Saturday
    ticket_id = api.create()["id"]
    freeze("2026-12-07T08:30:00Z")  # Mon 09:30 local: 30 min counted of 120
    ticket = api.reply(ticket_id)
    assert ticket["sla"]["first_response"]["status"] == "completed_on_time"


# --- Next response cycles --------------------------------------------------------------------


def test_next_response_cycles(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:05:00Z")
    api.customer(ticket_id)  # before the first response: answered by it, no cycle
    freeze("2026-12-01T08:10:00Z")
    ticket = api.reply(ticket_id)
    assert ticket["sla"]["first_response"]["status"] == "completed_on_time"
    assert ticket["sla"]["next_response"] is None

    freeze("2026-12-01T09:00:00Z")
    ticket = api.customer(ticket_id)
    cycle_1 = running(
        "active",
        started_at="2026-12-01T09:00:00Z",
        due_at="2026-12-01T11:00:00Z",  # 09:00 + 120 min
        due_soon_at="2026-12-01T10:30:00Z",  # 09:00 + 90 min
    )
    assert clock(ticket, "next_response") == cycle_1
    freeze("2026-12-01T09:30:00Z")
    ticket = api.customer(ticket_id)  # a later customer message does not restart the cycle
    assert clock(ticket, "next_response") == cycle_1
    freeze("2026-12-01T09:40:00Z")
    ticket = api.message(ticket_id, author="agent", internal=True)
    assert clock(ticket, "next_response") == cycle_1

    freeze("2026-12-01T10:00:00Z")
    ticket = api.reply(ticket_id)
    assert clock(ticket, "next_response") == {
        **cycle_1,
        "status": "completed_on_time",
        "completed_at": "2026-12-01T10:00:00Z",
        "completed_by": "reply",
    }

    freeze("2026-12-01T12:00:00Z")
    ticket = api.customer(ticket_id)
    assert clock(ticket, "next_response") == running(  # the ticket shows the latest cycle
        "active",
        started_at="2026-12-01T12:00:00Z",
        due_at="2026-12-01T14:00:00Z",
        due_soon_at="2026-12-01T13:30:00Z",
    )
    assert ticket["sla"]["next_response"]["cycle"] == 2
    freeze("2026-12-01T14:30:00Z")
    ticket = api.reply(ticket_id)
    assert ticket["sla"]["next_response"]["status"] == "completed_late"
    assert ticket["sla"]["first_response"]["completed_at"] == "2026-12-01T08:10:00Z"

    # Every cycle is kept as a row, for reports.
    rows = SlaClock.objects.filter(ticket_id=ticket_id, kind="next_response").order_by("cycle")
    assert [
        (c.cycle, c.started_at.isoformat(), c.due_at.isoformat(), c.completed_at.isoformat())
        for c in rows
    ] == [
        (1, "2026-12-01T09:00:00+00:00", "2026-12-01T11:00:00+00:00", "2026-12-01T10:00:00+00:00"),
        (2, "2026-12-01T12:00:00+00:00", "2026-12-01T14:00:00+00:00", "2026-12-01T14:30:00+00:00"),
    ]
    assert events_of(ticket_id, "next_response") == [
        (1, "applied"),
        (1, "completed_on_time"),
        (2, "applied"),
        (2, "due_soon"),  # passed at 13:30 and 14:00 with no sweep: recorded on completion
        (2, "overdue"),
        (2, "completed_late"),
    ]


def test_next_response_without_a_goal_never_starts(sla_settings, api, freeze) -> None:
    sla_settings(
        sla_document(goals=[goal_row(first_response=(60, 15), close=(1440, None))]),
    )
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:10:00Z")
    api.reply(ticket_id)
    freeze("2026-12-01T09:00:00Z")
    ticket = api.customer(ticket_id)
    assert ticket["sla"]["next_response"] is None
    assert clock(ticket, "close")["due_soon_at"] is None  # no threshold: never due soon
    assert not SlaClock.objects.filter(kind="next_response").exists()


# --- Goals per property value ----------------------------------------------------------------

BY_PRIORITY = sla_document(
    scope="property",
    property="priority",
    goals=[
        goal_row("urgent", first_response=(30, 10), next_response=(60, 15), close=(240, 60)),
        goal_row("high", first_response=(60, 15), close=(480, 60)),
        goal_row("low", enabled=False, first_response=(600, None), close=(2880, None)),
        # "medium" has no row.
    ],
)


@pytest.fixture
def by_priority(sla_settings):
    return sla_settings(BY_PRIORITY)


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


# --- Changing the property that selects the goals --------------------------------------------


def test_reprioritising_recomputes_running_clocks_from_their_start(
    by_priority, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create(priority="high")["id"]
    freeze("2026-12-01T08:20:00Z")
    ticket = api.update(ticket_id, priority="urgent")
    # From the original start 08:00: due 08:30, due soon 08:20 == now, so due soon already.
    assert clock(ticket, "first_response") == running(
        "due_soon",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T08:30:00Z",
        due_soon_at="2026-12-01T08:20:00Z",
    )
    assert clock(ticket, "close") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T12:00:00Z",
        due_soon_at="2026-12-01T11:00:00Z",
    )
    assert events(ticket_id)[2:] == [
        ("first_response", 1, "recomputed"),
        ("first_response", 1, "due_soon"),
        ("close", 1, "recomputed"),
    ]
    recomputed = SlaEvent.objects.get(ticket_id=ticket_id, kind="recomputed", clock_kind="close")
    assert recomputed.detail["due_at_before"] == "2026-12-01T16:00:00Z"
    assert recomputed.detail["due_at"] == "2026-12-01T12:00:00Z"


def test_gained_clocks_start_at_ticket_creation(by_priority, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]  # no priority: no SLA
    freeze("2026-12-01T08:20:00Z")
    ticket = api.update(ticket_id, priority="high")
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T09:00:00Z",
        due_soon_at="2026-12-01T08:45:00Z",
    )
    assert clock(ticket, "close")["started_at"] == "2026-12-01T08:00:00Z"
    assert ticket["sla"]["next_response"] is None
    assert events(ticket_id) == [("first_response", 1, "applied"), ("close", 1, "applied")]


def test_a_gained_clock_that_is_already_overdue_says_so(by_priority, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T09:00:00Z")
    ticket = api.update(ticket_id, priority="urgent")  # due 08:30, due soon 08:20: both passed
    assert ticket["sla"]["first_response"]["status"] == "overdue"
    recorded = SlaEvent.objects.filter(ticket_id=ticket_id, clock_kind="first_response")
    assert list(recorded.order_by("id").values_list("kind", "should_notify")) == [
        ("applied", False),
        ("due_soon", False),
        ("overdue", True),  # one notification: the last transition
    ]


def test_a_gained_next_response_starts_at_the_oldest_unanswered_customer_message(
    by_priority, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create(priority="high")["id"]  # high has no next-response goal
    freeze("2026-12-01T08:10:00Z")
    api.reply(ticket_id)
    freeze("2026-12-01T09:00:00Z")
    api.customer(ticket_id)
    freeze("2026-12-01T09:10:00Z")
    api.customer(ticket_id)
    freeze("2026-12-01T09:30:00Z")
    ticket = api.update(ticket_id, priority="urgent")
    # Urgent next response 60 (15) from the 09:00 message: due 10:00, due soon 09:45.
    assert clock(ticket, "next_response") == running(
        "active",
        started_at="2026-12-01T09:00:00Z",
        due_at="2026-12-01T10:00:00Z",
        due_soon_at="2026-12-01T09:45:00Z",
    )
    # The completed first response is never rewritten (it stays on the 60-min goal).
    assert clock(ticket, "first_response") == {
        "status": "completed_on_time",
        "started_at": "2026-12-01T08:00:00Z",
        "due_at": "2026-12-01T09:00:00Z",
        "due_soon_at": "2026-12-01T08:45:00Z",
        "completed_at": "2026-12-01T08:10:00Z",
        "completed_by": "reply",
        "paused": False,
    }


@pytest.mark.parametrize("priority", ["low", None])
def test_switching_to_an_off_or_empty_value_removes_running_clocks(
    by_priority, api, freeze, priority: str | None
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create(priority="high")["id"]
    freeze("2026-12-01T08:10:00Z")
    api.reply(ticket_id)  # first response completed on time
    freeze("2026-12-01T08:20:00Z")
    ticket = api.update(ticket_id, priority=priority)
    assert ticket["sla"]["close"] is None
    assert ticket["sla"]["first_response"]["status"] == "completed_on_time"  # kept
    assert list(SlaClock.objects.values_list("kind", flat=True)) == ["first_response"]
    removed = SlaEvent.objects.get(ticket_id=ticket_id, kind="removed")
    assert (removed.clock_kind, removed.clock_id) == ("close", None)
    assert removed.detail["due_at"] == "2026-12-01T16:00:00Z"


# --- Pause and resume ------------------------------------------------------------------------


def test_pause_freezes_status_and_resume_moves_due_moments_later(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    ticket = api.update(ticket_id, status="waiting-on-customer")
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T09:00:00Z",
        due_soon_at="2026-12-01T08:45:00Z",
        paused=True,
    )
    assert ticket["sla"]["close"]["paused"] is True

    freeze("2026-12-01T10:00:00Z")  # an hour past the old due moment: still frozen as active
    ticket = api.ticket(ticket_id)
    assert ticket["sla"]["first_response"]["status"] == "active"
    assert ticket["sla"]["first_response"]["paused"] is True
    assert list_ids(api, sla_status="overdue") == []
    assert list_ids(api, sla_status="active") == [ticket_id]

    freeze("2026-12-01T10:30:00Z")
    ticket = api.update(ticket_id, status="waiting-on-us")
    # Paused 08:30–10:30 = 2 h excluded: due 09:00 + 2 h = 11:00, due soon 10:45.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T11:00:00Z",
        due_soon_at="2026-12-01T10:45:00Z",
    )
    assert clock(ticket, "close") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-02T10:00:00Z",
        due_soon_at="2026-12-02T06:00:00Z",
    )
    for kind in ("first_response", "close"):
        assert events_of(ticket_id, kind) == [(1, "applied"), (1, "paused"), (1, "resumed")]
    resumed = SlaEvent.objects.get(ticket_id=ticket_id, clock_kind="first_response", kind="resumed")
    assert resumed.detail == {
        "paused_since": "2026-12-01T08:30:00Z",
        "due_at_before": "2026-12-01T09:00:00Z",
        "due_at": "2026-12-01T11:00:00Z",
    }


def test_a_paused_clock_keeps_due_soon_status(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:50:00Z")
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-01T12:00:00Z")
    first_response = api.ticket(ticket_id)["sla"]["first_response"]
    assert (first_response["status"], first_response["paused"]) == ("due_soon", True)
    assert list_ids(api, sla_status="due_soon") == [ticket_id]


def test_a_customer_message_takes_a_ticket_out_of_a_pause(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-01T09:30:00Z")
    ticket = api.customer(ticket_id)
    assert ticket["status"] == "new"  # the first open stage that does not pause
    # Paused 08:30–09:30: due 10:00, due soon 09:45.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T10:00:00Z",
        due_soon_at="2026-12-01T09:45:00Z",
    )


def test_an_agent_message_moves_no_ticket(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-01T08:40:00Z")
    ticket = api.message(ticket_id, author="agent", internal=True)
    assert ticket["status"] == "waiting-on-customer"
    assert ticket["sla"]["close"]["paused"] is True


def test_a_reply_during_a_pause_is_judged_on_counted_time(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    api.update(ticket_id, status="waiting-on-customer")  # 30 of 60 min used
    freeze("2026-12-01T10:00:00Z")
    ticket = api.reply(ticket_id)
    # Paused 08:30–10:00 is excluded: due 09:00 + 90 min = 10:30; the reply is on time.
    assert clock(ticket, "first_response") == {
        "status": "completed_on_time",
        "started_at": "2026-12-01T08:00:00Z",
        "due_at": "2026-12-01T10:30:00Z",
        "due_soon_at": "2026-12-01T10:15:00Z",
        "completed_at": "2026-12-01T10:00:00Z",
        "completed_by": "reply",
        "paused": False,
    }
    assert ticket["status"] == "waiting-on-customer"
    assert ticket["sla"]["close"]["paused"] is True


def test_pause_in_working_hours_excludes_only_working_time(office_hours, api, freeze) -> None:
    # Fri 4 Dec 14:00 local (13:00Z); first response 120 (due soon 30): due 16:00 local.
    freeze("2026-12-04T13:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-04T14:00:00Z")  # 15:00 local: 1 h used
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-07T09:00:00Z")  # Mon 10:00 local
    ticket = api.update(ticket_id, status="waiting-on-us")
    # Paused time counted: Fri 15–17 (2 h) + Mon 09–10 (1 h) = 3 h. Due = add(Fri 14:00, 5 h):
    # Fri 3 h, Mon 2 h → 11:00 local = 10:00Z. Due soon = add(Fri 14:00, 4.5 h) → 09:30Z.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-04T13:00:00Z",
        due_at="2026-12-07T10:00:00Z",
        due_soon_at="2026-12-07T09:30:00Z",
    )


def test_a_clock_that_starts_during_a_pause_starts_paused(sla_settings, api, freeze) -> None:
    PipelineFactory(
        slug="onboarding", stages=[("on-hold", False), ("active", False), ("done", True)]
    )
    sla_settings(sla_document(pause_statuses=["onboarding/on-hold"]))
    freeze("2026-12-01T08:00:00Z")
    ticket = api.create(pipeline="onboarding")
    assert ticket["status"] == "on-hold"
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T09:00:00Z",
        due_soon_at="2026-12-01T08:45:00Z",
        paused=True,
    )
    freeze("2026-12-01T12:00:00Z")
    assert api.ticket(ticket["id"])["sla"]["first_response"]["status"] == "active"
    ticket = api.update(ticket["id"], status="active")
    # Paused 08:00–12:00: due 13:00, due soon 12:45; close due Wed 12:00.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T13:00:00Z",
        due_soon_at="2026-12-01T12:45:00Z",
    )
    assert clock(ticket, "close")["due_at"] == "2026-12-02T12:00:00Z"
    assert events_of(ticket["id"], "first_response") == [
        (1, "applied"),
        (1, "paused"),
        (1, "resumed"),
    ]


def test_a_clock_gained_during_a_pause_starts_paused(by_priority, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:10:00Z")
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-01T08:40:00Z")
    ticket = api.update(ticket_id, priority="high")  # gains clocks that start at 08:00
    assert ticket["sla"]["first_response"]["paused"] is True
    assert ticket["sla"]["close"]["paused"] is True
    freeze("2026-12-01T09:10:00Z")
    ticket = api.update(ticket_id, status="waiting-on-us")
    # Paused 08:10–09:10 (1 h) excluded from clocks started at 08:00: due 10:00, due soon 09:45.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T10:00:00Z",
        due_soon_at="2026-12-01T09:45:00Z",
    )


# --- Close and reopen ------------------------------------------------------------------------


def test_close_completes_every_running_clock(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    api.reply(ticket_id)
    freeze("2026-12-01T08:40:00Z")
    api.customer(ticket_id)  # next response: due 10:40
    freeze("2026-12-02T09:00:00Z")  # an hour after close was due
    ticket = api.update(ticket_id, status="closed")
    assert ticket["status"] == "closed"
    assert ticket["closed_at"] == "2026-12-02T09:00:00Z"
    assert ticket["sla"]["first_response"]["completed_by"] == "reply"  # completed before
    assert clock(ticket, "next_response") == {
        "status": "completed_late",
        "started_at": "2026-12-01T08:40:00Z",
        "due_at": "2026-12-01T10:40:00Z",
        "due_soon_at": "2026-12-01T10:10:00Z",
        "completed_at": "2026-12-02T09:00:00Z",
        "completed_by": "close",
        "paused": False,
    }
    assert clock(ticket, "close") == {
        "status": "completed_late",
        "started_at": "2026-12-01T08:00:00Z",
        "due_at": "2026-12-02T08:00:00Z",
        "due_soon_at": "2026-12-02T04:00:00Z",
        "completed_at": "2026-12-02T09:00:00Z",
        "completed_by": "close",
        "paused": False,
    }
    assert list_ids(api, sla_status="completed") == [ticket_id]


def test_close_on_time(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:45:00Z")
    ticket = api.update(ticket_id, status="closed")
    assert ticket["sla"]["first_response"]["status"] == "completed_on_time"
    assert ticket["sla"]["first_response"]["completed_by"] == "close"
    assert ticket["sla"]["close"]["status"] == "completed_on_time"
    assert events_of(ticket_id, "first_response") == [
        (1, "applied"),
        (1, "due_soon"),  # 08:45 == the due-soon moment: it was due soon when closed
        (1, "completed_on_time"),
    ]
    assert events_of(ticket_id, "close") == [(1, "applied"), (1, "completed_on_time")]


def test_closing_a_paused_ticket_counts_the_pause_out(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    api.update(ticket_id, status="waiting-on-customer")
    freeze("2026-12-01T10:00:00Z")
    ticket = api.update(ticket_id, status="closed")
    # Paused 08:30–10:00 (90 min): first response due 10:30, so closing at 10:00 is on time.
    assert ticket["sla"]["first_response"]["due_at"] == "2026-12-01T10:30:00Z"
    assert ticket["sla"]["first_response"]["status"] == "completed_on_time"
    assert ticket["sla"]["first_response"]["paused"] is False


def test_close_and_reopen_by_customer_message(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T09:30:00Z")
    ticket = api.update(ticket_id, status="closed")
    assert ticket["closed_at"] == "2026-12-01T09:30:00Z"
    assert ticket["sla"]["first_response"]["status"] == "completed_late"  # due 09:00
    assert ticket["sla"]["close"]["status"] == "completed_on_time"

    freeze("2026-12-01T10:30:00Z")
    ticket = api.customer(ticket_id)
    assert ticket["status"] == "new"
    assert ticket["closed_at"] is None
    # The close clock resumes with the hour spent closed (09:30–10:30) excluded.
    assert clock(ticket, "close") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-02T09:00:00Z",
        due_soon_at="2026-12-02T05:00:00Z",
    )
    assert ticket["sla"]["first_response"]["status"] == "completed_late"  # not un-completed
    # A new next-response cycle starts at the customer's message.
    assert clock(ticket, "next_response") == running(
        "active",
        started_at="2026-12-01T10:30:00Z",
        due_at="2026-12-01T12:30:00Z",
        due_soon_at="2026-12-01T12:00:00Z",
    )
    reopened = SlaEvent.objects.get(ticket_id=ticket_id, kind="reopened")
    assert reopened.clock_kind == "close"
    assert reopened.detail["completed_at_before"] == "2026-12-01T09:30:00Z"
    # The completion stays in the timeline.
    assert events_of(ticket_id, "close") == [
        (1, "applied"),
        (1, "completed_on_time"),
        (1, "reopened"),
    ]

    freeze("2026-12-01T11:00:00Z")
    ticket = api.update(ticket_id, status="closed")
    assert ticket["sla"]["next_response"]["completed_by"] == "close"
    freeze("2026-12-01T12:00:00Z")
    ticket = api.update(ticket_id, status="waiting-on-us")  # reopened by an agent
    assert ticket["status"] == "waiting-on-us"
    # Closed 09:30–10:30 and 11:00–12:00: two hours excluded, due Wed 10:00.
    assert clock(ticket, "close")["due_at"] == "2026-12-02T10:00:00Z"
    assert clock(ticket, "close")["status"] == "active"
    # An agent reopening starts no next-response cycle.
    assert ticket["sla"]["next_response"]["status"] == "completed_on_time"
    assert SlaClock.objects.filter(kind="next_response").count() == 1


def test_a_customer_message_reopens_into_the_first_open_stage_that_does_not_pause(
    sla_settings, api, freeze
) -> None:
    sla_settings(sla_document(pause_statuses=["support/new", "support/waiting-on-customer"]))
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    assert api.ticket(ticket_id)["sla"]["close"]["paused"] is True  # "new" pauses here
    freeze("2026-12-01T09:00:00Z")
    api.update(ticket_id, status="closed")
    freeze("2026-12-01T10:00:00Z")
    ticket = api.customer(ticket_id)
    assert ticket["status"] == "waiting-on-us"
    assert ticket["sla"]["close"]["paused"] is False
    # Paused 08:00–09:00, closed 09:00–10:00: due Wed 08:00 + 2 h.
    assert ticket["sla"]["close"]["due_at"] == "2026-12-02T10:00:00Z"


def test_status_closed_names_the_first_closed_stage(always, api, freeze) -> None:
    PipelineFactory(slug="sales", stages=[("lead", False), ("won", True), ("lost", True)])
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create(pipeline="sales")["id"]
    freeze("2026-12-01T08:30:00Z")
    ticket = api.update(ticket_id, status="closed")
    assert ticket["status"] == "won"
    assert ticket["closed_at"] == "2026-12-01T08:30:00Z"
    assert ticket["sla"]["close"]["completed_by"] == "close"


# --- Applying a settings change --------------------------------------------------------------

FASTER = sla_document(
    goals=[goal_row(first_response=(30, 10), next_response=(120, 30), close=(720, 60))]
)


def test_a_change_for_new_tickets_only_leaves_open_tickets_alone(
    always, sla_settings, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    old_id = api.create()["id"]
    freeze("2026-12-01T08:10:00Z")
    result = sla_settings(FASTER, apply_to="new")
    assert result.recompute is None
    freeze("2026-12-01T08:20:00Z")
    old = api.ticket(old_id)
    assert old["sla"]["first_response"]["due_at"] == "2026-12-01T09:00:00Z"  # still 60 min
    assert old["sla"]["first_response"]["goal_minutes"] == 60
    new = api.create()
    assert new["sla"]["first_response"]["due_at"] == "2026-12-01T08:50:00Z"  # 30 min
    assert not SlaEvent.objects.filter(kind="recomputed").exists()
    # New cycles always use the current settings, also on old tickets.
    api.reply(old_id)
    freeze("2026-12-01T08:30:00Z")
    assert api.customer(old_id)["sla"]["next_response"]["due_at"] == "2026-12-01T10:30:00Z"


def test_a_change_for_new_and_open_tickets_recomputes_running_clocks(
    always, sla_settings, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    open_id = api.create()["id"]
    replied_id = api.create()["id"]
    closed_id = api.create()["id"]
    freeze("2026-12-01T08:05:00Z")
    api.reply(replied_id)
    api.update(closed_id, status="closed")

    freeze("2026-12-01T08:40:00Z")
    result = sla_settings(FASTER, apply_to="new_and_open")
    assert (result.recompute.tickets, result.recompute.done) == (2, 0)
    sla_recompute_run(recompute_id=result.recompute.pk, now=timezone.now())

    recomputed = api.ticket(open_id)
    # First response now 30 (10) from 08:00: due 08:30 (due soon 08:20), overdue at 08:40.
    assert clock(recomputed, "first_response") == running(
        "overdue",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T08:30:00Z",
        due_soon_at="2026-12-01T08:20:00Z",
    )
    assert clock(recomputed, "close")["due_at"] == "2026-12-01T20:00:00Z"  # 08:00 + 720 min
    fr_events = SlaEvent.objects.filter(ticket_id=open_id, clock_kind="first_response")
    assert list(fr_events.order_by("id").values_list("kind", "should_notify")) == [
        ("applied", False),
        ("recomputed", False),
        ("due_soon", False),
        ("overdue", False),  # overdue on apply: recorded, but nobody is emailed
    ]

    replied = api.ticket(replied_id)
    # The completed first response is never rewritten by a settings change.
    assert replied["sla"]["first_response"]["due_at"] == "2026-12-01T09:00:00Z"
    assert replied["sla"]["first_response"]["goal_minutes"] == 60
    assert replied["sla"]["first_response"]["status"] == "completed_on_time"
    assert replied["sla"]["close"]["due_at"] == "2026-12-01T20:00:00Z"

    closed = api.ticket(closed_id)
    assert closed["sla"]["close"]["due_at"] == "2026-12-02T08:00:00Z"
    assert not SlaEvent.objects.filter(ticket_id=closed_id, kind="recomputed").exists()


def test_switching_goals_on_for_open_tickets_starts_their_clocks(sla_settings, api, freeze) -> None:
    sla_settings(sla_document(goals_enabled=False))
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    result = sla_settings(sla_document(), apply_to="new_and_open")
    sla_recompute_run(recompute_id=result.recompute.pk, now=timezone.now())
    ticket = api.ticket(ticket_id)
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T09:00:00Z",
        due_soon_at="2026-12-01T08:45:00Z",
    )
    assert events(ticket_id) == [("first_response", 1, "applied"), ("close", 1, "applied")]


def test_switching_goals_off_for_open_tickets_removes_their_clocks(
    always, sla_settings, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    freeze("2026-12-01T08:30:00Z")
    result = sla_settings(sla_document(goals_enabled=False), apply_to="new_and_open")
    sla_recompute_run(recompute_id=result.recompute.pk, now=timezone.now())
    ticket = api.ticket(ticket_id)
    assert ticket["sla"] == {"first_response": None, "next_response": None, "close": None}
    assert [kind for _, _, kind in events(ticket_id)] == [
        "applied",
        "applied",
        "removed",
        "removed",
    ]


def test_a_change_of_pause_stages_pauses_and_resumes_open_tickets(
    always, sla_settings, api, freeze
) -> None:
    freeze("2026-12-01T08:00:00Z")
    ticket_id = api.create()["id"]
    api.update(ticket_id, status="waiting-on-us")
    freeze("2026-12-01T08:20:00Z")
    pausing = sla_document(pause_statuses=["support/waiting-on-us"])
    result = sla_settings(pausing, apply_to="new_and_open")
    sla_recompute_run(recompute_id=result.recompute.pk, now=timezone.now())
    assert api.ticket(ticket_id)["sla"]["first_response"]["paused"] is True

    freeze("2026-12-01T09:20:00Z")
    result = sla_settings(sla_document(pause_statuses=[]), apply_to="new_and_open")
    sla_recompute_run(recompute_id=result.recompute.pk, now=timezone.now())
    ticket = api.ticket(ticket_id)
    # Paused 08:20–09:20: due 09:00 + 1 h = 10:00, due soon 09:45.
    assert clock(ticket, "first_response") == running(
        "active",
        started_at="2026-12-01T08:00:00Z",
        due_at="2026-12-01T10:00:00Z",
        due_soon_at="2026-12-01T09:45:00Z",
    )
    assert events_of(ticket_id, "first_response") == [
        (1, "applied"),
        (1, "paused"),
        (1, "resumed"),
    ]
