"""Agents' pages (the queue, a ticket, the agent's profile) and the public request form.

Views parse input with ``tickets.forms``, read through ``tickets.selectors`` and write through
``tickets.services``; every POST redirects on success (PRG) and answers bad input with a message,
never an error page. Pages render in the viewer's time zone (``AgentProfile.timezone``, else the
SLA schedule's), which ``tickets.middleware.ViewerTimeZoneMiddleware`` activates for the request,
so every ``date`` filter and ``local_moment`` uses it.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Page
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import engines
from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from markupsafe import Markup

from settings_app.models import Source, Stage
from settings_app.selectors import SlaConfig, sla_config_get
from slaproject.api import is_agent
from slaproject.jinja2 import gettext_once, url
from slaproject.rate_limits import rate_limited
from tickets import sla
from tickets.display import (
    ClockView,
    change_actor,
    changes_text,
    clock_idle_note,
    clock_texts,
    clock_view,
    display_changes_at,
    event_icon,
    event_label,
    event_note,
    event_tone,
    moment_formatter,
    moment_texts,
    most_urgent_clock,
)
from tickets.form_html import hidden_html, select_html
from tickets.forms import (
    BADGES_NEXT,
    PAGE_SIZES,
    QUEUE_DEFAULTS,
    AgentProfileForm,
    QueueFilterForm,
    ReplyForm,
    RequestForm,
    TicketPropertiesForm,
)
from tickets.inbound.selectors import message_mail_prefetches
from tickets.live_state import (
    ACKNOWLEDGEMENTS,
    ATTACHMENTS,
    CHANGES,
    EVENTS,
    INBOUND_EMAILS,
    MESSAGE_EMAILS,
    VIEWERS,
    TicketFingerprint,
    ticket_live_fingerprint,
)
from tickets.models import (
    AgentProfile,
    Message,
    SlaClock,
    SlaEvent,
    Ticket,
    TicketChange,
    TicketPresence,
)
from tickets.outbound.selectors import (
    Delivery,
    message_deliveries,
    ticket_acknowledgement_delivery,
)
from tickets.presence import ticket_presence_leave, ticket_presence_others
from tickets.selectors import (
    TicketPaginator,
    TimelineEvent,
    current_clocks,
    ticket_changes,
    ticket_form_choices,
    ticket_get,
    ticket_timeline,
    ticket_version,
    tickets_count,
    tickets_list,
    tickets_of_fingerprint,
    tickets_page_fingerprint,
)
from tickets.services import (
    TicketInputError,
    ticket_close,
    ticket_create,
    ticket_property_values,
    ticket_reopen,
    ticket_reply_and_move,
    ticket_update_checked,
)

REFRESH_SECONDS = 60  # the queue's badges re-render this often (htmx polling)
# The queue's saved views: label, icon, and the filters they set (the rest at their defaults).
SAVED_VIEWS: tuple[tuple[str | Promise, str, dict[str, str]], ...] = (
    (gettext_lazy("My tickets"), "bi-person", {"owner": "me"}),
    (gettext_lazy("Unassigned"), "bi-inbox", {"owner": "none"}),
    (pgettext_lazy("clock status", "Due soon"), "bi-hourglass-split", {"sla_status": "due_soon"}),
    (
        pgettext_lazy("clock status", "Overdue"),
        "bi-exclamation-triangle",
        {"sla_status": "overdue"},
    ),
)
PROPERTY_LABELS: dict[str, Promise] = {
    "owner": gettext_lazy("owner"),
    "priority": gettext_lazy("priority"),
    "team": gettext_lazy("team"),
    "source": gettext_lazy("source"),
    "pipeline": gettext_lazy("pipeline"),
    "stage": gettext_lazy("stage"),
}


# --- Shared plumbing ---------------------------------------------------------------------------


def _require_agent(request: HttpRequest) -> User:
    """The signed-in agent making the request; PermissionDenied for anyone else."""
    user = request.user
    if not user.is_authenticated or not is_agent(user):
        raise PermissionDenied
    return user


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """Render in the active zone: the viewer's (``tickets.middleware.ViewerTimeZoneMiddleware``)."""
    return render(request, template, {"nav": "queue", **context}, status=status)


# --- The queue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    clocks: list[ClockView]
    owner_label: str
    next_clock: ClockView | None = None  # the "Next breach" badge's clock (None: none runs)


@dataclass(frozen=True)
class SavedView:
    label: str
    icon: str
    url: str
    is_active: bool


def _queue_form(request: HttpRequest) -> QueueFilterForm:
    return QueueFilterForm.from_data(request.GET.dict())


def _rows_form(request: HttpRequest) -> QueueFilterForm:
    """The filters of the rows' poll. Values whose meaning does not depend on the tables (no
    team, a stage of "open", "closed" or "any", an owner of "me" or "none": the default view and
    the saved views) are read without the three queries that list the teams, stages and agents;
    others are checked against those lists, as the page does."""
    params = request.GET
    if (
        params.get("team", "") == ""
        and params.get("owner", "") in ("", "me", "none")
        and params.get("stage", "open") in ("", "open", "closed", "any")
    ):
        return QueueFilterForm(params.dict(), teams=(), agents=(), stages=())
    return _queue_form(request)


def _queue_page(
    request: HttpRequest,
    form: QueueFilterForm,
    *,
    config: SlaConfig,
    now: datetime.datetime,
) -> tuple[Page, list[QueueRow], str]:
    """The requested page of tickets, with each clock's display, in a fixed number of queries,
    and the state its poll sends back (``QUEUE_STATE_HEADER``; empty: none to send)."""
    filters = form.filters()
    tickets = tickets_list(filters=filters, viewer=request.user, now=now)
    number = _requested_page(request)
    fingerprint = _queue_fingerprint(request, tickets, number=number, form=form)
    # The fingerprint's query read every column of the page's tickets and clocks: its rows are
    # the page (when the number asked for is the page shown), so they and its state agree.
    read = tickets_of_fingerprint(fingerprint.rows) if number else None
    count = tickets_count(tickets=tickets, filters=filters, now=now)
    paginator = TicketPaginator(
        tickets,
        form.value_of("per_page"),
        count=count,
        loaded=None if read is None else (number, read.tickets),
    )
    page = paginator.get_page(request.GET.get("page"))
    rows = []
    for ticket in page.object_list:
        if read is not None and page.number == number:
            ticket_clocks = read.clocks[ticket.pk]
        else:  # read by the paginator, clocks prefetched
            ticket_clocks = list(ticket.clocks.all())
        clocks = clock_views(ticket, clocks=ticket_clocks, config=config, now=now)
        if ticket.owner_id is None:
            owner = ""
        elif ticket.owner_id == request.user.pk:
            owner = pgettext("owner of a ticket", "you")
        else:
            owner = ticket.owner.get_username()
        rows.append(
            QueueRow(
                ticket=ticket,
                clocks=clocks,
                owner_label=owner,
                next_clock=most_urgent_clock(clocks),
            )
        )
    state = ""
    if page.number == number:  # (another page is shown for a number out of range: no state)
        changes_at = display_changes_at(
            (
                (view.clock.due_at, view.clock.due_soon_at)
                for row in rows
                for view in row.clocks
                if view.clock is not None and view.is_running and not view.is_paused
            ),
            now=now,
        )
        state = f"{int(changes_at.timestamp() * 1000)}-{fingerprint.digest}"
    return page, rows, state


# The queue's poll sends back the state its rows were rendered in (static/js/queue.js), and gets
# the new one in this header.
QUEUE_STATE_HEADER = "X-Queue-State"


@dataclass(frozen=True)
class QueueFingerprint:
    rows: list[str]
    digest: str


def _requested_page(request: HttpRequest) -> int:
    """The page number asked for, as ``Paginator.get_page`` reads it when it is in range; 0 for
    one it would replace by the last page (below 1, or absurdly large)."""
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    return number if 1 <= number <= 10**7 else 0


def _queue_fingerprint(
    request: HttpRequest, tickets: Any, *, number: int, form: QueueFilterForm
) -> QueueFingerprint:
    """What the rows of page ``number`` show apart from the time, in one query
    (``tickets_page_fingerprint``), with who looks at them in which zone and language."""
    per_page = form.value_of("per_page")
    rows = tickets_page_fingerprint(tickets, number=number, per_page=per_page) if number else []
    key = repr(
        (
            rows,
            form.shows_next_breach,
            request.user.pk,
            timezone.get_current_timezone_name(),
            translation.get_language(),
        )
    )
    return QueueFingerprint(rows=rows, digest=hashlib.sha256(key.encode()).hexdigest()[:32])


def _queue_unchanged(request: HttpRequest, form: QueueFilterForm, *, now: datetime.datetime) -> str:
    """The poll's state when its rows would read exactly as the page it sent it from ("" when
    they might not): it is still before the earliest moment at which time alone changes them,
    and the same rows, tickets, clocks, names and settings are there."""
    sent = request.GET.get("state", "")
    changes_ms, _dash, digest = sent.partition("-")
    if not changes_ms.isdigit() or len(changes_ms) > 15 or not digest:
        return ""
    number = _requested_page(request)
    if now.timestamp() * 1000 >= int(changes_ms) or not number:
        return ""
    tickets = tickets_list(filters=form.filters(), viewer=request.user, now=now)
    fingerprint = _queue_fingerprint(request, tickets, number=number, form=form)
    return sent if fingerprint.digest == digest else ""


def _queue_rows_html(rows: list[QueueRow], *, now: datetime.datetime, next_breach: bool) -> str:
    """The queue's table rows (a Jinja2 fragment, ``templates/jinja2/tickets/queue_rows.html``):
    the page includes them, the poll answers them."""
    template = engines["jinja2"].get_template("tickets/queue_rows.html")
    context = {
        "rows": rows,
        "next_breach": next_breach,
        "moment": moment_texts(now),
        "_": gettext_once(),
        "detail_url": reverse("tickets:detail", args=[0]).replace("/0/", "/{}/"),
        "priorities": {k: str(v) for k, v in Ticket._meta.get_field("priority").flatchoices},
        "sources": {k: str(v) for k, v in Ticket._meta.get_field("source").flatchoices},
    }
    return mark_safe(template.render(context))  # noqa: S308 (autoescaped)


# The filter bar's HTML by what it shows (see ``_queue_filters_html``); at most this many kept.
_FILTERS_HTML: dict[tuple, str] = {}
_FILTERS_HTML_MAX = 512


def _queue_filters_html(form: QueueFilterForm, *, next_breach: bool, is_filtered: bool) -> str:
    """The queue's filter bar (``templates/tickets/_queue_filters.html``). Its six widgets were
    a quarter of the page shell's CPU (Django's form templates), and it reads only the language,
    the values sent and the lists of teams, agents and stages: rendered once for each of those
    and kept in the process (a list that changes changes the key)."""
    key = (
        translation.get_language(),
        next_breach,
        is_filtered,
        tuple(sorted(form.data.items())),
        *(
            tuple((value, str(label)) for value, label in form.fields[name].choices)  # type: ignore[attr-defined]
            for name in ("team", "owner", "stage")
        ),
    )
    found = _FILTERS_HTML.get(key)
    if found is None:
        context = {"form": form, "next_breach": next_breach, "is_filtered": is_filtered}
        found = render_to_string("tickets/_queue_filters.html", context)
        if len(_FILTERS_HTML) >= _FILTERS_HTML_MAX:
            _FILTERS_HTML.clear()
        _FILTERS_HTML[key] = found
    return mark_safe(found)  # noqa: S308 (a Django template's output)


def _saved_views(form: QueueFilterForm) -> list[SavedView]:
    current = form.current()
    per_page = form.value_of("per_page")
    result = []
    for label, icon, preset in SAVED_VIEWS:
        params = dict(preset)
        if per_page != PAGE_SIZES[0]:
            params["per_page"] = str(per_page)
        if form.shows_next_breach:
            params["badges"] = BADGES_NEXT
        url = reverse("tickets:queue") + "?" + urlencode(params)
        result.append(SavedView(str(label), icon, url, current == {**QUEUE_DEFAULTS, **preset}))
    return result


def _badges_urls(request: HttpRequest) -> dict[str, str]:
    """The queue as it is (filters, page size; from its first page) with three badges a row,
    and with the Next breach view."""
    params = request.GET.copy()
    for name in ("badges", "page"):
        params.pop(name, None)
    three = params.urlencode()
    params["badges"] = BADGES_NEXT
    base = reverse("tickets:queue")
    return {"three": f"{base}?{three}" if three else base, "next": f"{base}?{params.urlencode()}"}


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The agents' queue: filters, saved views, nearest due first, paginated."""
    _require_agent(request)
    now = timezone.now()
    config = sla_config_get()
    form = _queue_form(request)
    page, rows, state = _queue_page(request, form, config=config, now=now)
    is_filtered = form.current() != QUEUE_DEFAULTS
    context = {
        "rows_state": state,
        "form": form,
        "page_obj": page,
        "rows_html": _queue_rows_html(rows, now=now, next_breach=form.shows_next_breach),
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "saved_views": _saved_views(form),
        "per_page": form.value_of("per_page"),
        "is_filtered": is_filtered,
        "filters_html": _queue_filters_html(
            form, next_breach=form.shows_next_breach, is_filtered=is_filtered
        ),
        "next_breach": form.shows_next_breach,
        "badges_urls": _badges_urls(request),
        "refresh_seconds": REFRESH_SECONDS,
        "count_text": _queue_count_text(page),
        "zone_text": _zone_text(),
        "nav": "queue",
    }
    # Jinja2 (templates/jinja2/tickets/queue.html): the page's shell in Django's template
    # language cost more CPU than its 25 rows.
    return render(request, "tickets/queue.html", context, using="jinja2")


def _queue_count_text(page: Page) -> str:
    """The queue's footer: "26–50 of 1,234 tickets" (as the page's ``{% blocktranslate %}`` said
    it)."""
    count = page.paginator.count
    text = ngettext(
        "%(start)s–%(end)s of %(counter)s ticket", "%(start)s–%(end)s of %(counter)s tickets", count
    )
    values = {"start": page.start_index(), "end": page.end_index(), "counter": count}
    return mark_safe(text % {name: localize(value) for name, value in values.items()})  # noqa: S308 (numbers)


def _zone_text() -> str:
    """The queue's footer: "times in Europe/Stockholm", in the active zone."""
    zone = getattr(timezone.get_current_timezone(), "key", "")
    return mark_safe(_("times in %(zone)s") % {"zone": conditional_escape(zone)})  # noqa: S308 (escaped)


@require_GET
def queue_rows(request: HttpRequest) -> HttpResponse:
    """The queue's table rows alone, for the htmx refresh of the badges (same parameters).

    With the ``state`` the page (or the last poll) sent, the poll answers 204 No Content, at the
    cost of one query, when the rows would read exactly the same (``_queue_unchanged``).

    When the session has ended, an htmx poll gets ``HX-Redirect`` to the sign-in page (so the
    sign-in form is never swapped into the table); a plain request is redirected as usual.
    """
    if not request.user.is_authenticated:
        queue_url = reverse("tickets:queue") + "?" + request.GET.urlencode()
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(
                reverse("login") + "?" + urlencode({"next": queue_url})
            )
        return redirect_to_login(request.get_full_path())
    _require_agent(request)
    now = timezone.now()
    form = _rows_form(request)
    unchanged = _queue_unchanged(request, form, now=now)
    if unchanged:  # nothing to swap: htmx leaves the rows as they are
        return HttpResponse(status=204, headers={QUEUE_STATE_HEADER: unchanged})
    _page, rows, state = _queue_page(request, form, config=sla_config_get(), now=now)
    rows_html = _queue_rows_html(rows, now=now, next_breach=form.shows_next_breach)
    return HttpResponse(rows_html, headers={QUEUE_STATE_HEADER: state})


# --- A ticket ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the ticket's history: an SLA event, or what someone changed at one moment."""

    at: datetime.datetime
    label: str
    icon: str
    tone: str
    note: str = ""
    who: str = ""  # for changes: who made them
    is_muted: bool = False  # an event of a clock that was removed since
    order: tuple = ()  # ties at one moment: changes before the clock events they caused


def _ticket_or_404(ticket_id: int) -> Ticket:
    ticket = ticket_get(ticket_id=ticket_id)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def _all_stages() -> list[Stage]:
    return list(
        Stage.objects.select_related("pipeline").order_by(
            "pipeline__position", "pipeline_id", "position", "id"
        )
    )


CHANGE_ICONS: dict[str, str] = {
    TicketChange.State.CLOSED: "bi-archive",
    TicketChange.State.REOPENED: "bi-arrow-counterclockwise",
    TicketChange.Field.OWNER: "bi-person",
}


def _timeline(
    items: Iterable[TimelineEvent], changes: Iterable[TicketChange]
) -> list[TimelineEntry]:
    """SLA events and history rows in one list, in time order; the fields one person changed
    at one moment make one line."""
    entries = [
        TimelineEntry(
            at=item.at,
            label=event_label(item.event),
            icon=event_icon(item.event.kind),
            tone=event_tone(item.event.kind),
            note=event_note(
                item.event, removed_by=item.removed_by, is_removed_clock=item.is_removed_clock
            ),
            is_muted=item.is_removed_clock and item.event.kind != SlaEvent.Kind.REMOVED,
            order=(1, item.event.pk),
        )
        for item in items
    ]
    # One service call records each field once: a group ends where the moment, the person or
    # the channel changes, or a field comes again.
    groups: list[list[TicketChange]] = []
    for change in changes:
        last = groups[-1] if groups else None
        if (
            last is None
            or (last[0].at, last[0].actor_id, last[0].via)
            != (change.at, change.actor_id, change.via)
            or any(row.field == change.field for row in last)
        ):
            groups.append([change])
        else:
            last.append(change)
    for rows in groups:
        icon = "bi-pencil"
        for row in rows:
            icon = CHANGE_ICONS.get(row.state) or CHANGE_ICONS.get(row.field) or icon
        entries.append(
            TimelineEntry(
                at=rows[0].at,
                label=changes_text(rows),
                icon=icon,
                tone="primary",
                who=change_actor(rows[0]),
                order=(0, rows[0].pk),
            )
        )
    entries.sort(key=lambda entry: (entry.at, entry.order))
    return entries


def clock_views(
    ticket: Ticket,
    *,
    config: SlaConfig,
    now: datetime.datetime,
    clocks: Iterable[SlaClock] | None = None,
) -> list[ClockView]:
    """The three clocks a ticket shows (``clocks``, else its clocks prefetched), each saying why
    it does not run when it does not: "No goal" only when no goal of its kind applies to the
    ticket."""
    values = ticket_property_values(ticket)
    goal_set = config.goal_set_for(values)
    done = sla.first_response_done(
        first_replied_at=ticket.first_replied_at,
        closed_at=ticket.closed_at,
        excluded_periods=sla.excluded_periods_parse(ticket.excluded_periods),
    )
    schedule = config.schedule_for_team(ticket.team_id)
    texts = clock_texts()
    views = []
    for kind, clock in current_clocks(ticket.clocks.all() if clocks is None else clocks).items():
        note = clock_idle_note(
            kind,
            clock=clock,
            has_goal=goal_set is not None and goal_set.goal(kind) is not None,
            is_closed=ticket.closed_at is not None,
            first_response_done=done,
            out_of_reach=config.goal_out_of_reach(values, kind),
        )
        views.append(
            clock_view(
                clock,
                kind=kind,
                now=now,
                schedule=schedule,
                schedule_version=config.schedule_version,
                note=note,
                texts=texts,
            )
        )
    return views


@dataclass(frozen=True)
class ConversationItem:
    """A message as the ticket page shows it: the delivery of its email (None: none) and which
    email that is, whether it is new to the viewer (from someone else since the page loaded),
    its attachments and the incoming email it came as (None: none)."""

    message: Message
    delivery: Delivery | None
    delivery_what: str
    is_new: bool = False
    attachments: tuple[Any, ...] = ()
    inbound_email: Any = None


def _conversation(
    ticket: Ticket, *, seen_message: int, viewer_id: int | None, fingerprint: TicketFingerprint
) -> list[ConversationItem]:
    """The ticket's messages with their email's delivery: public replies their own email, the
    first message the acknowledgement. Messages after ``seen_message`` by anyone but the viewer
    are new. Attachments, incoming emails, deliveries and the acknowledgement are read only when
    the ticket's ``fingerprint`` (read before) has some."""
    attachments, inbound = message_mail_prefetches()
    prefetches = [
        prefetch
        for prefetch, part in ((attachments, ATTACHMENTS), (inbound, INBOUND_EMAILS))
        if fingerprint.has(part)
    ]
    messages_ = list(
        Message.objects.filter(ticket=ticket).select_related("author").prefetch_related(*prefetches)
    )
    deliveries = (
        message_deliveries(m.pk for m in messages_) if fingerprint.has(MESSAGE_EMAILS) else {}
    )
    acknowledged = (
        bool(messages_)
        and messages_[0].author_kind == Message.Author.CUSTOMER
        and fingerprint.has(ACKNOWLEDGEMENTS)
    )
    email, acknowledgement = _("Email"), _("Acknowledgement")
    return [
        ConversationItem(
            message=message,
            delivery=(
                ticket_acknowledgement_delivery(ticket.pk)
                if index == 0 and acknowledged
                else deliveries.get(message.pk)
            ),
            delivery_what=acknowledgement if index == 0 and acknowledged else email,
            is_new=message.pk > seen_message and message.author_id != viewer_id,
            attachments=tuple(message.attachments.all()) if attachments in prefetches else (),
            inbound_email=_inbound_email(message) if inbound in prefetches else None,
        )
        for index, message in enumerate(messages_)
    ]


def _fragment_helpers(now: datetime.datetime) -> dict[str, Any]:
    """What the ticket's Jinja2 fragments format with, in the active zone and language: ``_``
    (as Django's translate tag: the translation escaped; each string translated once), ``iso``
    (the ``date:"c"`` filter), ``hour`` (``date:"H:i"``) and ``moment`` (``local_moment``)."""
    zone = timezone.get_current_timezone()
    hour = moment_formatter("H:i")
    translated: dict[str, Markup] = {}

    def translate(text: str) -> Markup:
        found = translated.get(text)
        if found is None:
            found = translated[text] = Markup(escape(_(text)))
        return found

    return {
        "_": translate,
        "iso": lambda value: value.astimezone(zone).isoformat(),
        "hour": lambda value: hour(value.astimezone(zone)),
        "moment": moment_texts(now),
        "url": url,
    }


def _conversation_html(
    conversation: list[ConversationItem], *, ticket: Ticket, helpers: dict[str, Any]
) -> str:
    """The conversation's HTML (``templates/jinja2/tickets/conversation.html``)."""
    template = engines["jinja2"].get_template("tickets/conversation.html")
    context = {
        **helpers,
        "conversation": conversation,
        "ticket": ticket,
        "reply_kind": escape(pgettext("message kind", "reply")),
        "linebreaksbr": _linebreaksbr,
        "filesizeformat": filesizeformat,
    }
    return mark_safe(template.render(context))  # noqa: S308 (autoescaped)


def _linebreaksbr(text: str) -> str:
    return linebreaksbr(text, autoescape=True)


def _inbound_email(message: Message) -> Any:
    """The message's incoming email (prefetched), or None (the template tag read it so)."""
    try:
        return message.inbound_email
    except ObjectDoesNotExist:
        return None


def _history_html(timeline: list[TimelineEntry], *, helpers: dict[str, Any]) -> str:
    """The history's HTML (``templates/jinja2/tickets/history.html``): its entries by day (in
    the active zone), as Django's ``regroup`` grouped them (neighbours with the same date)."""
    zone = timezone.get_current_timezone()
    day, heading = moment_formatter("D j M Y"), moment_formatter("D j M")
    days = [
        (heading(entries[0].at.astimezone(zone)), entries)
        for entries in (
            list(group)
            for _date, group in itertools.groupby(
                timeline, key=lambda entry: day(entry.at.astimezone(zone))
            )
        )
    ]
    template = engines["jinja2"].get_template("tickets/history.html")
    return mark_safe(template.render({**helpers, "days": days}))  # noqa: S308 (autoescaped)


def _regions_html(context: dict[str, Any], *, now: datetime.datetime) -> tuple[str, str]:
    """The conversation's and the history's HTML, as the page and its poll show them."""
    helpers = _fragment_helpers(now)
    return (
        _conversation_html(context["conversation"], ticket=context["ticket"], helpers=helpers),
        _history_html(context["timeline"], helpers=helpers),
    )


def _conversation_hash(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PageState:
    """What the open ticket page has (sent back by its poll): the latest message id when it was
    loaded (later ones from others are marked new), the version its properties form was loaded
    from, the version after which its notice lists others' changes, and the fingerprints of its
    conversation and history (a region is sent again only when it changed)."""

    seen_message: int = 0
    form_version: int = 0
    notice_after: int = 0
    conversation: str = ""
    history: str = ""
    is_replying: bool = False

    @classmethod
    def from_query(cls, params: Any) -> PageState:
        def number(name: str) -> int:
            value = params.get(name, "")
            return int(value) if value.isdigit() and len(value) < 19 else 0

        return cls(
            seen_message=number("seen_message"),
            form_version=number("version"),
            notice_after=number("notice_after"),
            conversation=params.get("conversation", "")[:32],
            history=params.get("history", "")[:32],
            is_replying=params.get("replying") == "1",
        )


def _ticket_context(
    request: HttpRequest,
    ticket: Ticket,
    *,
    config: SlaConfig,
    now: datetime.datetime,
    state: PageState,
    fingerprint: TicketFingerprint,
) -> dict[str, Any]:
    """Everything the ticket page and its live regions show, except the two forms (``fingerprint``:
    the ticket's, read before)."""
    version = fingerprint.version
    clocks = clock_views(ticket, config=config, now=now)
    conversation = _conversation(
        ticket,
        seen_message=state.seen_message,
        viewer_id=request.user.pk,
        fingerprint=fingerprint,
    )
    # Each list is read only when the fingerprint has rows of it.
    events = ticket_timeline(ticket_id=ticket.pk) if fingerprint.has(EVENTS) else []
    changes = ticket_changes(ticket_id=ticket.pk) if fingerprint.has(CHANGES) else []
    viewers = (
        ticket_presence_others(ticket_id=ticket.pk, user=request.user, now=now)
        if fingerprint.has(VIEWERS)
        else []
    )
    return {
        "ticket": ticket,
        "conversation": conversation,
        "clocks": clocks,
        "has_sla": any(c.clock is not None for c in clocks),
        "timeline": _timeline(events, changes),
        "viewers": viewers,
        # What was changed after the version the notice starts from (by others, or by the same
        # agent elsewhere: the page's own saves reload it), one line per save.
        "notice": (
            _timeline([], [change for change in changes if change.pk > state.notice_after])
            if state.notice_after < version
            else []
        ),
        "version": version,
        "state": state,
        "live_ms": max(int(settings.TICKET_LIVE_SECONDS * 1000), 200),
        "now": now,
    }


def _ticket_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    properties_form: TicketPropertiesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    config = sla_config_get()
    fingerprint = ticket_live_fingerprint(
        ticket_id=ticket.pk,
        viewer=request.user,
        presence_state=TicketPresence.State.VIEWING,
        now=now,
        is_first=True,
    )
    version = fingerprint.version
    state = PageState(
        seen_message=fingerprint.latest_message, form_version=version, notice_after=version
    )
    context = _ticket_context(
        request, ticket, config=config, now=now, state=state, fingerprint=fingerprint
    )
    stages = _all_stages()
    properties_form = properties_form or TicketPropertiesForm(
        ticket=ticket, stages=stages, version=version
    )
    reply_form = reply_form or ReplyForm(
        # The ticket's pipeline's stages, in their order (``_pipeline_stages``).
        stages=[stage for stage in stages if stage.pipeline_id == ticket.pipeline_id],
        current_stage=ticket.stage_id,
    )
    context.update(
        reply_form=reply_form,
        **_reply_fields(reply_form),
        properties_form=properties_form,
        properties_fields=_properties_fields(properties_form),
        reply_sent=request.session.pop(REPLY_SENT_KEY, None) == ticket.pk,
    )
    # Each region is rendered once: the page shows it and its fingerprint goes to the poll.
    conversation, history = _regions_html(context, now=now)
    context.update(
        conversation_html=conversation,
        conversation_hash=_conversation_hash(conversation),
        history_html=history,
        history_hash=_conversation_hash(history),
    )
    context["live_state"] = _live_state(request, context, fingerprint=fingerprint, now=now)
    return _render(request, "tickets/detail.html", context, status=status)


# The unbound reply form's kind and message fields, by language (see ``_reply_fields``).
_REPLY_FIELDS: dict[str | None, str] = {}


def _reply_fields(form: ReplyForm) -> dict[str, str]:
    """The reply form's fields as the page shows them (``reply_fields_html``: the kind of
    message and the message, ``tickets/_reply_fields.html``; ``reply_then_stage_html``): an
    unbound form's are the same for every ticket but the stages (``tickets.form_html``), and are
    rendered once per language."""
    fields: str
    if form.is_bound:  # shown again with what the agent wrote
        fields = render_to_string("tickets/_reply_fields.html", {"reply_form": form})
        then_stage = str(form["then_stage"])
    else:
        language = translation.get_language()
        fields = _REPLY_FIELDS.get(language) or _REPLY_FIELDS.setdefault(
            language, render_to_string("tickets/_reply_fields.html", {"reply_form": form})
        )
        then_stage = select_html(form, "then_stage", render=str)
    return {
        "reply_fields_html": mark_safe(fields),  # noqa: S308 (a Django template's output)
        "reply_then_stage_html": mark_safe(then_stage),  # noqa: S308 (a widget's output)
    }


PROPERTY_SELECTS = ("owner", "priority", "team", "source", "stage")


def _properties_fields(form: TicketPropertiesForm) -> dict[str, str]:
    """The properties form's fields as ``_properties_form.html`` shows them: its five selects
    (crispy) and two hidden inputs; an unbound form's from their kept renderings
    (``tickets.form_html``)."""
    if form.is_bound:  # shown again with the agent's values and errors
        fields = {name: str(as_crispy_field(form[name])) for name in PROPERTY_SELECTS}
        fields.update(version=str(form["version"]), loaded=str(form["loaded"]))
    else:
        known = ticket_form_choices()
        fields = {}
        for name in PROPERTY_SELECTS:
            choices = None
            if name in known:
                field: Any = form.fields[name]
                choices = [("", field.empty_label), *known[name]]
                value = form.initial.get(name)
                if value is not None and all(pk != value for pk, _label in known[name]):
                    choices = None  # (an owner who is no longer an agent: the form adds them)
            fields[name] = select_html(form, name, render=as_crispy_field, choices=choices)
        fields.update(version=hidden_html(form, "version"), loaded=hidden_html(form, "loaded"))
    return {name: mark_safe(html) for name, html in fields.items()}  # noqa: S308 (rendered here)


def _pipeline_stages(ticket: Ticket) -> list[Stage]:
    return list(Stage.objects.filter(pipeline_id=ticket.pipeline_id).order_by("position", "id"))


# The reply just sent (one-shot, in the session): the page then forgets the browser's draft.
REPLY_SENT_KEY = "ticket_reply_sent"


@login_required
@require_GET
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    _require_agent(request)
    return _ticket_page(request, _ticket_or_404(ticket_id))


@require_GET
@never_cache
def ticket_live(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The open ticket page's poll (htmx, every ``TICKET_LIVE_SECONDS``): marks the agent as
    viewing or replying and answers the regions that may have changed, as out-of-band swaps:
    who else is here, the header, the SLA panel, the close/reopen buttons and the notice of
    others' changes always; the conversation and the history when their fingerprint changed; a
    fresh properties form when the ticket's version moved past the form's (the page keeps the
    agent's form instead when they have edited it). The reply form is never sent.
    """
    if not request.user.is_authenticated:
        if getattr(request, "htmx", False):  # the page polls: send the whole page to sign in
            page = reverse("tickets:detail", args=[ticket_id])
            return HttpResponseClientRedirect(reverse("login") + "?" + urlencode({"next": page}))
        return redirect_to_login(request.get_full_path())
    _require_agent(request)
    now = timezone.now()
    state = PageState.from_query(request.GET)
    # Read before the regions: a change in between makes the next poll differ (and render),
    # never the reverse.
    fingerprint = ticket_live_fingerprint(
        ticket_id=ticket_id,
        viewer=request.user,
        presence_state=(
            TicketPresence.State.REPLYING if state.is_replying else TicketPresence.State.VIEWING
        ),
        now=now,
    )
    sent = request.GET.get("state", "")
    if sent and sent == _live_state_now(
        request, state, fingerprint=fingerprint, now=now, sent=sent
    ):
        # Nothing to swap: htmx leaves the page as it is.
        return HttpResponse(status=204, headers={TICKET_STATE_HEADER: sent})
    ticket = _ticket_or_404(ticket_id)
    config = sla_config_get()
    version = fingerprint.version
    context = _ticket_context(
        request, ticket, config=config, now=now, state=state, fingerprint=fingerprint
    )
    conversation, history = _regions_html(context, now=now)
    context.update(
        conversation_html=conversation,
        conversation_hash=_conversation_hash(conversation),
        history_html=history,
        history_hash=_conversation_hash(history),
    )
    if state.form_version < version:
        form = TicketPropertiesForm(ticket=ticket, stages=_all_stages(), version=version)
        context.update(properties_form=form, properties_fields=_properties_fields(form))
    response = render(request, "tickets/_live.html", context)
    response[TICKET_STATE_HEADER] = _live_state(request, context, fingerprint=fingerprint, now=now)
    return response


# The ticket page's poll sends back the state its regions were rendered in (static/js/ticket.js),
# and gets the new one in this header.
TICKET_STATE_HEADER = "X-Ticket-State"


def _live_digest(request: HttpRequest, state: PageState, *, fingerprint: TicketFingerprint) -> str:
    """What the poll's regions show apart from the time: the ticket's fingerprint, who looks at
    it in which zone and language, and what the page has (``state``: its latest message, its
    notice's start, its properties form's version, its conversation's and history's hashes)."""
    key = repr(
        (
            fingerprint.rows,
            request.user.pk,
            timezone.get_current_timezone_name(),
            translation.get_language(),
            state.seen_message,
            state.notice_after,
            state.form_version,
            state.conversation,
            state.history,
        )
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _live_state(
    request: HttpRequest,
    context: dict[str, Any],
    *,
    fingerprint: TicketFingerprint,
    now: datetime.datetime,
) -> str:
    """The state the page has once it shows ``context``'s regions (rendered at ``now``), for
    its next poll: the earliest moment at which time alone changes them (``display_changes_at``
    of its running clocks), and the digest of what they show. After a poll's answer the page has
    its conversation and history, and a properties form of the ticket's version (unless the
    agent keeps their edited one: then its poll sends an older version and renders)."""
    page: PageState = context["state"]
    has = dataclasses.replace(
        page,
        form_version=context["version"],
        conversation=context["conversation_hash"],
        history=context["history_hash"],
    )
    changes_at = display_changes_at(
        (
            (view.clock.due_at, view.clock.due_soon_at)
            for view in context["clocks"]
            if view.clock is not None and view.is_running and not view.is_paused
        ),
        now=now,
    )
    digest = _live_digest(request, has, fingerprint=fingerprint)
    return f"{int(changes_at.timestamp() * 1000)}-{digest}"


def _live_state_now(
    request: HttpRequest,
    state: PageState,
    *,
    fingerprint: TicketFingerprint,
    now: datetime.datetime,
    sent: str,
) -> str:
    """The state of a page that has ``state`` and whose last answer said ``sent``, at ``now``:
    ``sent`` itself while time has not changed its regions and the fingerprint is the same
    ("" otherwise)."""
    changes_ms, _dash, digest = sent.partition("-")
    if not changes_ms.isdigit() or len(changes_ms) > 15 or not digest:
        return ""
    if now.timestamp() * 1000 >= int(changes_ms):
        return ""
    return sent if _live_digest(request, state, fingerprint=fingerprint) == digest else ""


@login_required
@require_POST
def ticket_leave(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The page is going away (``navigator.sendBeacon``): others stop seeing this agent."""
    _require_agent(request)
    ticket_presence_leave(ticket_id=ticket_id, user=request.user)
    return HttpResponse(status=204)


def _input_error_text(exc: TicketInputError) -> str:
    return " ".join(message for texts in exc.errors.values() for message in texts)


@login_required
@require_POST
def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Send a public reply or an internal note as the signed-in agent; with "Send and close" or
    "Send and set stage", move the ticket in the same step."""
    agent = _require_agent(request)
    ticket = _ticket_or_404(ticket_id)
    form = ReplyForm(request.POST, stages=_pipeline_stages(ticket))
    if not form.is_valid():
        errors = [
            str(text) for field in ("body", "then_stage") for text in form.errors.get(field, [])
        ]
        messages.error(request, _("Nothing was sent: %(why)s") % {"why": " ".join(errors)})
        return _ticket_page(request, ticket, reply_form=form, status=400)
    stage = form.stage_to_set()
    if form.cleaned_data.get("then") == "close":
        stage = (
            Stage.objects.filter(pipeline_id=ticket.pipeline_id, is_closed=True)
            .order_by("position", "id")
            .first()
        )
        if stage is None:
            messages.error(request, _("Nothing was sent: this pipeline has no closed stage."))
            return _ticket_page(request, ticket, reply_form=form, status=400)
    if stage is not None and stage.pk == ticket.stage_id:
        stage = None
    try:
        ticket_reply_and_move(
            ticket_id=ticket.pk,
            body=form.cleaned_data["body"],
            author=agent,
            is_internal=form.is_internal,
            stage=stage,
            now=timezone.now(),
            via=TicketChange.Via.PAGE,
        )
    except TicketInputError as exc:
        messages.error(request, _("Nothing was sent: %(why)s") % {"why": _input_error_text(exc)})
        return _ticket_page(request, ticket, reply_form=form, status=400)
    request.session[REPLY_SENT_KEY] = ticket.pk
    sent = _("Internal note added.") if form.is_internal else _("Reply sent.")
    if stage is not None and stage.is_closed:
        sent = _("%(sent)s The ticket is closed.") % {"sent": sent}
    elif stage is not None:
        sent = _("%(sent)s Stage set to %(stage)s.") % {"sent": sent, "stage": stage.name}
    messages.success(request, sent)
    return redirect("tickets:detail", ticket_id=ticket.pk)


def _names(fields: Iterable[str]) -> str:
    fields = list(fields)
    return ", ".join(
        str(PROPERTY_LABELS[f]) for f in fields if f != "pipeline" or "stage" not in fields
    )


@login_required
@require_POST
def ticket_properties(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Save the owner, priority, team, source and stage fields the agent changed on the page.

    Only those: a field the page did not change keeps whatever it holds now, and a field that
    someone else changed since the page was loaded is not overwritten. The page then says what
    they changed and by whom; held-back fields are shown again with the agent's value, to save
    again knowingly.
    """
    agent = _require_agent(request)
    ticket = _ticket_or_404(ticket_id)
    form = TicketPropertiesForm(request.POST, ticket=ticket, stages=_all_stages())
    if not form.is_valid():
        messages.error(request, _("Nothing was changed: check the highlighted fields."))
        return _ticket_page(request, ticket, properties_form=form, status=400)
    changes = form.agent_changes()
    if not changes:
        messages.info(request, _("Nothing to change."))
        return redirect("tickets:detail", ticket_id=ticket.pk)
    try:
        result = ticket_update_checked(
            ticket_id=ticket.pk,
            now=timezone.now(),
            changes=changes,
            since_version=form.cleaned_data.get("version"),
            actor=agent,
            via=TicketChange.Via.PAGE,
        )
    except TicketInputError as exc:
        messages.error(request, _("Nothing was changed: %(why)s") % {"why": _input_error_text(exc)})
        return _ticket_page(request, ticket, properties_form=form, status=400)
    others = list(result.others)
    if others:
        zone = timezone.get_current_timezone()
        said = "; ".join(
            _("%(who)s changed %(what)s at %(time)s")
            % {"who": line.who, "what": line.label, "time": f"{line.at.astimezone(zone):%H:%M}"}
            for line in _timeline([], others)
        )
        messages.warning(
            request,
            _("Since you opened this ticket: %(changes)s. Nothing of theirs was overwritten.")
            % {"changes": said},
        )
    if result.applied:
        messages.success(request, _("Updated %(fields)s.") % {"fields": _names(result.applied)})
    if not result.held:
        if not result.applied and not others:
            messages.info(request, _("Nothing to change."))
        return redirect("tickets:detail", ticket_id=ticket.pk)
    # Held back: show the page again, the agent's values in those fields, to save again.
    ticket = _ticket_or_404(ticket_id)
    version = ticket_version(ticket_id=ticket.pk)
    current = TicketPropertiesForm(ticket=ticket, stages=_all_stages(), version=version)
    data = {name: current[name].value() for name in current.fields}
    for name in result.held:
        if name in request.POST:
            data[name] = request.POST[name]
    again = TicketPropertiesForm(data, ticket=ticket, stages=_all_stages(), version=version)
    again.is_valid()
    for name in result.held:
        if name in again.fields:
            again.add_error(
                name,
                _("Changed by someone else while you were editing; save again to replace it."),
            )
    messages.error(
        request,
        _("Not saved: %(fields)s. Someone else changed it since you opened the page.")
        % {"fields": _names(result.held)},
    )
    return _ticket_page(request, ticket, properties_form=again, status=409)


def _close_or_reopen(request: HttpRequest, ticket_id: int, *, close: bool) -> HttpResponse:
    """Close or reopen through the service; a ticket already so gets a note, not an error."""
    agent = _require_agent(request)
    ticket = _ticket_or_404(ticket_id)
    if ticket.is_closed == close:
        messages.info(
            request,
            _("The ticket is already closed.") if close else _("The ticket is already open."),
        )
        return redirect("tickets:detail", ticket_id=ticket.pk)
    service = ticket_close if close else ticket_reopen
    try:
        service(ticket_id=ticket.pk, now=timezone.now(), actor=agent, via=TicketChange.Via.PAGE)
    except TicketInputError as exc:
        why = {"why": _input_error_text(exc)}
        messages.error(
            request, (_("Not closed: %(why)s") if close else _("Not reopened: %(why)s")) % why
        )
    else:
        messages.success(request, _("Ticket closed.") if close else _("Ticket reopened."))
    return redirect("tickets:detail", ticket_id=ticket.pk)


@login_required
@require_POST
def ticket_close_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _close_or_reopen(request, ticket_id, close=True)


@login_required
@require_POST
def ticket_reopen_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _close_or_reopen(request, ticket_id, close=False)


# --- The agent's profile -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The agent's display time zone and SLA email switch."""
    agent = _require_agent(request)
    schedule_zone = sla_config_get().schedule.zone
    instance = AgentProfile.objects.filter(user=agent).first() or AgentProfile(user=agent)
    form = AgentProfileForm(
        request.POST if request.method == "POST" else None,
        instance=instance,
        schedule_zone=schedule_zone.key,
    )
    if request.method == "POST":
        if form.is_valid():
            form.save()
            # Said in the language just chosen (blank: the browser's), as the next page is.
            language = form.cleaned_data["language"] or translation.get_language_from_request(
                request
            )
            with translation.override(language):
                messages.success(request, _("Preferences saved."))
            return redirect("tickets:profile")
        messages.error(request, _("Nothing was saved: check the highlighted fields."))
    context = {"form": form, "nav": "profile", "schedule_zone": schedule_zone.key}
    return _render(request, "tickets/profile.html", context, status=400 if form.errors else 200)


# --- The public request form -------------------------------------------------------------------


@rate_limited("request_form")  # per client address: a person opens a ticket or two, not dozens
def request_form(request: HttpRequest) -> HttpResponse:
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticket = ticket_create(
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            requester_email=form.cleaned_data["requester_email"],
            source=Source.FORM,
            # The page's language (the browser's, or the one picked): later emails use it.
            requester_language=translation.get_language() or "",
            now=timezone.now(),
        )
        request.session["last_request_id"] = ticket.pk
        return redirect("tickets:request_thanks")
    return render(request, "tickets/request.html", {"form": form})


@never_cache  # it names the visitor's ticket: no shared cache or back button keeps it
def request_thanks(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "tickets/request_thanks.html",
        {"ticket_id": request.session.get("last_request_id")},
    )
