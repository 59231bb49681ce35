"""Agents' pages (the queue, a ticket, the agent's profile) and the public request form.

Views parse input with ``tickets.forms``, read through ``tickets.selectors`` and write through
``tickets.services``; every POST redirects on success (PRG) and answers bad input with a message,
never an error page. Pages render in the viewer's time zone (``AgentProfile.timezone``, else the
SLA schedule's), activated around rendering so every ``date`` filter and ``local_moment`` uses it.
"""

from __future__ import annotations

import dataclasses
import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from inbound.selectors import message_mail_prefetches
from outbound.selectors import message_deliveries, ticket_acknowledgement_delivery
from settings_app.models import Source, Stage, Team
from settings_app.selectors import SlaConfig, sla_config_get
from slaproject.api import is_agent
from tickets import sla
from tickets.forms import (
    QUEUE_DEFAULTS,
    AgentProfileForm,
    QueueFilterForm,
    ReplyForm,
    RequestForm,
    TicketPropertiesForm,
)
from tickets.models import AgentProfile, Message, SlaEvent, Ticket, TicketChange
from tickets.selectors import (
    TicketPaginator,
    TimelineEvent,
    current_clocks,
    ticket_changes,
    ticket_get,
    ticket_timeline,
    tickets_count,
    tickets_list,
    viewer_zone,
)
from tickets.services import (
    TicketInputError,
    ticket_close,
    ticket_create,
    ticket_message_add,
    ticket_property_values,
    ticket_reopen,
    ticket_update,
)
from tickets.templatetags.sla_tags import (
    ClockView,
    clock_idle_note,
    clock_view,
    event_icon,
    event_label,
    event_note,
    event_tone,
)
from tickets.templatetags.workspace_tags import change_actor, changes_text

User = get_user_model()
REFRESH_SECONDS = 60  # the queue's badges re-render this often (htmx polling)
# The queue's saved views: label, icon, and the filters they set (the rest at their defaults).
SAVED_VIEWS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("My tickets", "bi-person", {"owner": "me"}),
    ("Unassigned", "bi-inbox", {"owner": "none"}),
    ("Due soon", "bi-hourglass-split", {"sla_status": "due_soon"}),
    ("Overdue", "bi-exclamation-triangle", {"sla_status": "overdue"}),
)
PROPERTY_LABELS = {
    "owner": "owner",
    "priority": "priority",
    "team": "team",
    "source": "source",
    "pipeline": "pipeline",
    "stage": "stage",
}


# --- Shared plumbing ---------------------------------------------------------------------------


def _require_agent(request: HttpRequest) -> None:
    if not is_agent(request.user):
        raise PermissionDenied


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    zone: zoneinfo.ZoneInfo,
    status: int = 200,
) -> HttpResponse:
    """Render with ``zone`` active, so every moment on the page is in the viewer's time zone."""
    with timezone.override(zone):
        return render(
            request, template, {"nav": "queue", "viewer_zone": zone, **context}, status=status
        )


# --- The queue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    clocks: list[ClockView]
    owner_label: str


@dataclass(frozen=True)
class SavedView:
    label: str
    icon: str
    url: str
    is_active: bool


def _stage_choices() -> list[tuple[str, str]]:
    """One choice per stage slug (the queue filters by slug across pipelines)."""
    names: dict[str, list[str]] = {}
    for slug, name in Stage.objects.order_by(
        "pipeline__position", "pipeline_id", "position", "id"
    ).values_list("slug", "name"):
        if name not in names.setdefault(slug, []):
            names[slug].append(name)
    return [(slug, " / ".join(labels)) for slug, labels in names.items()]


def _queue_form(request: HttpRequest) -> QueueFilterForm:
    agents = (
        User.objects.filter(is_active=True)
        .filter(Q(is_staff=True) | Q(is_superuser=True))
        .order_by("username")
        .values_list("username", flat=True)
    )
    return QueueFilterForm(
        request.GET.dict(),
        teams=Team.objects.order_by("name").values_list("slug", "name"),
        agents=list(agents),
        stages=_stage_choices(),
    )


def _queue_page(
    request: HttpRequest,
    form: QueueFilterForm,
    *,
    config: SlaConfig,
    now: datetime.datetime,
) -> tuple[Page, list[QueueRow]]:
    """The requested page of tickets, with each clock's display, in a fixed number of queries."""
    filters = form.filters()
    tickets = tickets_list(filters=filters, viewer=request.user, now=now)
    count = tickets_count(tickets=tickets, filters=filters, now=now)
    paginator = TicketPaginator(tickets, form.value_of("per_page"), count=count)
    page = paginator.get_page(request.GET.get("page"))
    rows = []
    for ticket in page.object_list:
        clocks = clock_views(ticket, config=config, now=now)
        if ticket.owner_id is None:
            owner = ""
        elif ticket.owner_id == request.user.pk:
            owner = "you"
        else:
            owner = ticket.owner.get_username()
        rows.append(QueueRow(ticket=ticket, clocks=clocks, owner_label=owner))
    return page, rows


def _saved_views(form: QueueFilterForm) -> list[SavedView]:
    current = form.current()
    per_page = form.value_of("per_page")
    result = []
    for label, icon, preset in SAVED_VIEWS:
        params = dict(preset)
        if per_page != QueueFilterForm.base_fields["per_page"].empty_value:
            params["per_page"] = str(per_page)
        url = reverse("tickets:queue") + "?" + urlencode(params)
        result.append(SavedView(label, icon, url, current == {**QUEUE_DEFAULTS, **preset}))
    return result


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The agents' queue: filters, saved views, nearest due first, paginated."""
    _require_agent(request)
    now = timezone.now()
    config = sla_config_get()
    zone = viewer_zone(request.user, default=config.schedule.zone)
    form = _queue_form(request)
    page, rows = _queue_page(request, form, config=config, now=now)
    context = {
        "form": form,
        "page_obj": page,
        "rows": rows,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "saved_views": _saved_views(form),
        "per_page": form.value_of("per_page"),
        "is_filtered": form.current() != QUEUE_DEFAULTS,
        "refresh_seconds": REFRESH_SECONDS,
        "now": now,
    }
    return _render(request, "tickets/queue.html", context, zone=zone)


@require_GET
def queue_rows(request: HttpRequest) -> HttpResponse:
    """The queue's table rows alone, for the htmx refresh of the badges (same parameters).

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
    config = sla_config_get()
    zone = viewer_zone(request.user, default=config.schedule.zone)
    form = _queue_form(request)
    page, rows = _queue_page(request, form, config=config, now=now)
    context = {"rows": rows, "page_obj": page, "form": form, "now": now}
    return _render(request, "tickets/_queue_rows.html", context, zone=zone)


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


CHANGE_ICONS = {
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


def clock_views(ticket: Ticket, *, config: SlaConfig, now: datetime.datetime) -> list[ClockView]:
    """The three clocks a ticket shows (clocks prefetched), each saying why it does not run when
    it does not: "No goal" only when no goal of its kind applies to the ticket."""
    goal_set = config.goal_set_for(ticket_property_values(ticket))
    done = sla.first_response_done(
        first_replied_at=ticket.first_replied_at,
        closed_at=ticket.closed_at,
        excluded_periods=sla.excluded_periods_parse(ticket.excluded_periods),
    )
    views = []
    for kind, clock in current_clocks(ticket.clocks.all()).items():
        view = clock_view(
            clock,
            kind=kind,
            now=now,
            schedule=config.schedule,
            schedule_version=config.schedule_version,
        )
        note = clock_idle_note(
            kind,
            clock=clock,
            has_goal=goal_set is not None and goal_set.goal(kind) is not None,
            is_closed=ticket.closed_at is not None,
            first_response_done=done,
        )
        views.append(dataclasses.replace(view, note=note))
    return views


def _conversation(ticket: Ticket) -> list[Message]:
    """The ticket's messages, each with ``delivery`` (its email's, or None) and ``delivery_what``
    (which email): public replies their own email, the first message the acknowledgement."""
    messages_ = list(
        Message.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related(*message_mail_prefetches())
    )
    deliveries = message_deliveries(m.pk for m in messages_)
    for message in messages_:
        message.delivery = deliveries.get(message.pk)
        message.delivery_what = _("Email")
    if messages_ and messages_[0].author_kind == Message.Author.CUSTOMER:
        messages_[0].delivery = ticket_acknowledgement_delivery(ticket.pk)
        messages_[0].delivery_what = _("Acknowledgement")
    return messages_


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
    zone = viewer_zone(request.user, default=config.schedule.zone)
    clocks = clock_views(ticket, config=config, now=now)
    context = {
        "ticket": ticket,
        "conversation": _conversation(ticket),
        "clocks": clocks,
        "has_sla": any(c.clock is not None for c in clocks),
        "timeline": _timeline(
            ticket_timeline(ticket_id=ticket.pk), ticket_changes(ticket_id=ticket.pk)
        ),
        "reply_form": reply_form or ReplyForm(),
        "properties_form": properties_form
        or TicketPropertiesForm(ticket=ticket, stages=_all_stages()),
        "now": now,
    }
    return _render(request, "tickets/detail.html", context, zone=zone, status=status)


@login_required
@require_GET
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    _require_agent(request)
    return _ticket_page(request, _ticket_or_404(ticket_id))


def _input_error_text(exc: TicketInputError) -> str:
    return " ".join(message for texts in exc.errors.values() for message in texts)


@login_required
@require_POST
def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Send a public reply or an internal note as the signed-in agent."""
    _require_agent(request)
    ticket = _ticket_or_404(ticket_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was sent: " + " ".join(form.errors.get("body", [])))
        return _ticket_page(request, ticket, reply_form=form, status=400)
    try:
        ticket_message_add(
            ticket_id=ticket.pk,
            body=form.cleaned_data["body"],
            author_kind=Message.Author.AGENT,
            author=request.user,
            is_internal=form.is_internal,
            now=timezone.now(),
        )
    except TicketInputError as exc:
        messages.error(request, f"Nothing was sent: {_input_error_text(exc)}")
        return _ticket_page(request, ticket, reply_form=form, status=400)
    messages.success(request, "Internal note added." if form.is_internal else "Reply sent.")
    return redirect("tickets:detail", ticket_id=ticket.pk)


@login_required
@require_POST
def ticket_properties(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Change owner, priority, team, source and stage in one save."""
    _require_agent(request)
    ticket = _ticket_or_404(ticket_id)
    form = TicketPropertiesForm(request.POST, ticket=ticket, stages=_all_stages())
    if not form.is_valid():
        messages.error(request, "Nothing was changed: check the highlighted fields.")
        return _ticket_page(request, ticket, properties_form=form, status=400)
    changes = form.changes()
    if not changes:
        messages.info(request, "Nothing to change.")
        return redirect("tickets:detail", ticket_id=ticket.pk)
    try:
        ticket_update(
            ticket_id=ticket.pk,
            now=timezone.now(),
            actor=request.user,
            via=TicketChange.Via.PAGE,
            **changes,
        )
    except TicketInputError as exc:
        messages.error(request, f"Nothing was changed: {_input_error_text(exc)}")
        return _ticket_page(request, ticket, properties_form=form, status=400)
    names = [
        PROPERTY_LABELS[name] for name in changes if name != "pipeline" or "stage" not in changes
    ]
    messages.success(request, f"Updated {', '.join(names)}.")
    return redirect("tickets:detail", ticket_id=ticket.pk)


def _close_or_reopen(request: HttpRequest, ticket_id: int, *, close: bool) -> HttpResponse:
    """Close or reopen through the service; a ticket already so gets a note, not an error."""
    _require_agent(request)
    ticket = _ticket_or_404(ticket_id)
    if ticket.is_closed == close:
        messages.info(request, f"The ticket is already {'closed' if close else 'open'}.")
        return redirect("tickets:detail", ticket_id=ticket.pk)
    service, verb = (ticket_close, "closed") if close else (ticket_reopen, "reopened")
    try:
        service(
            ticket_id=ticket.pk, now=timezone.now(), actor=request.user, via=TicketChange.Via.PAGE
        )
    except TicketInputError as exc:
        messages.error(request, f"Not {verb}: {_input_error_text(exc)}")
    else:
        messages.success(request, f"Ticket {verb}.")
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
    _require_agent(request)
    schedule_zone = sla_config_get().schedule.zone
    instance = AgentProfile.objects.filter(user=request.user).first() or AgentProfile(
        user=request.user
    )
    form = AgentProfileForm(
        request.POST if request.method == "POST" else None,
        instance=instance,
        schedule_zone=schedule_zone.key,
    )
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Preferences saved.")
            return redirect("tickets:profile")
        messages.error(request, "Nothing was saved: check the highlighted fields.")
    zone = viewer_zone(request.user, default=schedule_zone)
    context = {"form": form, "nav": "profile", "schedule_zone": schedule_zone.key}
    return _render(
        request, "tickets/profile.html", context, zone=zone, status=400 if form.errors else 200
    )


# --- The public request form -------------------------------------------------------------------


def request_form(request: HttpRequest) -> HttpResponse:
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticket = ticket_create(
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            requester_email=form.cleaned_data["requester_email"],
            source=Source.FORM,
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
