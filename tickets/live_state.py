"""What an open ticket page shows, read in one statement for its poll (``views.ticket_live``).

The page polls every ``TICKET_LIVE_SECONDS`` and marks its agent as viewing or replying each
time. ``ticket_live_fingerprint`` does both in one round trip: on PostgreSQL the presence upsert
(and, when the page loads, the clean-up of the agent's long-lapsed marks) runs as data-modifying
``WITH`` clauses of the query that reads the fingerprint; elsewhere the mark is written first
(``tickets.presence.ticket_presence_mark``), then the fingerprint read.

The fingerprint is one line of text per row of everything the poll's regions are rendered from:
the ticket with the names of its team, pipeline, stage and owner and the settings' version and
stamp (touched by every settings, team and pipeline save), its clocks, its messages with their
authors' names, their attachments and incoming emails, the deliveries of their emails and of the
acknowledgement, its SLA events, its history rows with their actors' names, and the other agents
whose marks have not lapsed at ``now``. On PostgreSQL each line is its ``md5``, so the bodies
never leave the database. Equal fingerprints (with the same viewer, zone, language and page
state) mean the same regions, apart from what time alone changes.

The query is built by the ORM once per database vendor, with stand-in values where the ticket,
the viewer and the lapse cut-off go, and its parameters swapped for the real ones on each call
(``_fingerprint_query``): building and compiling it each time would cost more CPU than the
poll's whole answer.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F, Func, QuerySet, Subquery, TextField, Value

from settings_app.models import SlaSettings
from tickets.inbound.models import Attachment, InboundEmail
from tickets.models import Message, SlaClock, SlaEvent, Ticket, TicketChange, TicketPresence
from tickets.outbound.models import OutboundEmail
from tickets.presence import PRESENCE_KEEP, presence_lapse, ticket_presence_mark
from tickets.selectors import storable_ticket_id

# Stand-ins for the values of one call (see the module's docstring): unlikely in a real query.
_TICKET = -7_345_678_901_234
_VIEWER = -7_345_678_901_235
_CUTOFF = datetime.datetime(1901, 2, 3, 4, 5, 6, 789_012, tzinfo=datetime.UTC)
# The parts, in order. The page reads back its latest message and its version (the id of its
# latest history row), and whether there are any rows of the others it reads (each list is read
# only when there are).
MESSAGES, ATTACHMENTS, INBOUND_EMAILS, MESSAGE_EMAILS, ACKNOWLEDGEMENTS = 3, 4, 5, 6, 7
EVENTS, CHANGES, VIEWERS = 8, 9, 10


class _RowLine(Func):
    """Its arguments as one JSON array, as text (NULL and "" stay apart), on PostgreSQL as the
    ``md5`` of that text: the database writes it, so no moment, JSON or body is read in Python."""

    function = "JSON_ARRAY"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            function="json_build_array",
            template="md5((%(function)s(%(expressions)s))::text)",
            **extra,
        )


def _columns(model: Any, *extra: str) -> list[F]:
    return [F(field.attname) for field in model._meta.concrete_fields] + [F(name) for name in extra]


def _part(queryset: QuerySet, number: int, columns: list[Any]) -> QuerySet:
    return (
        queryset.order_by()
        .annotate(part=Value(number), row=F("pk"), line=_RowLine(*columns))
        .values_list("part", "row", "line")
    )


def _parts() -> QuerySet:
    settings_row = SlaSettings.objects.filter(pk=1)
    ticket_columns = [
        *_columns(Ticket, "team__name", "pipeline__name", "stage__name", "owner__username"),
        Subquery(settings_row.values("version")[:1]),
        Subquery(settings_row.values("updated_at")[:1]),
    ]
    # Two parts, each read through its own index: the emails of the ticket's messages, and its
    # acknowledgement (which the conversation shows under the first message).
    message_emails = OutboundEmail.objects.filter(ticket_message__ticket_id=_TICKET)
    acknowledgements = OutboundEmail.objects.filter(
        ticket_id=_TICKET, kind=OutboundEmail.Kind.ACKNOWLEDGEMENT
    )
    email_columns = [
        F(name)
        for name in (
            "kind",
            "state",
            "ticket_message_id",
            "detail",
            "created_at",
            "claimed_at",
            "sent_at",
            "failed_at",
        )
    ]
    parts = [
        _part(Ticket.objects.filter(pk=_TICKET), 1, ticket_columns),
        _part(SlaClock.objects.filter(ticket_id=_TICKET), 2, _columns(SlaClock)),
        _part(
            Message.objects.filter(ticket_id=_TICKET),
            MESSAGES,
            _columns(Message, "author__username"),
        ),
        _part(
            Attachment.objects.filter(message__ticket_id=_TICKET),
            ATTACHMENTS,
            [F("message_id"), F("filename"), F("content_type"), F("size")],
        ),
        _part(
            InboundEmail.objects.filter(message__ticket_id=_TICKET),
            INBOUND_EMAILS,
            [F("message_id")],
        ),
        _part(message_emails, MESSAGE_EMAILS, email_columns),
        _part(acknowledgements, ACKNOWLEDGEMENTS, email_columns),
        _part(SlaEvent.objects.filter(ticket_id=_TICKET), EVENTS, _columns(SlaEvent)),
        _part(
            TicketChange.objects.filter(ticket_id=_TICKET),
            CHANGES,
            _columns(TicketChange, "actor__username"),
        ),
        _part(
            TicketPresence.objects.filter(ticket_id=_TICKET, seen_at__gte=_CUTOFF).exclude(
                user_id=_VIEWER
            ),
            VIEWERS,
            [F("user_id"), F("user__username"), F("state")],
        ),
    ]
    return parts[0].union(*parts[1:], all=True).order_by("part", "row")


@functools.cache
def _fingerprint_query(vendor: str) -> tuple[str, tuple]:
    """The fingerprint's SQL and its parameters with the stand-ins in them."""
    sql, params = _parts().query.sql_with_params()
    return sql, tuple(params)


@functools.cache
def _mark_sql(vendor: str) -> str:
    """The presence upsert and the clean-up of lapsed marks, as ``WITH`` clauses (PostgreSQL)."""
    quote = connection.ops.quote_name
    meta: Any = TicketPresence._meta
    table = quote(meta.db_table)
    ticket, user, state, seen_at = (
        quote(meta.get_field(name).column) for name in ("ticket", "user", "state", "seen_at")
    )
    tickets = quote(Ticket._meta.db_table)
    ticket_pk = quote(str(Ticket._meta.pk.column))
    return (
        f"WITH mark AS (INSERT INTO {table} ({ticket}, {user}, {state}, {seen_at})"
        f" SELECT %s, %s, %s, %s WHERE EXISTS (SELECT 1 FROM {tickets} WHERE {ticket_pk} = %s)"
        f" ON CONFLICT ({ticket}, {user}) DO UPDATE SET {state} = EXCLUDED.{state},"
        f" {seen_at} = EXCLUDED.{seen_at} RETURNING 1),"
        f" lapsed AS (DELETE FROM {table} WHERE %s AND {user} = %s AND {seen_at} < %s"
        f" AND {ticket} <> %s RETURNING 1) "
    )


@dataclass(frozen=True)
class TicketFingerprint:
    """The rows the ticket's page is rendered from (part, row id, line), in order."""

    rows: tuple[tuple[int, int, str], ...]

    @property
    def latest_message(self) -> int:
        """The id of the ticket's latest message (0: none)."""
        return max((row for part, row, _line in self.rows if part == MESSAGES), default=0)

    def has(self, part: int) -> bool:
        """Whether the ticket has rows of ``part`` (``ATTACHMENTS``, …)."""
        return any(row[0] == part for row in self.rows)

    @property
    def version(self) -> int:
        """The ticket's version (``tickets.selectors.ticket_version``)."""
        return max((row for part, row, _line in self.rows if part == CHANGES), default=0)


def ticket_live_fingerprint(
    *,
    ticket_id: int,
    viewer: Any,
    presence_state: str,
    now: datetime.datetime,
    is_first: bool = False,
) -> TicketFingerprint:
    """Mark ``viewer`` as ``presence_state`` on the ticket at ``now`` (as
    ``ticket_presence_mark``, ``is_first`` when the page loads) and read the fingerprint of what
    the ticket's page shows them (see the module's docstring), in one statement on PostgreSQL.
    No rows for a ticket that does not exist (and no mark)."""
    if not storable_ticket_id(ticket_id):
        return TicketFingerprint(rows=())
    vendor = connection.vendor
    sql, params = _fingerprint_query(vendor)
    adapt = connection.ops.adapt_datetimefield_value
    values = {
        _TICKET: ticket_id,
        _VIEWER: viewer.pk,
        adapt(_CUTOFF): adapt(now - presence_lapse()),
    }
    params = tuple(values.get(value, value) if _hashable(value) else value for value in params)
    if vendor == "postgresql":
        mark = (ticket_id, viewer.pk, presence_state, now, ticket_id)
        lapsed = (is_first, viewer.pk, now - PRESENCE_KEEP, ticket_id)
        sql, params = _mark_sql(vendor) + sql, (*mark, *lapsed, *params)
    elif Ticket.objects.filter(pk=ticket_id).exists():
        ticket_presence_mark(
            ticket_id=ticket_id, user=viewer, state=presence_state, now=now, is_first=is_first
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return TicketFingerprint(rows=tuple(cursor.fetchall()))


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
