"""Reads of tickets: filtered lists with a fixed query plan, live SLA status, and JSON shapes.

The status of a clock is derived from its stored moments and ``now`` in Python
(``tickets.sla.clock_status``) and in SQL (``sla_status_q``), so it is right even when the sweep is
late; the one place a persisted status is read, the due-soon filter, reads it only where it cannot
have gone stale (its ``next_check_at`` still ahead).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import re
import threading
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import (
    BooleanField,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    signals,
)
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.db.models.query import get_related_populators

from settings_app.models import Pipeline, SlaSettings, Stage, Team
from settings_app.selectors import default_zone_named
from settings_app.time_zones import load_zone
from tickets import sla
from tickets.models import AgentProfile, Message, SlaClock, SlaEvent, Ticket, TicketChange
from tickets.sla import iso

if TYPE_CHECKING:
    from tickets.outbound.selectors import Delivery, DeliveryJson

SLA_STATUS_FILTERS = ("overdue", "due_soon", "active", "completed")


def running_clock_q(status: str, now: datetime.datetime) -> Q:
    """Clocks (running) whose live status at ``now`` is ``status``; paused ones as of pausing."""
    unpaused, paused = Q(paused_at__isnull=True), Q(paused_at__isnull=False)
    if status == sla.OVERDUE:
        return (unpaused & Q(due_at__lt=now)) | (paused & Q(due_at__lt=F("paused_at")))
    if status == sla.DUE_SOON:
        return (unpaused & Q(due_soon_at__lte=now, due_at__gte=now)) | (
            paused & Q(due_soon_at__lte=F("paused_at"), due_at__gte=F("paused_at"))
        )
    if status == sla.ACTIVE:
        return (
            unpaused & Q(due_at__gte=now) & (Q(due_soon_at__isnull=True) | Q(due_soon_at__gt=now))
        ) | (
            paused
            & Q(due_at__gte=F("paused_at"))
            & (Q(due_soon_at__isnull=True) | Q(due_soon_at__gt=F("paused_at")))
        )
    raise ValueError(f"unknown running status {status!r}")


class _InArray(Func):
    """PostgreSQL ``value = ANY(ARRAY(subquery))``: the subquery runs once, as an init plan."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY(ARRAY"
    output_field = BooleanField()


def sla_status_q(status: str, *, now: datetime.datetime) -> Q:
    """Tickets matching an SLA status filter: any running clock has it; "completed" = has clocks
    and none is running.

    The two filters agents use most cost what they return, not what the table holds:

    * Overdue: ``Ticket.sla_overdue_at < now`` (one index range; see the field).
    * Active: ``Ticket.sla_active_until > now`` (likewise; on PostgreSQL the sort index carries
      it, so a page stops after its rows).
    * Due soon: a clock's persisted status is its live status until its ``next_check_at`` comes
      (every writer stores the two together), so the due-soon clocks are those stored as due soon
      whose next check is still ahead (a small partial index), plus the few the sweep has not
      reached yet (next check passed), judged live from their moments.
    """
    if status == sla.OVERDUE:
        # Closed tickets have no running clock (so no sla_overdue_at); saying so lets PostgreSQL
        # count from ticket_overdue_idx alone.
        return Q(sla_overdue_at__lt=now, closed_at__isnull=True)
    if status == sla.DUE_SOON:
        if connection.vendor == "postgresql":
            # Read the few ids once: with IN (…) the planner walks the queue's sort index from
            # the start (overdue tickets first) probing each ticket's clocks.
            # Open, as every ticket with a running clock is: then each id's sort key is read
            # from ticket_open_sort_key_idx alone.
            return Q(_InArray(F("pk"), Subquery(_due_soon_ticket_ids(now, repeats=True)))) & Q(
                closed_at__isnull=True
            )
        stored, stale = _due_soon_clocks_q(now)
        return Q(pk__in=SlaClock.objects.filter(stored | stale).values("ticket_id")) & Q(
            closed_at__isnull=True
        )
    if status == sla.ACTIVE:
        # As for Overdue: closed tickets have none, and saying so lets PostgreSQL count from
        # ticket_active_idx alone.
        return Q(sla_active_until__gt=now, closed_at__isnull=True)
    if status == "completed":
        has_clock = SlaClock.objects.filter(ticket=OuterRef("pk"))
        running = has_clock.filter(completed_at__isnull=True)
        return Q(Exists(has_clock)) & ~Q(Exists(running))
    raise ValueError(f"unknown SLA status filter {status!r}")


def _due_soon_clocks_q(now: datetime.datetime) -> tuple[Q, Q]:
    """Running clocks due soon at ``now``: stored so and not stale, and stale but due soon."""
    running = Q(completed_at__isnull=True)
    stored = (
        running
        & Q(status=sla.DUE_SOON)
        & (Q(next_check_at__isnull=True) | Q(next_check_at__gt=now))
    )
    stale = running & Q(next_check_at__lte=now) & running_clock_q(sla.DUE_SOON, now)
    return stored, stale


def _due_soon_ticket_ids(now: datetime.datetime, *, repeats: bool) -> QuerySet:
    """Ids of the tickets with a clock due soon at ``now`` (each once unless ``repeats``), in
    two branches so that the stored one is read from clock_due_soon_idx alone."""
    stored, stale = _due_soon_clocks_q(now)
    return (
        SlaClock.objects.filter(stored)
        .order_by()
        .values("ticket_id")
        .union(SlaClock.objects.filter(stale).order_by().values("ticket_id"), all=repeats)
    )


@dataclass(frozen=True)
class TicketFilters:
    sla_status: str = ""
    team: str = ""  # slug
    priority: str = ""
    stage: str = ""  # stage slug, or "open" / "closed"
    owner: str = ""  # "me", "none", or a username
    q: str = ""  # subject or requester contains


# The filters' lists, read on every queue page: the same queries each time, compiled once.
_FIXED_QUERIES: dict[str, Callable[[], QuerySet]] = {
    "teams": lambda: Team.objects.order_by("name").values_list("slug", "name"),
    "agents": lambda: (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_staff=True) | Q(is_superuser=True))
        .order_by("username")
        .values_list("username")
    ),
    "stages": lambda: Stage.objects.order_by(
        "pipeline__position", "pipeline_id", "position", "id"
    ).values_list("slug", "name"),
    # The ticket page's owner and team choices, as its form lists them (tickets.forms).
    "agent_ids": lambda: (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_staff=True) | Q(is_superuser=True))
        .order_by("username")
        .values_list("pk", "username")
    ),
    "team_ids": lambda: Team.objects.values_list("pk", "name"),
}


@functools.cache
def _fixed_query_sql(name: str, vendor: str) -> tuple[str, tuple]:
    sql, params = _FIXED_QUERIES[name]().query.sql_with_params()
    return sql, tuple(params)


def _fixed_query_rows(name: str) -> list[tuple]:
    """The rows of ``_FIXED_QUERIES[name]`` (text and number columns only, as the ORM reads
    them), without building and compiling the query again."""
    sql, params = _fixed_query_sql(name, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def filter_choices(*, only: Iterable[str] | None = None) -> dict[str, Any]:
    """The choices of the ticket filters (``tickets.forms.TicketFilterForm``): ``teams`` as
    (slug, name), ``agents``' usernames (active), and ``stages``, one (slug, names) per stage slug
    (the filter names stages by slug across pipelines). One small query each; ``only`` names the
    ones to read (the others are left empty), for a caller that checks a few values."""
    wanted = {"teams", "agents", "stages"} if only is None else set(only)
    choices: dict[str, Any] = {"teams": [], "agents": [], "stages": []}
    if "teams" in wanted:
        choices["teams"] = _fixed_query_rows("teams")
    if "agents" in wanted:
        choices["agents"] = [username for (username,) in _fixed_query_rows("agents")]
    if "stages" in wanted:
        names: dict[str, list[str]] = {}
        for slug, name in _fixed_query_rows("stages"):
            if name not in names.setdefault(slug, []):
                names[slug].append(name)
        choices["stages"] = [(slug, " / ".join(labels)) for slug, labels in names.items()]
    return choices


def ticket_form_choices() -> dict[str, list[tuple[int, str]]]:
    """The agents (``owner``: id, username) and teams (``team``: id, name) the ticket page's
    properties form offers (``tickets.forms.TicketPropertiesForm``), in its order; one small
    query each, compiled once."""
    return {"owner": _fixed_query_rows("agent_ids"), "team": _fixed_query_rows("team_ids")}


def tickets_list(
    *, filters: TicketFilters, viewer: Any, now: datetime.datetime
) -> QuerySet[Ticket]:
    """Tickets matching ``filters``, nearest due moment first (tickets without one last), with
    their properties and clocks loaded in a fixed number of queries. Paginate it with
    ``TicketPaginator``."""
    queryset = Ticket.objects.all()
    if filters.sla_status:
        queryset = queryset.filter(sla_status_q(filters.sla_status, now=now))
    # Team, stage and owner are looked up first (tiny tables), so that the ticket query names
    # their ids: then PostgreSQL walks (team|stage|owner, sla_due_at) for that id instead of the
    # whole sort index with a join filter (1.5 s for a stage whose tickets sort last at 1M).
    if filters.team:
        queryset = queryset.filter(team_id__in=_ids(Team.objects.filter(slug=filters.team)))
    if filters.priority:
        queryset = queryset.filter(priority=filters.priority)
    if filters.stage == "open":
        queryset = queryset.filter(closed_at__isnull=True)
    elif filters.stage == "closed":
        queryset = queryset.filter(closed_at__isnull=False)
    elif filters.stage:
        queryset = queryset.filter(stage_id__in=_ids(Stage.objects.filter(slug=filters.stage)))
    if filters.owner == "me":
        queryset = queryset.filter(owner=viewer)
    elif filters.owner == "none":
        queryset = queryset.filter(owner__isnull=True)
    elif filters.owner:
        users = get_user_model().objects.filter(username=filters.owner)
        queryset = queryset.filter(owner_id__in=_ids(users))
    if filters.q:
        queryset = queryset.filter(ticket_search_q(filters.q))
    return _with_details(queryset).order_by(*TICKET_ORDER)


TICKET_NUMBER = re.compile(r"#?\s*(\d{1,18})")


# Ticket ids whose subject or requester contains a text, as Django's ``icontains`` compares
# (``upper(x) LIKE upper(pattern)``; the side table, migration 0020, stores ``upper(x)``), read
# through its trigram indexes, plus the ticket a number names: one list, so that the ticket query
# semi-joins it instead of testing an OR on every ticket.
_SEARCH_SQL = (
    "SELECT ticket_id FROM tickets_ticket_search "
    "WHERE subject_upper LIKE upper(%s) OR requester_email_upper LIKE upper(%s)"
)
# The same test where the text has no run of three letters or digits ("63", "#7", "a-b"): the
# trigram index has nothing to look up then and would read all of itself (8 s at 1M), so the
# side table (narrower than the tickets) is scanned instead; ``strpos`` is a plain substring
# test that the index cannot serve.
_SEARCH_SCAN_SQL = (
    "SELECT ticket_id FROM tickets_ticket_search "
    "WHERE strpos(subject_upper, upper(%s)) > 0 OR strpos(requester_email_upper, upper(%s)) > 0"
)
_TRIGRAM = re.compile(r"[^\W_]{3}")


def ticket_search_q(text: str) -> Q:
    """Tickets whose subject or requester contains ``text`` (case-insensitive), or whose number
    it is ("63", "#63"), for the queue, the list API's ``q`` and the admin's search.

    On PostgreSQL the text is looked up in ``tickets_ticket_search`` by its trigram indexes (a
    side table kept by triggers, so that the SLA updates of tickets write no trigram entries):
    the cost follows what matches, not the table. Elsewhere the ticket columns are scanned."""
    text = text.strip()
    number = TICKET_NUMBER.fullmatch(text)
    if connection.vendor == "postgresql":
        params: list[str | int]
        if _TRIGRAM.search(text):
            pattern = f"%{connection.ops.prep_for_like_query(text)}%"
            sql, params = _SEARCH_SQL, [pattern, pattern]
        else:
            sql, params = _SEARCH_SCAN_SQL, [text, text]
        if number is not None:
            sql, params = f"{sql} UNION ALL SELECT %s", [*params, int(number.group(1))]
        return Q(pk__in=RawSQL(sql, params))
    found = Q(subject__icontains=text) | Q(requester_email__icontains=text)
    if number is not None:
        found |= Q(pk=int(number.group(1)))
    return found


def tickets_count(
    *, tickets: QuerySet[Ticket], filters: TicketFilters, now: datetime.datetime
) -> int:
    """How many tickets ``tickets`` (``tickets_list`` for ``filters`` at ``now``) holds.

    Due soon alone, or with "open" (a ticket with a running clock is open: closing completes
    its clocks), is counted from the clocks' index, without a lookup per ticket: the queue's
    "Due soon" view and the API's filter at 100k tickets count ~2,500 tickets in 0.3 ms
    instead of 3.3.
    """
    if (
        filters.sla_status == sla.DUE_SOON
        and dataclasses.replace(
            filters, sla_status="", stage="" if filters.stage == "open" else filters.stage
        )
        == TicketFilters()
    ):
        return _due_soon_ticket_ids(now, repeats=False).count()
    return tickets.count()


def _ids(queryset: QuerySet) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


# Nearest due moment first, tickets without one last; the id makes the order total, so that a
# page picked by its ids comes back in the same order.
TICKET_ORDER = (F("sla_due_at").asc(nulls_last=True), "-id")


def _with_details(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return queryset.select_related("team", "pipeline", "stage", "owner").prefetch_related(
        Prefetch("clocks", queryset=SlaClock.objects.order_by("kind", "cycle"))
    )


class TicketPaginator(Paginator):
    """Pages of ``tickets_list`` (``count``: its ``tickets_count``, when the caller has it).

    A page's ids are picked first, sorting only the sort keys of the matching tickets, and then
    just those rows are loaded with their joins: a filter that matches thousands of tickets (Due
    soon at 100k) costs one narrow sort, not thousands of joined rows. Same number of queries
    as the plain ``Paginator``."""

    def __init__(
        self,
        object_list: QuerySet[Ticket],
        per_page: int,
        *,
        count: int | None = None,
        loaded: tuple[int, list[Ticket]] | None = None,
    ) -> None:
        """``loaded``: a page number and its tickets, already read (``tickets_of_fingerprint``):
        that page is not read again."""
        super().__init__(object_list, per_page)
        self.tickets = object_list
        self.loaded = loaded
        if count is not None:
            self.count = count  # in place of the cached property

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        if self.loaded is not None and self.loaded[0] == number:
            return Page(self.loaded[1], number, self)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.tickets.values("pk")[bottom:top]
        rows = list(_with_details(Ticket.objects.filter(pk__in=ids)).order_by(*TICKET_ORDER))
        return Page(rows, number, self)


class _RowText(Func):
    """Its arguments as one JSON array, as text (NULL and "" stay apart): ``json_array`` on
    SQLite, ``json_build_array`` on PostgreSQL. The database writes it, so no moment or JSON
    column is parsed in Python."""

    function = "JSON_ARRAY"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            function="json_build_array",
            template="(%(function)s(%(expressions)s))::text",
            **extra,
        )


# Every column of the tickets a page shows and of their clocks, and the names it shows with
# them, for the fingerprint below (all of them: cheap, and nothing a template may read later is
# left out).
_TICKET_FIELDS = Ticket._meta.concrete_fields
_CLOCK_FIELDS = SlaClock._meta.concrete_fields
# (the ticket's field, the related model, its name column) of each relation whose name is shown.
_NAMED_RELATIONS: tuple[tuple[Any, Any, str], ...] = (
    (Ticket._meta.get_field("team"), Team, "name"),
    (Ticket._meta.get_field("pipeline"), Pipeline, "name"),
    (Ticket._meta.get_field("stage"), Stage, "name"),
    (Ticket._meta.get_field("owner"), get_user_model(), "username"),
)
_FINGERPRINT_COLUMNS = (
    *(field.attname for field in _TICKET_FIELDS),
    *(f"{field.name}__{name_column}" for field, _model, name_column in _NAMED_RELATIONS),
    *(f"clocks__{field.attname}" for field in _CLOCK_FIELDS),
)


def tickets_page_fingerprint(tickets: QuerySet[Ticket], *, number: int, per_page: int) -> list[str]:
    """What page ``number`` of ``tickets`` (``tickets_list``) shows, in one query, as one line
    of text per ticket and clock (a JSON array), in the page's order: every column of each
    ticket on the page and of its clocks, the names of its team, pipeline, stage and owner, and
    the settings' version and stamp (touched by every settings, team and pipeline save). Equal
    fingerprints mean equal rows, apart from what time alone changes (the queue's poll answers
    204 then); ``tickets_of_fingerprint`` reads the page's tickets from it.

    The query around the page's ids is compiled once (``_fingerprint_sql``); each call compiles
    only the ids' own query (``tickets``' filters, order and page) into it: the ORM's resolving
    of the forty columns was most of the poll's CPU."""
    bottom = (number - 1) * per_page
    try:
        ids_sql, ids_params = tickets.values("pk")[
            bottom : bottom + per_page
        ].query.sql_with_params()
    except EmptyResultSet:  # a filter no ticket can match (a team that is not there)
        return []
    before, before_params, after, after_params = _fingerprint_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(before + ids_sql + after, [*before_params, *ids_params, *after_params])
        return [line for (line,) in cursor.fetchall()]


_PAGE_IDS = "__page_ids__"


@functools.cache
def _fingerprint_sql(vendor: str) -> tuple[str, tuple, str, tuple]:
    """The fingerprint's query, split where the page's ids go: the SQL and parameters before
    them and after them."""
    settings_row = SlaSettings.objects.filter(pk=1)
    line = _RowText(
        *(F(name) for name in _FINGERPRINT_COLUMNS),
        Subquery(settings_row.values("version")[:1]),
        Subquery(settings_row.values("updated_at")[:1]),
    )
    query = (
        Ticket.objects.filter(pk__in=RawSQL(_PAGE_IDS, ()))
        .annotate(line=line)
        .order_by(*TICKET_ORDER, "clocks__kind", "clocks__cycle", "clocks__id")
        .values_list("line", flat=True)
    )
    sql, params = query.query.sql_with_params()
    before, found, after = sql.partition(_PAGE_IDS)
    assert found and _PAGE_IDS not in after, sql
    count = before.count("%s")
    return before, tuple(params[:count]), after, tuple(params[count:])


@dataclass(frozen=True)
class FingerprintTickets:
    """The tickets of a page as its fingerprint read them (``tickets_of_fingerprint``)."""

    tickets: list[Ticket]  # in the page's order, with their team, pipeline, stage and owner
    clocks: dict[int, list[SlaClock]]  # by ticket id, as ``_with_details`` orders them


# Fields whose JSON value (a number, a text, null) is the value the ORM reads.
_AS_IS_FIELDS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "CharField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}


class _Unreadable(ValueError):
    """A value the fingerprint wrote that ``tickets_of_fingerprint`` does not read."""


@functools.cache
def _value_readers(vendor: str, zone: Any) -> tuple[tuple[Callable | None, ...], ...]:
    """For each ticket field and each clock field, what turns its JSON value into the ORM's
    value (None: the value as it is), on ``vendor`` with the connection's ``zone``."""
    from_iso = datetime.datetime.fromisoformat

    def moment(text: str | None) -> datetime.datetime | None:
        if text is None:
            return None
        try:
            value = from_iso(text)
        except ValueError as error:  # "infinity", a year BC: as the ORM would not read either
            raise _Unreadable(text) from error
        # PostgreSQL writes the session's zone (UTC, Django sets it); SQLite stores UTC, naive.
        return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)

    def reader(field: Any) -> Callable | None:
        kind = field.get_internal_type()
        if kind == "DateTimeField":
            return moment
        if kind == "JSONField":  # PostgreSQL nests it as JSON; SQLite writes the stored text
            return None if vendor == "postgresql" else _json_text
        if kind == "BooleanField":  # SQLite writes 0 and 1
            return None if vendor == "postgresql" else _boolean
        if kind in _AS_IS_FIELDS:
            return None
        raise TypeError(f"tickets_of_fingerprint does not read a {kind} ({field})")

    return tuple(reader(field) for field in _TICKET_FIELDS), tuple(
        reader(field) for field in _CLOCK_FIELDS
    )


def _json_text(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _boolean(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _read(values: list, readers: tuple[Callable | None, ...]) -> list:
    return [
        value if read is None or value is None else read(value)
        for value, read in zip(values, readers, strict=True)
    ]


def _row_reader(model: Any, alias: str) -> Callable[[list[str], list], Any]:
    """``model.from_db`` for rows of every concrete column. Without a ``pre_init`` or
    ``post_init`` receiver for ``model`` the instance's attributes are set at once, as unpickling
    a model sets them, instead of one by one by ``Model.__init__`` (which was most of the CPU of
    reading a page's 75 tickets and clocks)."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return lambda names, values: model.from_db(alias, names, values)

    def read(names: list[str], values: list) -> Any:
        instance = model.__new__(model)
        instance.__dict__.update(zip(names, values, strict=True))
        state = instance._state = ModelState()
        state.adding = False
        state.db = alias
        return instance

    return read


def tickets_of_fingerprint(lines: list[str]) -> FingerprintTickets | None:
    """The tickets and clocks of a page from the lines of its fingerprint
    (``tickets_page_fingerprint``), which hold every column of each ticket and clock and the
    names of its team, pipeline, stage and owner: the same values the ORM would read for
    ``TicketPaginator``'s page (``tests/tickets/test_fingerprint_rows.py`` compares them), without
    reading them again. The related objects hold their name alone. None when a value cannot be
    read so (the caller reads the page through the ORM then)."""
    ticket_readers, clock_readers = _value_readers(connection.vendor, connection.timezone)
    ticket_names = [field.attname for field in _TICKET_FIELDS]
    clock_names = [field.attname for field in _CLOCK_FIELDS]
    ticket_count, clock_count = len(ticket_names), len(clock_names)
    names_end = ticket_count + len(_NAMED_RELATIONS)
    alias = connection.alias
    ticket_of_row, clock_of_row = _row_reader(Ticket, alias), _row_reader(SlaClock, alias)
    related: dict[tuple, Any] = {}  # one object per (model, id, name) on the page
    tickets: list[Ticket] = []
    clocks: dict[int, list[SlaClock]] = {}
    ticket: Ticket | None = None
    try:
        for line in lines:
            values = json.loads(line)
            if ticket is None or ticket.pk != values[0]:
                ticket = ticket_of_row(ticket_names, _read(values[:ticket_count], ticket_readers))
                for (field, model, name_column), name in zip(
                    _NAMED_RELATIONS, values[ticket_count:names_end], strict=True
                ):
                    key = getattr(ticket, field.attname)
                    if key is None:
                        field.set_cached_value(ticket, None)
                        continue
                    found = related.get((model, key, name))
                    if found is None:
                        found = related[(model, key, name)] = model.from_db(
                            alias, ["id", name_column], [key, name]
                        )
                    field.set_cached_value(ticket, found)
                tickets.append(ticket)
                clocks[ticket.pk] = []
            clock_values = values[names_end : names_end + clock_count]
            if clock_values[0] is not None:  # (a ticket without clocks: one line, no clock)
                clock = clock_of_row(clock_names, _read(clock_values, clock_readers))
                _CLOCK_TICKET.set_cached_value(clock, ticket)
                clocks[ticket.pk].append(clock)
    except _Unreadable:
        return None
    return FingerprintTickets(tickets=tickets, clocks=clocks)


_CLOCK_TICKET = SlaClock._meta.get_field("ticket")


# A stand-in for the ticket's id in queries compiled once (``_CompiledModels``).
_TICKET_ID = -7_345_678_901_236


class _CompiledModels:
    """A query of model instances (with ``select_related``) built and compiled by the ORM once per
    database connection, then run with the real values in place of its stand-ins and its rows
    made into instances as Django's ``ModelIterable`` makes them (converters, related objects).
    The ORM's building and compiling of the ticket page's small queries cost more CPU than
    running them."""

    def __init__(self, build: Callable[[], QuerySet]) -> None:
        self.build = build
        self.local = threading.local()  # compilers hold their thread's connection

    def fetch(self, values: dict[Any, Any]) -> list[Any]:
        wrapper = connections[DEFAULT_DB_ALIAS]
        found = getattr(self.local, "compiled", None)
        if found is None or found[0] is not wrapper:
            compiler = self.build().query.get_compiler(connection=wrapper)
            sql, params = compiler.as_sql()
            found = self.local.compiled = (wrapper, compiler, sql, tuple(params))
        _wrapper, compiler, sql, params = found
        with wrapper.cursor() as cursor:
            cursor.execute(sql, tuple(values.get(value, value) for value in params))
            rows = cursor.fetchall()
        select, klass_info = compiler.select, compiler.klass_info
        model, fields = klass_info["model"], klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        # (Django 5.2's signature; the stubs describe a later one.)
        populators = get_related_populators(klass_info, select, wrapper.alias)  # type: ignore[call-arg]
        objects = []
        for row in compiler.results_iter([rows]):
            instance = model.from_db(wrapper.alias, names, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            objects.append(instance)
        return objects


_TICKET_WITH_NAMES = _CompiledModels(
    lambda: Ticket.objects.select_related("team", "pipeline", "stage", "owner").filter(
        pk=_TICKET_ID
    )
)
_TICKET_CLOCKS = _CompiledModels(
    lambda: SlaClock.objects.filter(ticket_id=_TICKET_ID).order_by("kind", "cycle")
)


def storable_ticket_id(ticket_id: int) -> bool:
    """Whether ``ticket_id`` fits the tickets' id column. The ORM's lookups find no rows for an
    id that does not; queries compiled once (``_CompiledModels``, the ticket page's poll) pass
    their values as they are, which the database refuses (an address like /tickets/<30 digits>/).
    """
    low, high = connection.ops.integer_field_range(Ticket._meta.pk.get_internal_type())
    return (low is None or low <= ticket_id) and (high is None or ticket_id <= high)


def ticket_get(*, ticket_id: int) -> Ticket | None:
    """The ticket with its team, pipeline, stage and owner and its clocks (``ticket.clocks.all()``
    in kind and cycle order, as ``prefetch_related`` gives them), or None: two queries, each
    compiled once (``_CompiledModels``)."""
    if not storable_ticket_id(ticket_id):
        return None
    found = _TICKET_WITH_NAMES.fetch({_TICKET_ID: ticket_id})
    if not found:
        return None
    ticket = found[0]
    clocks = _TICKET_CLOCKS.fetch({_TICKET_ID: ticket_id})
    field = SlaClock._meta.get_field("ticket")
    for clock in clocks:
        field.set_cached_value(clock, ticket)
    # As prefetch_related leaves them.
    shown = ticket.clocks.all()
    shown._result_cache = clocks
    shown._prefetch_done = True
    ticket._prefetched_objects_cache = {"clocks": shown}
    return ticket


def ticket_events(*, ticket_id: int) -> list[SlaEvent]:
    return list(SlaEvent.objects.filter(ticket_id=ticket_id).order_by("at", "id"))


@dataclass(frozen=True)
class TimelineEvent:
    """An SLA event as the ticket's timeline shows it.

    ``clock_key`` tells the clocks apart: the clock's id, or for a clock that was removed (its
    events lose their clock when it is deleted, and a clock given back later reuses its kind and
    cycle) the kind, cycle and how many clocks of that kind and cycle were removed before it.
    ``removed_by`` is the ``removed`` event of that clock (None while the clock exists, and for a
    clock deleted outside the services, which records none).
    """

    event: SlaEvent
    at: datetime.datetime
    clock_key: tuple
    is_removed_clock: bool
    removed_by: SlaEvent | None


def _shown_at(event: SlaEvent) -> datetime.datetime:
    """Where an event sits in time: its ``at``; a clock's start for an ``applied`` event that was
    stamped when a change applied it (before issue 16 the services stamped it so)."""
    if event.kind == SlaEvent.Kind.APPLIED and (event.detail or {}).get("started_at"):
        started = datetime.datetime.fromisoformat(event.detail["started_at"].replace("Z", "+00:00"))
        return min(started, event.at)
    return event.at


def ticket_timeline(*, ticket_id: int) -> list[TimelineEvent]:
    """The ticket's SLA events in time order, each tied to the clock it belongs to.

    Events are appended in the order they happen to each clock (ids), and a clock's ``removed``
    event is its last: so the events with no clock are split into removed clocks at each
    ``removed`` event of their kind and cycle.
    """
    events = list(SlaEvent.objects.filter(ticket_id=ticket_id).order_by("id"))
    generation: dict[tuple[str, int], int] = {}
    keys: dict[int, tuple] = {}
    removed_by: dict[tuple, SlaEvent] = {}
    for event in events:
        if event.clock_id is not None:
            keys[event.pk] = ("clock", event.clock_id)
            continue
        kind_cycle = (event.clock_kind, event.cycle)
        key = ("removed", *kind_cycle, generation.get(kind_cycle, 0))
        keys[event.pk] = key
        if event.kind == SlaEvent.Kind.REMOVED:
            removed_by[key] = event
            generation[kind_cycle] = generation.get(kind_cycle, 0) + 1
    timeline = [
        TimelineEvent(
            event=event,
            at=_shown_at(event),
            clock_key=keys[event.pk],
            is_removed_clock=keys[event.pk][0] == "removed",
            removed_by=removed_by.get(keys[event.pk]),
        )
        for event in events
    ]
    timeline.sort(key=lambda item: (item.at, item.event.pk))
    return timeline


def current_clocks(clocks: Iterable[SlaClock]) -> dict[str, SlaClock | None]:
    """The clock of each kind a ticket shows: the only one, or the latest next-response cycle."""
    shown: dict[str, SlaClock | None] = {
        sla.FIRST_RESPONSE: None,
        sla.NEXT_RESPONSE: None,
        sla.CLOSE: None,
    }
    for clock in clocks:
        current = shown.get(clock.kind)
        if current is None or clock.cycle > current.cycle:
            shown[clock.kind] = clock
    return shown


def live_status(clock: SlaClock, *, now: datetime.datetime) -> str:
    return sla.clock_status(
        due_at=clock.due_at,
        due_soon_at=clock.due_soon_at,
        completed_at=clock.completed_at,
        paused_at=clock.paused_at,
        now=now,
    )


class ClockJson(TypedDict):
    """A CLOCK of SPEC section 7."""

    status: str
    started_at: str | None
    due_at: str | None
    due_soon_at: str | None
    completed_at: str | None
    completed_by: str | None  # "reply" | "close"
    paused: bool
    cycle: int
    goal_minutes: int


class TicketJson(TypedDict):
    """A TICKET of SPEC section 7."""

    id: int
    subject: str
    requester_email: str
    priority: str | None
    team: str | None  # slug
    source: str
    pipeline: str  # slug
    owner: str | None  # username
    status: str  # the stage's slug
    created_at: str | None
    closed_at: str | None
    sla: dict[str, ClockJson | None]  # by clock kind


class MessageJson(TypedDict):
    """A MESSAGE of SPEC section 7."""

    id: int
    author: str  # "customer" | "agent" | "system"
    internal: bool
    body: str
    created_at: str | None
    sender_email: str | None
    delivery: DeliveryJson | None


def clock_json(clock: SlaClock | None, *, now: datetime.datetime) -> ClockJson | None:
    if clock is None:
        return None
    return {
        "status": live_status(clock, now=now),
        "started_at": iso(clock.started_at),
        "due_at": iso(clock.due_at),
        "due_soon_at": iso(clock.due_soon_at),
        "completed_at": iso(clock.completed_at),
        "completed_by": clock.completed_by or None,
        "paused": clock.paused_at is not None and clock.completed_at is None,
        "cycle": clock.cycle,
        "goal_minutes": clock.goal_minutes,
    }


def ticket_json(ticket: Ticket, *, now: datetime.datetime) -> TicketJson:
    """The ticket as the API shows it (SPEC section 7). Needs ``clocks`` prefetched."""
    clocks = current_clocks(ticket.clocks.all())
    return {
        "id": ticket.pk,
        "subject": ticket.subject,
        "requester_email": ticket.requester_email,
        "priority": ticket.priority or None,
        "team": ticket.team.slug if ticket.team else None,
        "source": ticket.source,
        "pipeline": ticket.pipeline.slug,
        "owner": ticket.owner.get_username() if ticket.owner else None,
        "status": ticket.stage.slug,
        "created_at": iso(ticket.created_at),
        "closed_at": iso(ticket.closed_at),
        "sla": {kind: clock_json(clock, now=now) for kind, clock in clocks.items()},
    }


def ticket_messages(*, ticket_id: int) -> QuerySet[Message]:
    """The ticket's messages, oldest first (the API's list; page it)."""
    return Message.objects.filter(ticket_id=ticket_id).order_by("created_at", "id")


def message_json(
    message: Message, *, requester_email: str, delivery: Delivery | None
) -> MessageJson:
    """A message as the API shows it (SPEC section 7). ``delivery``: its email's, or None.
    Customer messages carry who sent them (the requester unless someone else wrote); public agent
    replies carry their email's delivery."""
    is_customer = message.author_kind == Message.Author.CUSTOMER
    is_emailed = message.author_kind == Message.Author.AGENT and not message.is_internal
    return {
        "id": message.pk,
        "author": message.author_kind,
        "internal": message.is_internal,
        "body": message.body,
        "created_at": iso(message.created_at),
        "sender_email": (message.sender_email or requester_email) if is_customer else None,
        "delivery": delivery.as_json() if is_emailed and delivery is not None else None,
    }


def ticket_changes(*, ticket_id: int, after: int = 0) -> list[TicketChange]:
    """The ticket's history rows (with their actors), oldest first; ``after``: only the rows
    recorded after the row with that id (the version a page was loaded from)."""
    return list(
        TicketChange.objects.filter(ticket_id=ticket_id, id__gt=after)
        .select_related("actor")
        .order_by("id")
    )


def ticket_version(*, ticket_id: int) -> int:
    """The ticket's version for the collision check: the id of its latest history row (0: none)."""
    latest = (
        TicketChange.objects.filter(ticket_id=ticket_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return latest or 0


def agent_zone(user: Any) -> zoneinfo.ZoneInfo:
    """The agent's display zone, else the SLA schedule's (as ``viewer_zone`` with the schedule's
    zone as default), in one query: every agent request asks it (the middleware)."""
    return agent_zone_and_language(user)[0]


@functools.cache
def _zone_and_language_sql() -> str:
    """The agent's zone, the schedule's and the agent's language, written once (the ORM's
    building of this small query cost more CPU than running it, on every agent request)."""
    profile: Any = AgentProfile._meta
    settings_meta: Any = SlaSettings._meta

    def quote(name: Any) -> str:
        return str(connection.ops.quote_name(name))

    column = {
        name: quote(profile.get_field(name).column) for name in ("user", "timezone", "language")
    }
    return (
        f"SELECT p.{column['timezone']}, s.{quote(settings_meta.get_field('timezone').column)},"
        f" p.{column['language']} FROM {quote(settings_meta.db_table)} s"
        f" LEFT JOIN {quote(profile.db_table)} p ON p.{column['user']} = %s"
        f" WHERE s.{quote(settings_meta.pk.column)} = 1"
    )


def agent_zone_and_language(user: Any) -> tuple[zoneinfo.ZoneInfo, str]:
    """``agent_zone`` and the agent's language code ("" when they chose none: the browser's
    then), still in one query."""
    with connection.cursor() as cursor:
        cursor.execute(_zone_and_language_sql(), [user.pk])
        found = cursor.fetchone()
    if found is None:  # no settings row yet
        return viewer_preferences(user, default=lambda: default_zone_named(None))
    name, schedule_zone, language = found
    if name:
        try:
            return load_zone(name), language or ""  # the one rule of accepted zones
        except ValueError:
            pass
    return default_zone_named(schedule_zone), language or ""


def viewer_zone(
    user: Any, *, default: zoneinfo.ZoneInfo | Callable[[], zoneinfo.ZoneInfo]
) -> zoneinfo.ZoneInfo:
    """The agent's display zone, or ``default`` (the SLA schedule's; a callable is asked only
    then) when unset or unknown."""
    name = AgentProfile.objects.filter(user=user).values_list("timezone", flat=True).first()
    return _zone_or_default(name, default)


def viewer_preferences(
    user: Any, *, default: zoneinfo.ZoneInfo | Callable[[], zoneinfo.ZoneInfo]
) -> tuple[zoneinfo.ZoneInfo, str]:
    """The agent's display zone (as ``viewer_zone``) and language code ("" when they chose
    none: the browser's then), in one query."""
    row = AgentProfile.objects.filter(user=user).values_list("timezone", "language").first()
    name, language = row if row is not None else ("", "")
    return _zone_or_default(name, default), language


def _zone_or_default(
    name: str | None, default: zoneinfo.ZoneInfo | Callable[[], zoneinfo.ZoneInfo]
) -> zoneinfo.ZoneInfo:
    if name:
        try:
            return load_zone(name)  # the one rule of accepted zones
        except ValueError:
            pass
    return default() if callable(default) else default
