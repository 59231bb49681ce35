"""Shared helpers of the SPEC scenario tests: clocks as the API shows them, recorded events, and
the demo-like per-priority settings."""

from __future__ import annotations

from typing import Any

from tests.factories import goal_row, sla_document
from tickets.models import SlaEvent

SPEC_CLOCK_KEYS = (
    "status",
    "started_at",
    "due_at",
    "due_soon_at",
    "completed_at",
    "completed_by",
    "paused",
)

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
