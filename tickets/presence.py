"""Who else has a ticket open: each agent's ticket page marks them as viewing or replying when it
loads and each time it polls; a mark older than ``TICKET_PRESENCE_SECONDS`` has lapsed.

The marks live in the database (``TicketPresence``), not the cache: the embedded default runs one
web process with a per-process memory cache, production runs several gunicorn workers, and the
cache is shared only when ``REDIS_URL`` is set; the database is shared in every set-up. A mark is
one upsert per open page per poll (docs/DECISIONS.md).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings

from tickets.models import TicketPresence

# Marks of an agent older than this are deleted when they next open a ticket (the table stays
# as small as the agents' recent tickets).
PRESENCE_KEEP = datetime.timedelta(hours=1)


def presence_lapse() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.TICKET_PRESENCE_SECONDS)


def ticket_presence_mark(
    *, ticket_id: int, user: Any, state: str, now: datetime.datetime, is_first: bool = False
) -> None:
    """Mark ``user`` as viewing (or replying on) the ticket at ``now``: one upsert. ``is_first``
    (the page loads) also drops the user's marks that lapsed long ago."""
    TicketPresence.objects.bulk_create(
        [TicketPresence(ticket_id=ticket_id, user=user, state=state, seen_at=now)],
        update_conflicts=True,
        unique_fields=["ticket", "user"],
        update_fields=["state", "seen_at"],
    )
    if is_first:
        TicketPresence.objects.filter(user=user, seen_at__lt=now - PRESENCE_KEEP).delete()


def ticket_presence_leave(*, ticket_id: int, user: Any) -> None:
    """The user closed the ticket's page (or went elsewhere)."""
    TicketPresence.objects.filter(ticket_id=ticket_id, user=user).delete()


def ticket_presence_others(
    *, ticket_id: int, user: Any, now: datetime.datetime
) -> list[TicketPresence]:
    """The other agents on the ticket now, replying ones first, by name."""
    marks = (
        TicketPresence.objects.filter(ticket_id=ticket_id, seen_at__gte=now - presence_lapse())
        .exclude(user=user)
        .select_related("user")
    )
    return sorted(
        marks,
        key=lambda mark: (mark.state != TicketPresence.State.REPLYING, mark.user.get_username()),
    )
