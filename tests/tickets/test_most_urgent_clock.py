"""Which clock a ticket's "Next breach" badge shows (``tickets.display.most_urgent_clock``), on
unsaved clocks: the running, unpaused one due first; else the paused one with the least time left;
none when nothing runs."""

from __future__ import annotations

import datetime

import pytest

from tickets.display import clock_view, most_urgent_clock
from tickets.models import SlaClock

NOW = datetime.datetime(2026, 3, 3, 12, 0, tzinfo=datetime.UTC)
KINDS = ("first_response", "next_response", "close")


def clock(spec: str | None) -> SlaClock | None:
    """ "due+30" (running, due in 30 min), "paused-20/left40" (paused 20 min ago with 40 min left),
    "done" (completed), None (no goal)."""
    if spec is None:
        return None
    if spec == "done":
        return SlaClock(
            started_at=NOW - datetime.timedelta(hours=2),
            due_at=NOW - datetime.timedelta(hours=1),
            completed_at=NOW - datetime.timedelta(minutes=90),
        )
    if spec.startswith("paused"):
        ago, left = spec.removeprefix("paused-").split("/left")
        paused_at = NOW - datetime.timedelta(minutes=int(ago))
        return SlaClock(
            started_at=paused_at - datetime.timedelta(hours=1),
            due_at=paused_at + datetime.timedelta(minutes=int(left)),
            paused_at=paused_at,
        )
    minutes = int(spec.removeprefix("due"))
    return SlaClock(started_at=NOW, due_at=NOW + datetime.timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("first", "next_", "close", "expected"),
    [
        ("due+30", None, "due+90", "first_response"),
        ("done", "due+120", "due+15", "close"),
        ("done", "due-40", "due+15", "next_response"),  # overdue comes first
        ("due+30", None, "due+30", "first_response"),  # a tie: the first of the three
        ("paused-5/left10", None, "due+300", "close"),  # a counting clock beats a paused one
        ("paused-5/left50", None, "paused-5/left20", "close"),  # all paused: least time left
        ("done", None, "done", None),
        (None, None, None, None),
    ],
)
def test_the_badge_shows_the_running_clock_due_first(first, next_, close, expected) -> None:
    views = [
        clock_view(clock(spec), kind=kind, now=NOW)
        for kind, spec in zip(KINDS, (first, next_, close), strict=True)
    ]
    chosen = most_urgent_clock(views)
    assert (chosen.kind if chosen else None) == expected
