"""Forms of the agents' pages (queue filters, reply, properties, profile) and the public request
form. Forms parse and check input; the views hand it to ``tickets.services``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Self

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from settings_app.models import Priority, Source, Stage, Team
from settings_app.time_zones import allowed_zones
from slaproject.text_fields import SingleLineField
from tickets.models import MAX_BODY, MAX_SUBJECT, AgentProfile, Ticket
from tickets.selectors import TicketFilters, filter_choices


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's own (per-instance) choice field ``name``, whose choices are set at run time."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), name
    return field


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's own (per-instance) model choice field ``name``, whose queryset is set at run
    time."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField), name
    return field


class RequestForm(forms.Form):
    """The public request form at /request/: opens a ticket with source "form"."""

    requester_email = forms.EmailField(label=_("Your email"), max_length=254)
    subject = SingleLineField(label=_("Subject"), max_length=MAX_SUBJECT)
    body = forms.CharField(
        label=_("How can we help?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_BODY,
    )
    # A field people never see: bots that fill every field are refused.
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("Please leave this field empty."))
        return ""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for name in ("subject", "body"):
            if "\x00" in (cleaned.get(name) or ""):
                self.add_error(name, _("Must not contain NUL characters."))
        return cleaned


# --- The agents' queue ---------------------------------------------------------------------------

SLA_STATUS_CHOICES = [
    ("", _("Any")),
    ("overdue", pgettext_lazy("clock status", "Overdue")),
    ("due_soon", pgettext_lazy("clock status", "Due soon")),
    ("active", pgettext_lazy("clock status", "Active")),
    ("completed", pgettext_lazy("clock status", "Completed")),
]
STAGE_DEFAULT = "open"
PAGE_SIZES = (25, 50, 100)
# How the queue shows the clocks: three badges a row (the default, SPEC section 4), or one
# "Next breach" badge a row (the running clock due first; the three on hover).
BADGES_ALL = ""
BADGES_NEXT = "next"
# Every filter's value when the queue opens; a saved view overrides some of them.
QUEUE_DEFAULTS: dict[str, str] = {
    "sla_status": "",
    "team": "",
    "priority": "",
    "owner": "",
    "stage": STAGE_DEFAULT,
    "q": "",
}


class TicketFilterForm(forms.Form):
    """The ticket filters (SPEC section 4), one definition for the queue page and the API
    (``GET /api/tickets/``): the queue ignores a value that is not a choice (``QueueFilterForm``),
    the API refuses it with 400 naming the parameter (``api_errors``)."""

    sla_status = forms.ChoiceField(label="SLA", required=False, choices=SLA_STATUS_CHOICES)
    team = forms.ChoiceField(label=_("Team"), required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("Any")), *Priority.choices]
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)

    def __init__(
        self,
        data: Mapping[str, str],
        *,
        teams: Iterable[tuple[str, str]],
        agents: Iterable[str],
        stages: Iterable[tuple[str, str]],
    ) -> None:
        super().__init__(data)
        choice_field(self, "team").choices = [("", _("Any")), *teams]
        choice_field(self, "owner").choices = [
            ("", _("Anyone")),
            ("me", _("Mine")),
            ("none", _("Unassigned")),
            *((name, name) for name in agents),
        ]
        general = [("open", _("Open")), ("closed", _("Closed")), ("any", _("Any stage"))]
        # A stage whose slug is one of the general values ("closed" in every fresh database)
        # is what that value filters anyway: listed once.
        reserved = {value for value, _label in general}
        choice_field(self, "stage").choices = [
            *general,
            *((slug, label) for slug, label in stages if slug not in reserved),
        ]

    @classmethod
    def from_data(cls, data: Mapping[str, str], *, sent_only: bool = False) -> Self:
        """The form on ``data`` with today's teams, agents and stages as its choices; with
        ``sent_only`` (a form that is only validated, never shown) just the choices needed to
        check the values sent: none when no team, owner or stage beyond the fixed ones is."""
        if not sent_only:
            return cls(data, **filter_choices())
        fixed = {"team": {""}, "owner": {"", "me", "none"}, "stage": {"", "open", "closed", "any"}}
        only = [
            choices
            for name, choices in (("team", "teams"), ("owner", "agents"), ("stage", "stages"))
            if data.get(name, "") not in fixed[name]
        ]
        return cls(data, **filter_choices(only=only))

    def api_errors(self) -> dict[str, list[str]]:
        """The form's errors by parameter name, a refused choice listing the accepted values."""
        errors: dict[str, list[str]] = {}
        for name, messages in self.errors.items():
            field = self.fields.get(name)
            codes = {error.code for error in self.errors.as_data()[name]}
            if isinstance(field, forms.ChoiceField) and "invalid_choice" in codes:
                choices = field.choices
                # Set as lists (``__init__``, the class): never a callable here.
                assert isinstance(choices, list), name
                values = [str(value) for value, _label in choices if value != ""]
                shown = ", ".join(values[:30]) + (", …" if len(values) > 30 else "")
                errors[name] = [_("Must be one of: %(choices)s.") % {"choices": shown}]
            else:
                errors[name] = [str(message) for message in messages]
        return errors

    def filters(self) -> TicketFilters:
        values = {name: self.cleaned_data.get(name) or "" for name in QUEUE_DEFAULTS}
        return TicketFilters(
            sla_status=values["sla_status"],
            team=values["team"],
            priority=values["priority"],
            stage="" if values["stage"] == "any" else values["stage"],
            owner=values["owner"],
            q=values["q"].strip(),
        )


class QueueFilterForm(TicketFilterForm):
    """The queue's filter bar (GET). Unknown values are ignored, never an error page."""

    per_page = forms.TypedChoiceField(
        label=_("Per page"),
        required=False,
        coerce=int,
        choices=[(size, format_lazy("{} {}", size, _("per page"))) for size in PAGE_SIZES],
    )
    # Not a filter: how the rows show their clocks (kept by the saved views, paging and Clear).
    badges = forms.ChoiceField(
        label=_("Badges"),
        required=False,
        choices=[(BADGES_ALL, _("Three clocks")), (BADGES_NEXT, _("Next breach"))],
    )

    def __init__(
        self,
        data: Mapping[str, str],
        *,
        teams: Iterable[tuple[str, str]],
        agents: Iterable[str],
        stages: Iterable[tuple[str, str]],
    ) -> None:
        super().__init__(
            {**QUEUE_DEFAULTS, "per_page": str(PAGE_SIZES[0]), "badges": BADGES_ALL, **data},
            teams=teams,
            agents=agents,
            stages=stages,
        )
        for name, field in self.fields.items():
            css = "form-control form-control-sm" if name == "q" else "form-select form-select-sm"
            field.widget.attrs.update({"class": css})
            if name != "q":
                field.widget.attrs["data-autosubmit"] = ""
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs["placeholder"] = _("#number, subject or requester")
        self.is_valid()

    def clean_per_page(self) -> int:
        """Nothing chosen: the first page size."""
        return self.cleaned_data.get("per_page") or PAGE_SIZES[0]

    def value_of(self, name: str) -> Any:
        """The cleaned value, or the default when what was sent is not a choice."""
        if name in self.cleaned_data:
            return self.cleaned_data[name]
        if name == "badges":
            return BADGES_ALL
        return PAGE_SIZES[0] if name == "per_page" else QUEUE_DEFAULTS[name]

    @property
    def shows_next_breach(self) -> bool:
        return self.value_of("badges") == BADGES_NEXT

    def current(self) -> dict[str, str]:
        """The filters in effect (without paging), by parameter name."""
        return {name: self.value_of(name) for name in QUEUE_DEFAULTS}

    def filters(self) -> TicketFilters:
        values = self.current()
        return TicketFilters(
            sla_status=values["sla_status"],
            team=values["team"],
            priority=values["priority"],
            stage="" if values["stage"] == "any" else values["stage"],
            owner=values["owner"],
            q=values["q"].strip(),
        )


# --- A ticket ----------------------------------------------------------------------------------


class ReplyForm(forms.Form):
    """An agent's message on the ticket page: a public reply or an internal note."""

    VISIBILITY_CHOICES = [("public", _("Public reply")), ("internal", _("Internal note"))]

    visibility = forms.ChoiceField(
        label="",
        choices=VISIBILITY_CHOICES,
        initial="public",
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("Write your reply…")}),
        error_messages={"required": _("Write a message before sending.")},
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if "\x00" in body:
            raise forms.ValidationError(_("Must not contain NUL characters."))
        return body

    # "Send and close" / "Send and set stage": the reply and the move in one step.
    then = forms.ChoiceField(
        required=False,
        choices=[
            ("", _("Send")),
            ("close", _("Send and close")),
            ("stage", _("Send and set stage")),
        ],
        widget=forms.HiddenInput,
    )
    then_stage = forms.TypedChoiceField(label=_("Then set stage"), required=False, coerce=int)

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        stages: Iterable[Stage] = (),
        current_stage: int | None = None,
    ) -> None:
        super().__init__(data, initial={"then_stage": current_stage})
        self._stages = {stage.pk: stage for stage in stages}
        choice_field(self, "then_stage").choices = [
            (
                stage.pk,
                _("%(stage)s (closed)") % {"stage": stage.name} if stage.is_closed else stage.name,
            )
            for stage in self._stages.values()
        ]
        self.fields["then_stage"].widget.attrs.update(
            {"class": "form-select form-select-sm", "aria-label": _("Stage to set with the reply")}
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("then") == "stage" and cleaned.get("then_stage") in (None, ""):
            self.add_error("then_stage", _("Choose the stage to set."))
        return cleaned

    @property
    def is_internal(self) -> bool:
        return self.cleaned_data.get("visibility") == "internal"

    def stage_to_set(self) -> Stage | None:
        """The stage "Send and set stage" moves the ticket to (None: plain send or close)."""
        if self.cleaned_data.get("then") != "stage":
            return None
        stage_id = self.cleaned_data.get("then_stage")  # "" when none was chosen
        return self._stages.get(stage_id) if isinstance(stage_id, int) else None


PROPERTY_FIELDS = ("owner", "priority", "team", "source", "stage")


class TicketPropertiesForm(forms.Form):
    """Owner, priority, team, source and pipeline stage of one ticket (one form, one save)."""

    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— Unassigned"),
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("— None")), *Priority.choices]
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("— No team")
    )
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int)
    # The ticket's version when the page was loaded and the values it showed then (JSON): a save
    # applies only the fields that differ from those, and holds back what others changed since.
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    loaded = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        ticket: Ticket,
        stages: list[Stage],
        version: int = 0,
    ) -> None:
        initial = {
            "owner": ticket.owner_id,
            "priority": ticket.priority,
            "team": ticket.team_id,
            "source": ticket.source,
            "stage": ticket.stage_id,
        }
        loaded = {name: "" if value is None else str(value) for name, value in initial.items()}
        initial.update(version=version, loaded=json.dumps(loaded, sort_keys=True))
        super().__init__(data, initial=initial)
        self.ticket = ticket
        self._stages = {stage.pk: stage for stage in stages}
        agents = User.objects.filter(is_active=True).filter(Q(is_staff=True) | Q(is_superuser=True))
        if ticket.owner_id:
            agents = User.objects.filter(Q(pk__in=agents.values("pk")) | Q(pk=ticket.owner_id))
        model_choice_field(self, "owner").queryset = agents.order_by("username")
        grouped: dict[str, list[tuple[int, str]]] = {}
        for stage in stages:
            name = (
                _("%(stage)s (closed)") % {"stage": stage.name} if stage.is_closed else stage.name
            )
            grouped.setdefault(stage.pipeline.name, []).append((stage.pk, name))
        choice_field(self, "stage").choices = list(grouped.items())

    def clean_stage(self) -> Stage:
        stage = self._stages.get(self.cleaned_data["stage"])
        if stage is None:
            raise forms.ValidationError(_("Choose a stage from the list."))
        return stage

    def loaded_values(self) -> dict[str, str] | None:
        """The values the page showed when it was loaded (None: the form did not say)."""
        try:
            loaded = json.loads(self.cleaned_data.get("loaded") or "")
        except ValueError:
            return None
        if not isinstance(loaded, dict) or set(loaded) != set(PROPERTY_FIELDS):
            return None
        return {name: str(loaded[name]) for name in PROPERTY_FIELDS}

    def agent_changes(self) -> dict[str, Any]:
        """Keyword arguments for ``ticket_update``: only the fields the agent changed on the page
        (what differs from the values it was loaded with), or, when the form does not say what
        it was loaded with, what differs from the ticket now."""
        loaded = self.loaded_values()
        if loaded is None:
            return self.changes()
        data = self.cleaned_data
        submitted = {
            "owner": str(data["owner"].pk) if data.get("owner") else "",
            "priority": data.get("priority") or "",
            "team": str(data["team"].pk) if data.get("team") else "",
            "source": data["source"],
            "stage": str(data["stage"].pk),
        }
        changes: dict[str, Any] = {}
        for name in PROPERTY_FIELDS:
            if submitted[name] == loaded[name]:
                continue
            value = data.get(name)
            changes[name] = (value or "") if name == "priority" else value
        stage = changes.get("stage")
        if stage is not None and stage.pipeline_id != self.ticket.pipeline_id:
            changes = {**changes, "pipeline": stage.pipeline}
        return changes

    def changes(self) -> dict[str, Any]:
        """Keyword arguments for ``ticket_update``: only what differs from the ticket now."""
        ticket, data = self.ticket, self.cleaned_data
        changes: dict[str, Any] = {}
        owner = data.get("owner")
        if (owner.pk if owner else None) != ticket.owner_id:
            changes["owner"] = owner
        if (data.get("priority") or "") != (ticket.priority or ""):
            changes["priority"] = data.get("priority") or ""
        team = data.get("team")
        if (team.pk if team else None) != ticket.team_id:
            changes["team"] = team
        if data["source"] != ticket.source:
            changes["source"] = data["source"]
        stage: Stage = data["stage"]
        if stage.pipeline_id != ticket.pipeline_id:
            changes["pipeline"] = stage.pipeline
        if stage.pk != ticket.stage_id:
            changes["stage"] = stage
        return changes


# --- The agent's profile -----------------------------------------------------------------------


class AgentProfileForm(forms.ModelForm):
    """An agent's display time zone (blank: the SLA schedule's), language (blank: the
    browser's) and email switches."""

    timezone = forms.ChoiceField(label=_("Time zone"), required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("Of the pages and of the emails you get."),
    )

    class Meta:
        model = AgentProfile
        fields = (
            "timezone",
            "language",
            "email_notifications",
            "notify_customer_replies",
            "notify_assignments",
        )
        labels = {
            "email_notifications": _(
                "Email me when my tickets' SLA clocks turn Due soon or Overdue"
            ),
            "notify_customer_replies": _("Email me when a customer replies to a ticket I own"),
            "notify_assignments": _("Email me when a ticket is assigned to me"),
        }
        help_texts = {
            "email_notifications": _("For tickets you own, and unassigned tickets of your teams."),
            "notify_customer_replies": _("With the customer's message and a link to the ticket."),
            "notify_assignments": _("Not when you take a ticket yourself."),
        }

    def __init__(self, *args: Any, schedule_zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zones = allowed_zones()  # the one list of accepted zones (settings_app.time_zones)
        choice_field(self, "timezone").choices = [
            ("", _("The SLA schedule's time zone (%(zone)s)") % {"zone": schedule_zone}),
            *((zone, zone) for zone in zones),
        ]
        # Each language named in itself, as language pickers do.
        choice_field(self, "language").choices = [
            ("", _("The browser's language")),
            *settings.LANGUAGES,
        ]
        self.fields["timezone"].help_text = _(
            "Times on the queue and ticket pages are shown in it."
        )
