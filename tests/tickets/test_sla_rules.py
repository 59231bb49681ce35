"""The pure clock rules of ``tickets.sla`` on plain values: no database, no clock."""

from __future__ import annotations

import datetime

import pytest

from settings_app.business_time import WorkingSchedule
from tickets import sla

UTC = datetime.UTC


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


# A clock due at 09:00 with a 15-minute due-soon threshold: due soon from 08:45.
DUE_AT = at("2026-12-01T09:00:00")
DUE_SOON_AT = at("2026-12-01T08:45:00")


def status(
    now: str,
    *,
    due_soon_at: datetime.datetime | None = DUE_SOON_AT,
    completed_at: str | None = None,
    paused_at: str | None = None,
) -> str:
    return sla.clock_status(
        due_at=DUE_AT,
        due_soon_at=due_soon_at,
        completed_at=at(completed_at) if completed_at else None,
        paused_at=at(paused_at) if paused_at else None,
        now=at(now),
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-12-01T08:00:00", sla.ACTIVE),
        ("2026-12-01T08:44:59", sla.ACTIVE),  # one second before the due-soon moment
        ("2026-12-01T08:45:00", sla.DUE_SOON),  # now == due_soon_at: due soon
        ("2026-12-01T08:59:59", sla.DUE_SOON),
        ("2026-12-01T09:00:00", sla.DUE_SOON),  # now == due_at: NOT overdue yet
        ("2026-12-01T09:00:01", sla.OVERDUE),  # only once the due moment has passed
        ("2026-12-03T00:00:00", sla.OVERDUE),
    ],
)
def test_running_status_at_the_boundaries(now: str, expected: str) -> None:
    assert status(now) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-12-01T08:59:59", sla.ACTIVE),
        ("2026-12-01T09:00:00", sla.ACTIVE),
        ("2026-12-01T09:00:01", sla.OVERDUE),
    ],
)
def test_without_a_threshold_a_clock_is_never_due_soon(now: str, expected: str) -> None:
    assert status(now, due_soon_at=None) == expected


@pytest.mark.parametrize(
    ("completed_at", "expected"),
    [
        ("2026-12-01T08:10:00", sla.COMPLETED_ON_TIME),
        ("2026-12-01T08:50:00", sla.COMPLETED_ON_TIME),  # while due soon: still on time
        ("2026-12-01T09:00:00", sla.COMPLETED_ON_TIME),  # exactly at the due moment: on time
        ("2026-12-01T09:00:01", sla.COMPLETED_LATE),
    ],
)
def test_completed_status_depends_on_the_completion_moment_only(
    completed_at: str, expected: str
) -> None:
    # Read long after: a completed clock's status does not move with time.
    assert status("2027-06-01T00:00:00", completed_at=completed_at) == expected
    assert status("2026-12-01T09:00:00", completed_at=completed_at) == expected


@pytest.mark.parametrize(
    ("paused_at", "expected"),
    [
        ("2026-12-01T08:30:00", sla.ACTIVE),
        ("2026-12-01T08:45:00", sla.DUE_SOON),
        ("2026-12-01T09:00:00", sla.DUE_SOON),
        ("2026-12-01T09:00:01", sla.OVERDUE),
    ],
)
def test_a_paused_clock_keeps_the_status_it_had_when_it_paused(
    paused_at: str, expected: str
) -> None:
    # Read a day after its due moment: the status is frozen as of the pause.
    assert status("2026-12-02T12:00:00", paused_at=paused_at) == expected


def next_check(
    status: str,
    *,
    due_soon_at: datetime.datetime | None = DUE_SOON_AT,
    completed_at: datetime.datetime | None = None,
    paused_at: datetime.datetime | None = None,
) -> datetime.datetime | None:
    return sla.next_check_at(
        status=status,
        due_at=DUE_AT,
        due_soon_at=due_soon_at,
        completed_at=completed_at,
        paused_at=paused_at,
    )


def test_next_check_is_the_moment_the_persisted_status_can_next_change() -> None:
    assert next_check(sla.ACTIVE) == DUE_SOON_AT
    assert next_check(sla.ACTIVE, due_soon_at=None) == DUE_AT
    assert next_check(sla.DUE_SOON) == DUE_AT
    assert next_check(sla.OVERDUE) is None


def test_completed_and_paused_clocks_never_need_a_check() -> None:
    assert next_check(sla.ACTIVE, completed_at=at("2026-12-01T08:10:00")) is None
    assert next_check(sla.COMPLETED_LATE, completed_at=at("2026-12-01T09:10:00")) is None
    assert next_check(sla.ACTIVE, paused_at=at("2026-12-01T08:10:00")) is None
    assert next_check(sla.DUE_SOON, paused_at=at("2026-12-01T08:50:00")) is None


ALWAYS = WorkingSchedule(timezone="UTC", periods={}, always_open=True)
# Mon–Fri 09:00–17:00 Stockholm; in December (CET) that is 08:00Z–16:00Z.
OFFICE = WorkingSchedule(
    timezone="Europe/Stockholm",
    periods={day: [("09:00", "17:00")] for day in range(5)},
    holidays=[datetime.date(2026, 12, 24), datetime.date(2026, 12, 25)],
)


@pytest.mark.parametrize(
    ("old", "new", "passed"),
    [
        (sla.ACTIVE, sla.ACTIVE, ()),
        (sla.ACTIVE, sla.DUE_SOON, (sla.DUE_SOON,)),
        (sla.ACTIVE, sla.OVERDUE, (sla.DUE_SOON, sla.OVERDUE)),  # a late sweep passes both
        (sla.DUE_SOON, sla.OVERDUE, (sla.OVERDUE,)),
        (sla.OVERDUE, sla.ACTIVE, ()),  # a clock never moves back by time alone
        (sla.ACTIVE, sla.COMPLETED_ON_TIME, ()),
        (sla.COMPLETED_LATE, sla.OVERDUE, ()),
    ],
)
def test_transitions_passed(old: str, new: str, passed: tuple[str, ...]) -> None:
    """Each transition passed, at its own moment (due soon at due_soon_at, overdue at due_at)."""
    moments = {sla.DUE_SOON: DUE_SOON_AT, sla.OVERDUE: DUE_AT}
    assert sla.transitions_passed(
        old_status=old, new_status=new, due_at=DUE_AT, due_soon_at=DUE_SOON_AT
    ) == tuple((step, moments[step]) for step in passed)


@pytest.mark.parametrize(
    ("old", "new", "passed"),
    [
        (sla.ACTIVE, sla.OVERDUE, (sla.OVERDUE,)),  # never due soon: only overdue is passed
        (sla.DUE_SOON, sla.OVERDUE, (sla.OVERDUE,)),
        (sla.ACTIVE, sla.ACTIVE, ()),
    ],
)
def test_without_a_threshold_no_due_soon_transition_is_passed(
    old: str, new: str, passed: tuple[str, ...]
) -> None:
    assert sla.transitions_passed(
        old_status=old, new_status=new, due_at=DUE_AT, due_soon_at=None
    ) == tuple((step, DUE_AT) for step in passed)


ALWAYS = WorkingSchedule(timezone="UTC", periods={}, always_open=True)
# Mon–Fri 09:00–17:00 Stockholm; in December (CET) that is 08:00Z–16:00Z.
OFFICE = WorkingSchedule(
    timezone="Europe/Stockholm",
    periods={day: [("09:00", "17:00")] for day in range(5)},
    holidays=[datetime.date(2026, 12, 24), datetime.date(2026, 12, 25)],
)


CREATED_AT = at("2026-12-01T08:00:00")
MESSAGE_AT = at("2026-12-01T10:00:00")  # the oldest unanswered customer message
SECOND = datetime.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("kind", "latest_started_at", "first_replied_at", "awaiting", "done", "expected"),
    [
        # First response: at creation, unless the ticket has one or a public reply came first.
        (sla.FIRST_RESPONSE, None, None, None, False, CREATED_AT),
        (sla.FIRST_RESPONSE, CREATED_AT, None, None, False, None),
        (sla.FIRST_RESPONSE, None, MESSAGE_AT, None, True, None),
        # Close: at creation, once.
        (sla.CLOSE, None, None, None, False, CREATED_AT),
        (sla.CLOSE, CREATED_AT, None, None, False, None),
        # Next response: at the oldest unanswered message, once the first response is done…
        (sla.NEXT_RESPONSE, None, None, MESSAGE_AT, False, None),
        (sla.NEXT_RESPONSE, None, CREATED_AT, None, True, None),
        (sla.NEXT_RESPONSE, None, CREATED_AT, MESSAGE_AT, True, MESSAGE_AT),
        (sla.NEXT_RESPONSE, MESSAGE_AT - SECOND, CREATED_AT, MESSAGE_AT, True, MESSAGE_AT),
        # … unless the latest cycle already started there or later.
        (sla.NEXT_RESPONSE, MESSAGE_AT, CREATED_AT, MESSAGE_AT, True, None),
        (sla.NEXT_RESPONSE, MESSAGE_AT + SECOND, CREATED_AT, MESSAGE_AT, True, None),
    ],
)
def test_usual_start(
    kind: str,
    latest_started_at: datetime.datetime | None,
    first_replied_at: datetime.datetime | None,
    awaiting: datetime.datetime | None,
    done: bool,
    expected: datetime.datetime | None,
) -> None:
    """Where a clock the ticket lacks would start (SPEC section 3), at the boundaries."""
    assert (
        sla.usual_start(
            kind,
            latest_started_at=latest_started_at,
            created_at=CREATED_AT,
            first_replied_at=first_replied_at,
            awaiting_reply_since=awaiting,
            first_response_done=done,
        )
        == expected
    )


def test_clock_moments_on_24_7() -> None:
    # Start 08:00Z, goal 60, threshold 15: due 09:00Z, due soon 60 - 15 = 45 min → 08:45Z.
    due_at, due_soon_at = sla.clock_moments(
        ALWAYS,
        started_at=at("2026-12-01T08:00:00"),
        goal_minutes=60,
        due_soon_minutes=15,
        excluded=datetime.timedelta(0),
    )
    assert (due_at, due_soon_at) == (DUE_AT, DUE_SOON_AT)


def test_clock_moments_move_later_by_the_excluded_time() -> None:
    # Same clock with 25 min excluded: due 09:25Z, due soon 09:10Z.
    due_at, due_soon_at = sla.clock_moments(
        ALWAYS,
        started_at=at("2026-12-01T08:00:00"),
        goal_minutes=60,
        due_soon_minutes=15,
        excluded=datetime.timedelta(minutes=25),
    )
    assert (due_at, due_soon_at) == (at("2026-12-01T09:25:00"), at("2026-12-01T09:10:00"))


def test_clock_moments_without_a_threshold_have_no_due_soon_moment() -> None:
    due_at, due_soon_at = sla.clock_moments(
        ALWAYS,
        started_at=at("2026-12-01T08:00:00"),
        goal_minutes=60,
        due_soon_minutes=None,
        excluded=datetime.timedelta(0),
    )
    assert (due_at, due_soon_at) == (DUE_AT, None)


def test_clock_moments_in_working_hours_skip_the_weekend_and_holidays() -> None:
    # Wed 23 Dec 16:30 Stockholm (15:30Z), goal 120, threshold 30: 30 min on Wed, then Thu 24
    # and Fri 25 are holidays and 26–27 the weekend; Mon 28 from 09:00: +90 min → 10:30
    # Stockholm = 09:30Z. Due soon after 90 min: 30 Wed + 60 Mon → 10:00 Stockholm = 09:00Z.
    due_at, due_soon_at = sla.clock_moments(
        OFFICE,
        started_at=at("2026-12-23T15:30:00"),
        goal_minutes=120,
        due_soon_minutes=30,
        excluded=datetime.timedelta(0),
    )
    assert (due_at, due_soon_at) == (at("2026-12-28T09:30:00"), at("2026-12-28T09:00:00"))


def test_excluded_time_counts_pauses_for_every_clock_and_closed_time_only_for_close() -> None:
    periods = [
        # Before the clock started at 08:00Z: ignored.
        sla.ExcludedPeriod(at("2026-12-01T06:00:00"), at("2026-12-01T07:00:00"), sla.PAUSED),
        # Straddles the start: only 08:00–08:20 counts (20 min).
        sla.ExcludedPeriod(at("2026-12-01T07:50:00"), at("2026-12-01T08:20:00"), sla.PAUSED),
        # 30 min closed.
        sla.ExcludedPeriod(at("2026-12-01T09:00:00"), at("2026-12-01T09:30:00"), sla.CLOSED),
    ]
    started_at = at("2026-12-01T08:00:00")

    def excluded(kind: str) -> datetime.timedelta:
        return sla.excluded_time(ALWAYS, periods=periods, started_at=started_at, kind=kind)

    assert excluded(sla.FIRST_RESPONSE) == datetime.timedelta(minutes=20)
    assert excluded(sla.NEXT_RESPONSE) == datetime.timedelta(minutes=20)
    assert excluded(sla.CLOSE) == datetime.timedelta(minutes=50)


def test_excluded_time_in_working_hours_counts_only_working_time() -> None:
    # Paused Fri 4 Dec 16:00 Stockholm (15:00Z) to Mon 7 Dec 10:00 Stockholm (09:00Z):
    # 1 h on Friday + 1 h on Monday = 2 h; the weekend counts nothing.
    periods = [
        sla.ExcludedPeriod(at("2026-12-04T15:00:00"), at("2026-12-07T09:00:00"), sla.PAUSED),
    ]
    excluded = sla.excluded_time(
        OFFICE, periods=periods, started_at=at("2026-12-04T08:00:00"), kind=sla.CLOSE
    )
    assert excluded == datetime.timedelta(hours=2)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (datetime.timedelta(seconds=59), "< 1 min"),
        (datetime.timedelta(minutes=35), "35 min"),
        (datetime.timedelta(hours=2), "2 h"),
        (datetime.timedelta(hours=2, minutes=10), "2 h 10 min"),
        (datetime.timedelta(days=1), "1 d"),
        (datetime.timedelta(days=1, hours=2, minutes=5), "1 d 2 h"),
        (-datetime.timedelta(minutes=35), "35 min"),
    ],
)
def test_format_duration(delta: datetime.timedelta, text: str) -> None:
    assert sla.format_duration(delta) == text
