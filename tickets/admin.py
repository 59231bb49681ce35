"""Django admin for support staff: tickets with their live SLA status, preferences, recomputes.

No business rule lives here. A ticket's owner, priority, team, source, pipeline and stage change
through ``tickets.services.ticket_update`` (so clocks follow), new messages through
``ticket_message_add``; tickets are opened by customers and channels (``/request/``, the API), not
here. Clocks, events and recomputes are read-only history. The changelist shows each clock's live
status from clocks prefetched with the page, in a fixed number of queries.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import Prefetch, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from settings_app.labels import CLOCK_LABELS, Label
from settings_app.models import Stage
from settings_app.time_zones import allowed_zones
from slaproject.admin_guards import SuperAdminRowsMixin, staff_user
from tickets.display import (
    ClockView,
    change_actor,
    change_text,
    clock_view,
    event_detail_text,
    local_moment,
)
from tickets.forms import SLA_STATUS_CHOICES, choice_field, model_choice_field
from tickets.models import (
    AgentProfile,
    Message,
    SlaClock,
    SlaEvent,
    SlaRecompute,
    Ticket,
    TicketChange,
)
from tickets.selectors import (
    SLA_STATUS_FILTERS,
    TICKET_NUMBER,
    current_clocks,
    sla_status_q,
    ticket_search_q,
)
from tickets.services import TicketInputError, ticket_message_add, ticket_update

# Ticket fields whose change has SLA effects: written only by ``ticket_update``.
SERVICE_FIELDS = ("owner", "priority", "team", "source", "pipeline", "stage")
# Ticket fields with no SLA effect, saved as they are.
PLAIN_FIELDS = ("subject", "requester_email")
SLA_STATE_FIELDS = (
    "created_at_local",
    "updated_at_local",
    "closed_at_local",
    "paused_since_local",
    "first_replied_at_local",
    "last_replied_at_local",
    "awaiting_reply_since_local",
    "sla_goal_value",
    "sla_settings_version",
    "sla_due_at_local",
    "excluded_periods",
)


def local_moment_column(name: str, label: Label) -> Any:
    """A read-only column showing a model's moment ``name`` in the viewer's zone, the zone
    named ("Tue 3 Mar, 11:00 CET"; ViewerTimeZoneMiddleware activates the zone)."""

    @admin.display(description=label, ordering=name)
    def column(self: Any, obj: Any) -> str:
        return local_moment(getattr(obj, name)) or "—"

    column.__name__ = f"{name}_local"
    return column


class SlaStatusFilter(admin.SimpleListFilter):
    """Tickets by the live status of their clocks (any running clock has it; "completed": has
    clocks and none is running), as the queue filters them."""

    title = _("SLA status")
    parameter_name = "sla_status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Label]]:
        # The queue's own words for the statuses (its filter's choices).
        labels = dict(SLA_STATUS_CHOICES)
        return [(value, labels[value]) for value in SLA_STATUS_FILTERS]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        value = self.value()
        if value in SLA_STATUS_FILTERS:
            return queryset.filter(sla_status_q(value, now=timezone.now()))
        return queryset


class StageListFilter(admin.RelatedFieldListFilter):
    """Stages named "Pipeline › Stage", read in one query."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list:
        stages = Stage.objects.select_related("pipeline").order_by(
            "pipeline__position", "pipeline_id", "position", "id"
        )
        return [(stage.pk, str(stage)) for stage in stages]


class TicketAdminForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = (*PLAIN_FIELDS, *SERVICE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "owner" in self.fields:
            agents = Q(is_active=True) & (Q(is_staff=True) | Q(is_superuser=True))
            if self.instance.owner_id:  # keep a former agent who still owns it selectable
                agents |= Q(pk=self.instance.owner_id)
            model_choice_field(self, "owner").queryset = User.objects.filter(agents).order_by(
                "username"
            )
        if "stage" in self.fields:
            model_choice_field(self, "stage").queryset = Stage.objects.select_related("pipeline")
            self.fields["stage"].help_text = _(
                "A closed stage closes the ticket (completing its clocks); an open one reopens it."
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        stage, pipeline = cleaned.get("stage"), cleaned.get("pipeline")
        # A new pipeline with the stage left as it was: the service picks the matching stage.
        pipeline_only = "pipeline" in self.changed_data and "stage" not in self.changed_data
        if stage and pipeline and stage.pipeline_id != pipeline.pk and not pipeline_only:
            self.add_error(
                "stage",
                _("Choose a stage of the pipeline %(pipeline_name)s.")
                % {"pipeline_name": pipeline.name},
            )
        return cleaned


class MessageInline(admin.TabularInline):
    """The conversation, read-only: messages are history once written."""

    model = Message
    extra = 0
    fields = ("created_at_local", "author_kind", "author", "is_internal", "body")
    readonly_fields = fields
    ordering = ("created_at", "id")
    verbose_name_plural = _("Conversation")
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    created_at_local = local_moment_column("created_at", _("Written"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return super().get_queryset(request).select_related("author")


class NewMessageFormSet(BaseInlineFormSet):
    """Only blank forms: each filled one becomes a message through ``ticket_message_add``."""

    def get_queryset(self) -> QuerySet[Message]:
        return Message.objects.none()


class NewMessageForm(forms.ModelForm):
    class Meta:
        model = Message
        fields = ("body", "is_internal")
        widgets = {"body": forms.Textarea(attrs={"rows": 3, "cols": 80})}
        labels = {"is_internal": _("Internal note")}


class NewMessageInline(admin.StackedInline):
    """Write an agent message (a public reply or an internal note) as the signed-in user."""

    model = Message
    form = NewMessageForm
    formset = NewMessageFormSet
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = _("agent message")
    verbose_name_plural = _("Add an agent message (a public reply completes response clocks)")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SlaClockInline(ReadOnlyInline):
    model = SlaClock
    fields = (
        "kind",
        "cycle",
        "live_status",
        "started_at_local",
        "due_soon_at_local",
        "due_at_local",
        "paused_at_local",
        "completed_at_local",
        "completed_by",
        "goal_minutes",
        "due_soon_minutes",
        "settings_version",
    )
    readonly_fields = fields
    ordering = ("kind", "cycle")
    verbose_name_plural = _("SLA clocks")

    started_at_local = local_moment_column("started_at", _("Started"))
    due_soon_at_local = local_moment_column("due_soon_at", _("Due soon at"))
    due_at_local = local_moment_column("due_at", _("Due at"))
    paused_at_local = local_moment_column("paused_at", _("Paused at"))
    completed_at_local = local_moment_column("completed_at", _("Completed at"))

    @admin.display(description=_("Status now"))
    def live_status(self, clock: SlaClock) -> str:
        return _status_pill(clock_view(clock, kind=clock.kind, now=timezone.now()))


class SlaEventInline(ReadOnlyInline):
    model = SlaEvent
    fields = (
        "at_local",
        "clock_kind",
        "cycle",
        "kind",
        "details",
        "should_notify",
        "notified_at_local",
    )
    readonly_fields = fields
    ordering = ("at", "id")
    verbose_name_plural = _("SLA events")

    at_local = local_moment_column("at", _("At"))
    notified_at_local = local_moment_column("notified_at", _("Notified at"))

    @admin.display(description=_("Details"))
    def details(self, event: SlaEvent) -> str:
        return event_detail_text(event) or "—"


class TicketChangeInline(ReadOnlyInline):
    """Who changed the owner, a property or the stage, when and how (written by the services)."""

    model = TicketChange
    fields = ("at_local", "who", "change")
    readonly_fields = fields
    ordering = ("at", "id")
    verbose_name_plural = _("History of changes")

    at_local = local_moment_column("at", _("At"))

    @admin.display(description=_("By"))
    def who(self, change: TicketChange) -> str:
        return change_actor(change)

    @admin.display(description=_("Change"))
    def change(self, change: TicketChange) -> str:
        return change_text(change)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketChange]:
        return super().get_queryset(request).select_related("actor")


def _status_pill(view: ClockView) -> str:
    if view.clock is None or view.style is None:  # no clock: no style either
        return "—"
    paused = " · " + gettext("paused") if view.is_paused else ""
    # Colours in static/css/admin_sla.css (TicketAdmin.Media).
    return format_html(
        '<span class="sla-pill sla-pill-{}">{}{}</span> <small>{}</small>',
        view.status,
        view.style.short_label,
        paused,
        view.relative,
    )


def _clock_column(kind: str) -> Any:
    @admin.display(description=CLOCK_LABELS[kind])
    def column(self: TicketAdmin, ticket: Ticket) -> str:
        shown = current_clocks(ticket.clocks.all())
        return _status_pill(clock_view(shown[kind], kind=kind, now=timezone.now()))

    column.__name__ = f"{kind}_sla"
    return column


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketAdminForm
    list_display = (
        "id",
        "subject",
        "requester_email",
        "priority",
        "team",
        "stage",
        "owner",
        "first_response_sla",
        "next_response_sla",
        "close_sla",
    )
    list_display_links = ("id", "subject")
    list_filter = (SlaStatusFilter, "team", "priority", ("stage", StageListFilter))
    # The search box: number, subject or requester (``get_search_results``).
    search_fields = ("subject", "requester_email")
    search_help_text = _("A ticket number (63 or #63), or part of a subject or requester address.")
    list_per_page = 50
    readonly_fields = SLA_STATE_FIELDS
    fieldsets = (
        (None, {"fields": PLAIN_FIELDS}),
        (
            _("Properties (saved through the ticket service: SLA clocks follow)"),
            {"fields": SERVICE_FIELDS},
        ),
        (_("SLA state"), {"classes": ("collapse",), "fields": SLA_STATE_FIELDS}),
    )
    inlines = (
        MessageInline,
        NewMessageInline,
        TicketChangeInline,
        SlaClockInline,
        SlaEventInline,
    )

    class Media:
        css = {"all": ("css/admin_sla.css",)}

    created_at_local = local_moment_column("created_at", _("Created"))
    updated_at_local = local_moment_column("updated_at", _("Updated"))
    closed_at_local = local_moment_column("closed_at", _("Closed"))
    paused_since_local = local_moment_column("paused_since", _("Paused since"))
    first_replied_at_local = local_moment_column("first_replied_at", _("First reply"))
    last_replied_at_local = local_moment_column("last_replied_at", _("Last reply"))
    awaiting_reply_since_local = local_moment_column(
        "awaiting_reply_since", _("Awaiting a reply since")
    )
    sla_due_at_local = local_moment_column("sla_due_at", _("Next due (sort key)"))

    first_response_sla = _clock_column("first_response")
    next_response_sla = _clock_column("next_response")
    close_sla = _clock_column("close")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        return (
            super()
            .get_queryset(request)
            .select_related("team", "pipeline", "stage", "stage__pipeline", "owner")
            .prefetch_related(
                Prefetch("clocks", queryset=SlaClock.objects.order_by("kind", "cycle"))
            )
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Ticket], search_term: str
    ) -> tuple[QuerySet[Ticket], bool]:
        """By number ("63", "#63"), subject or requester, as the queue searches."""
        if not search_term.strip():
            return queryset, False
        return queryset.filter(ticket_search_q(search_term)), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tickets are opened by customers (/request/) and channels (the API), with their first
        # message and clocks; the admin edits and reads them.
        return False

    def save_model(
        self, request: HttpRequest, obj: Ticket, form: forms.ModelForm, change: bool
    ) -> None:
        """Plain fields are saved as they are; SLA-relevant ones go through ``ticket_update``."""
        plain = [name for name in PLAIN_FIELDS if name in form.changed_data]
        if plain:
            obj.save(update_fields=[*plain, "updated_at"])
        changes = {
            name: form.cleaned_data[name] for name in SERVICE_FIELDS if name in form.changed_data
        }
        if "priority" in changes:
            changes["priority"] = changes["priority"] or ""
        if not changes:
            return
        try:
            ticket_update(
                ticket_id=obj.pk,
                now=timezone.now(),
                actor=staff_user(request),
                via=TicketChange.Via.ADMIN,
                **changes,
            )
        except TicketInputError as exc:
            text = " ".join(m for texts in exc.errors.values() for m in texts)
            self.message_user(
                request,
                gettext("Properties not changed: %(why)s") % {"why": text},
                messages.ERROR,
            )
        obj.refresh_from_db()

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool
    ) -> None:
        if formset.model is not Message or not isinstance(formset, NewMessageFormSet):
            formset.save()
            return
        # The admin's change message reads what the formset saved.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for message_form in formset.forms:
            if not message_form.has_changed() or not message_form.cleaned_data.get("body"):
                continue
            message = ticket_message_add(
                ticket_id=form.instance.pk,
                body=message_form.cleaned_data["body"],
                author_kind=Message.Author.AGENT,
                author=staff_user(request),
                is_internal=bool(message_form.cleaned_data.get("is_internal")),
                now=timezone.now(),
            )
            formset.new_objects.append(message)


@admin.register(TicketChange)
class TicketChangeAdmin(admin.ModelAdmin):
    """Every ticket's history of changes, read-only: filter by field or channel, search by
    ticket number or by who made the change."""

    list_display = ("at_local", "ticket_link", "who", "change", "via")
    list_filter = ("field", "via", "state")
    list_select_related = ("actor", "ticket")
    search_fields = ("actor__username",)
    search_help_text = _("A ticket number (63 or #63), or a username.")
    list_per_page = 100

    at_local = local_moment_column("at", _("At"))

    @admin.display(description=_("Ticket"), ordering="ticket_id")
    def ticket_link(self, change: TicketChange) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:tickets_ticket_change", args=[change.ticket_id]),
            str(change.ticket),
        )

    @admin.display(description=_("By"))
    def who(self, change: TicketChange) -> str:
        return change_actor(change)

    @admin.display(description=_("Change"))
    def change(self, change: TicketChange) -> str:
        return change_text(change)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[TicketChange], search_term: str
    ) -> tuple[QuerySet[TicketChange], bool]:
        number = TICKET_NUMBER.fullmatch(search_term.strip())
        if number is not None:
            return queryset.filter(ticket_id=int(number.group(1))), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Preferences, recomputes ------------------------------------------------------------------


class AgentProfileAdminForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        label=_("timezone"), required=False, help_text=_("Blank: the SLA schedule's time zone.")
    )

    class Meta:
        model = AgentProfile
        fields = ("user", "timezone", "email_notifications")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zones = allowed_zones()  # the one list of accepted zones (settings_app.time_zones)
        choice_field(self, "timezone").choices = [
            ("", gettext("— the SLA schedule's")),
            *((z, z) for z in zones),
        ]


@admin.register(AgentProfile)
class AgentProfileAdmin(SuperAdminRowsMixin, admin.ModelAdmin):
    """Agents' preferences; a super admin's are theirs and other super admins' alone."""

    form = AgentProfileAdminForm
    list_display = ("user", "timezone", "email_notifications")
    list_filter = ("email_notifications",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)


@admin.register(SlaRecompute)
class SlaRecomputeAdmin(admin.ModelAdmin):
    """Background recomputes after settings changes: history, read-only."""

    list_display = (
        "id",
        "settings_version",
        "state",
        "done",
        "tickets",
        "requested_by",
        "created_at_local",
        "finished_at_local",
    )
    list_filter = ("state",)
    list_select_related = ("requested_by",)

    created_at_local = local_moment_column("created_at", _("Created"))
    finished_at_local = local_moment_column("finished_at", _("Finished"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
