"""Django admin for the reference data and the SLA settings.

The SLA settings change form (with its working periods, holidays and goals inlines) never writes
the models itself: it builds the settings document from the validated main form and inline
formsets and saves it through ``sla_settings_save`` (via "admin", applied to new tickets only),
like the page and the API. The service's errors come back onto the form and its inline rows, and
nothing is saved until the whole document is valid. A database failure in the middle of the save
keeps nothing (the service's transaction is rolled back) and brings the user back to the change
form with an error message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import DatabaseError, transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from settings_app.document import GOAL_FIELDS, WEEKDAY_NAMES, WEEKDAYS, minutes_to_clock
from settings_app.forms import ZoneSelect, clock_normalise, timezone_choices
from settings_app.forms.errors import ErrorRouting
from settings_app.labels import GOAL_FIELD_TITLES, SCOPE_KEYS, SCOPE_LABELS
from settings_app.models import (
    Holiday,
    Pipeline,
    SlaGoal,
    SlaSettings,
    SlaSettingsChange,
    Stage,
    Team,
    TeamSchedule,
    TeamScheduleHoliday,
    TeamSchedulePeriod,
    WorkingPeriod,
)
from settings_app.selectors import chosen_scope_key, sla_settings_document, team_schedule_item
from settings_app.services import (
    SAVE_FAILED_MESSAGE,
    ReferenceInUse,
    SettingsValidationError,
    SettingsVersionConflict,
    reference_delete,
    reference_save,
    reference_uses,
    sla_settings_save,
    sla_settings_validate,
    stage_pause_uses,
)
from slaproject import sign_in_admin
from slaproject.api import is_super_admin

logger = logging.getLogger(__name__)


class SuperAdminOnlyMixin(admin.ModelAdmin):
    """SLA settings and their audit log are for super admins only (SPEC section 1), whatever
    model permissions a support staff member holds."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)


# --- Reference data ---------------------------------------------------------------------------


class InUseDeleteMixin(admin.ModelAdmin):
    """Teams, pipelines and stages that goals, pause stages or tickets use are not deleted: the
    confirmation page names the uses instead (``reference_uses``), for one object or a
    selection, and the delete itself goes through ``reference_delete``."""

    delete_confirmation_template = "admin/settings_app/in_use_delete_confirmation.html"

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        uses = [
            f"{obj}: {use}" if len(objs) > 1 else use for obj in objs for use in reference_uses(obj)
        ]
        return deleted, model_count, perms_needed, uses or protected

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reference_save(obj=obj, now=timezone.now())

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        try:
            reference_delete(obj=obj)
        except ReferenceInUse as exc:  # put to use since the confirmation page
            self.message_user(request, str(exc), level=messages.ERROR)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Team)
class TeamAdmin(InUseDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "member_count")
    search_fields = ("name", "slug")
    ordering = ("name",)  # explicit: the member count's GROUP BY drops Meta.ordering
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(member_total=Count("members", distinct=True))

    @admin.display(description=_("Members"), ordering="member_total")
    def member_count(self, obj: Any) -> int:  # a Team with member_total (get_queryset)
        return obj.member_total


class StageInlineFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        """A stage the SLA settings pause in is not deleted (tickets in it: Django's own check)."""
        super().clean()
        refused = [
            _("Stage “%(stage)s” cannot be deleted: %(use)s.")
            % {"stage": form.instance.name, "use": use}
            for form in self.deleted_forms
            if form.instance.pk is not None
            for use in stage_pause_uses(form.instance)
        ]
        if refused:
            raise forms.ValidationError(refused)


class StageInline(admin.TabularInline):
    model = Stage
    formset = StageInlineFormSet
    extra = 0
    fields = ("position", "name", "slug", "is_closed")
    ordering = ("position", "id")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Pipeline)
class PipelineAdmin(InUseDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "position", "stage_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (StageInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pipeline]:
        return super().get_queryset(request).annotate(stage_total=Count("stages", distinct=True))

    @admin.display(description=_("Stages"), ordering="stage_total")
    def stage_count(self, obj: Any) -> int:  # a Pipeline with stage_total (get_queryset)
        return obj.stage_total


# --- SLA settings: forms that only parse; the service validates and saves ---------------------


class _ParseOnlyMixin:
    """Skip per-row model validation (constraints, uniqueness) of these admin forms.

    The rows are never saved by the forms: the service validates the whole document at once,
    with clearer messages, and row-by-row uniqueness checks against the database would refuse
    valid edits such as two holidays swapping dates.
    """

    def _post_clean(self) -> None:
        pass


class SlaSettingsAdminForm(_ParseOnlyMixin, forms.ModelForm):
    """The settings' general fields; its inline formsets hold the rows. A valid form holds the
    whole document (``sla_document``); once saved, the fields the save changed
    (``changed_fields``, empty when nothing was saved)."""

    sla_document: dict[str, Any]
    changed_fields: list[str]

    base_version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": _("This form is out of date: reload it.")},
    )
    timezone = forms.ChoiceField(
        choices=(),
        widget=ZoneSelect,
        error_messages={"invalid_choice": _("%(value)s is not a known time zone.")},
    )

    class Meta:
        model = SlaSettings
        fields = ("applies", "timezone", "goals_enabled", "scope", "property", "pause_stages")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone_field = self.fields["timezone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = timezone_choices()
        self.fields["base_version"].initial = self.instance.version
        self.sla_document = {}
        self.changed_fields = []

    def clean(self) -> dict[str, Any]:
        """Validate the whole document (this form and its inlines) before anything is saved.

        The inline formsets register themselves on the instance (``SettingsInlineFormSet``);
        the admin builds them before it validates this form.
        """
        cleaned = super().clean() or self.cleaned_data
        base = cleaned.get("base_version")
        if base is not None and base != self.instance.version:
            raise forms.ValidationError(
                _(
                    "The SLA settings changed since you opened this form (version %(base)s; now "
                    "%(current)s). Nothing was saved: reload and make your change again."
                )
                % {"base": base, "current": self.instance.version}
            )
        formsets = getattr(self.instance, "_admin_inline_formsets", {})
        if self.errors or not all(formset.is_valid() for formset in formsets.values()):
            return cleaned  # the parse errors first
        built = _AdminDocument(self, formsets)
        try:
            # Its own savepoint: a failed read leaves the admin's transaction usable.
            with transaction.atomic():
                _parsed, errors = sla_settings_validate(built.document)
        except DatabaseError:
            logger.exception("SLA settings validation in the admin failed in the database")
            raise forms.ValidationError(_(SAVE_FAILED_MESSAGE)) from None
        if errors:
            built.apply_errors(errors)
        self.sla_document = built.document
        return cleaned


class WorkingPeriodAdminForm(_ParseOnlyMixin, forms.ModelForm):
    weekday = forms.TypedChoiceField(
        coerce=int, choices=[(index, name) for index, name in enumerate(WEEKDAY_NAMES)]
    )
    start = forms.CharField(max_length=20, help_text=_("HH:MM"))
    end = forms.CharField(max_length=20, help_text=_("HH:MM; 24:00 is midnight at the end"))

    class Meta:
        model = WorkingPeriod
        fields = ("weekday",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("start", minutes_to_clock(self.instance.start_minute))
            self.initial.setdefault("end", minutes_to_clock(self.instance.end_minute))


class HolidayAdminForm(_ParseOnlyMixin, forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ("date", "name", "recurring")


class SlaGoalAdminForm(_ParseOnlyMixin, forms.ModelForm):
    """One goal row: its scope and the value's key, as the settings document names them."""

    scope = forms.ChoiceField(
        choices=[(key, str(SCOPE_LABELS[key])) for key in SCOPE_KEYS],
        help_text=_("Only the rows of the scope chosen above apply; the others are kept."),
    )
    value = forms.CharField(
        required=False,
        max_length=100,
        help_text=_(
            "The value's key: a priority or source (urgent, email), a team's or pipeline's "
            "slug; empty for all tickets and for the “No priority” / “No team” row."
        ),
    )

    class Meta:
        model = SlaGoal
        fields = ("enabled", *GOAL_FIELDS)
        # The settings page's terms ("Time to first reply"), in minutes here.
        labels = {
            "enabled": GOAL_FIELD_TITLES["enabled"],
            **{name: f"{GOAL_FIELD_TITLES[name]} (minutes)" for name in GOAL_FIELDS},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("scope", self.instance.scope)
            self.initial.setdefault("value", self.instance.key)


class SettingsInlineFormSet(forms.BaseInlineFormSet):
    """Registers itself with the main form, so the main form can validate the whole document."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        registry = getattr(self.instance, "_admin_inline_formsets", None)
        if registry is None:
            registry = {}
            self.instance._admin_inline_formsets = registry
        registry[self.model] = self

    def validate_unique(self) -> None:
        """Duplicates are refused by the service, with the row's path."""

    def kept_forms(self) -> list[forms.ModelForm]:
        """Forms whose rows the document should hold: not deleted, not blank extras."""
        kept = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            kept.append(form)
        return kept


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    form = WorkingPeriodAdminForm
    formset = SettingsInlineFormSet
    fields = ("weekday", "start", "end")
    extra = 0
    ordering = ("weekday", "start_minute")


class HolidayInline(admin.TabularInline):
    model = Holiday
    form = HolidayAdminForm
    formset = SettingsInlineFormSet
    fields = ("date", "name", "recurring")
    extra = 0


class SlaGoalInline(admin.StackedInline):
    model = SlaGoal
    form = SlaGoalAdminForm
    formset = SettingsInlineFormSet
    ordering = ("scope", "id")
    fields = (
        ("scope", "value", "enabled"),
        ("first_response_minutes", "first_response_due_soon_minutes"),
        ("next_response_minutes", "next_response_due_soon_minutes"),
        ("close_minutes", "close_due_soon_minutes"),
    )
    extra = 0
    verbose_name = "goal row (minutes)"
    verbose_name_plural = (
        "goals (minutes; one row per value of each scope: all tickets, priority, team, source, "
        "pipeline)"
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[SlaGoal]:
        return super().get_queryset(request).select_related("team", "pipeline")


class _AdminDocument(ErrorRouting):
    """The settings document built from the admin forms, and where each of its rows came from,
    so that the service's errors go back onto them as on the settings page (``ErrorRouting``)."""

    general_fields = {
        **{name: name for name in ("applies", "timezone", "goals_enabled", "scope", "property")},
        "pause_statuses": "pause_stages",
    }
    notes_hidden_scopes = False  # the admin lists the rows of every scope

    def goal_field_name(self, name: str) -> str:
        return name  # the admin's goal rows are in minutes, one field per goal

    def __init__(self, form: SlaSettingsAdminForm, formsets: dict[type, Any]) -> None:
        self.general = form
        self.other_errors = []
        self.working_hours_errors = []
        self.holiday_errors = []
        self.goal_errors = []
        data = form.cleaned_data
        self.period_forms: dict[str, list[forms.ModelForm]] = {day: [] for day in WEEKDAYS}
        working_hours: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
        for period_form in _kept(formsets.get(WorkingPeriod)):
            period = period_form.cleaned_data
            day = WEEKDAYS[period["weekday"]]
            working_hours[day].append(
                [clock_normalise(period["start"]), clock_normalise(period["end"])]
            )
            self.period_forms[day].append(period_form)
        self.holiday_forms = _kept(formsets.get(Holiday))
        scope_all = data.get("scope") == SlaSettings.Scope.ALL
        chosen = chosen_scope_key(scope=data.get("scope") or "", prop=data.get("property"))
        # Rows by document path: the chosen scope's under "goals", each other scope's under
        # "goals_by_scope.<scope>" (every scope is sent, so a row deleted here is deleted).
        self.goal_forms: dict[str, list[forms.ModelForm]] = {"goals": []}
        self.goal_forms |= {f"goals_by_scope.{key}": [] for key in SCOPE_KEYS if key != chosen}
        for goal_form in _kept(formsets.get(SlaGoal)):
            scope = goal_form.cleaned_data.get("scope")
            path = "goals" if scope == chosen else f"goals_by_scope.{scope}"
            self.goal_forms.setdefault(path, []).append(goal_form)
        self._period_forms = self.period_forms
        self._holiday_forms = self.holiday_forms
        self._goal_forms = self.goal_forms
        self.document = {
            "version": data.get("base_version"),
            "applies": data.get("applies"),
            "timezone": data.get("timezone"),
            "working_hours": working_hours,
            "holidays": [
                {
                    "date": f.cleaned_data["date"].isoformat(),
                    "name": f.cleaned_data.get("name") or "",
                    "recurring": bool(f.cleaned_data.get("recurring")),
                }
                for f in self.holiday_forms
            ],
            "pause_statuses": [stage.key for stage in data.get("pause_stages") or []],
            "goals_enabled": bool(data.get("goals_enabled")),
            "scope": data.get("scope"),
            "property": None if scope_all else (data.get("property") or None),
            "goals": [_goal_item(f) for f in self.goal_forms["goals"]],
            "goals_by_scope": {
                path.split(".", 1)[1]: [_goal_item(f) for f in goal_forms]
                for path, goal_forms in self.goal_forms.items()
                if path != "goals"
            },
        }

    def apply_errors(self, errors: Mapping[str, Iterable[str]]) -> None:
        """Put each error on the admin field or inline row its path names (the page's routing),
        and what names no row above the form."""
        super().apply_errors(errors)
        sections = (
            (_("Working hours"), self.working_hours_errors),
            (_("Holidays"), self.holiday_errors),
            (_("Goals"), self.goal_errors),
        )
        for title, section_errors in sections:
            for message in section_errors:
                self.general.add_error(None, f"{title}: {message}")
        for message in self.other_errors:
            self.general.add_error(None, message)
        self.general.add_error(None, _("Nothing was saved — fix the marked fields."))


def _goal_item(form: forms.ModelForm) -> dict[str, Any]:
    """A goal row of the document from an inline form (the empty key: null)."""
    data = form.cleaned_data
    return {
        "value": data.get("value") or None,
        "enabled": bool(data.get("enabled")),
        **{name: data.get(name) for name in GOAL_FIELDS},
    }


def _kept(formset: Any) -> list[forms.ModelForm]:
    if formset is None:
        return []
    if not formset.is_valid():
        return []
    return formset.kept_forms()


@admin.register(SlaSettings)
class SlaSettingsAdmin(SuperAdminOnlyMixin, admin.ModelAdmin):
    form = SlaSettingsAdminForm
    list_display = ("__str__", "applies", "timezone", "goals_enabled", "scope", "property")
    readonly_fields = ("version", "updated_at")
    fieldsets = (
        (None, {"fields": ("version", "updated_at", "base_version")}),
        ("When SLAs apply", {"fields": ("applies", "timezone")}),
        ("Pause", {"fields": ("pause_stages",)}),
        ("Goals", {"fields": ("goals_enabled", "scope", "property")}),
    )
    filter_horizontal = ("pause_stages",)
    inlines = (WorkingPeriodInline, HolidayInline, SlaGoalInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        if db_field.name == "pause_stages":
            kwargs["queryset"] = Stage.objects.filter(is_closed=False).select_related("pipeline")
            kwargs["help_text"] = "Open stages in which every running clock of a ticket stops."
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # The change is saved by the service in save_related, never by the forms. What it did is
    # told by the instance (its version is the saved one) and the form (the changed fields).
    def save_model(self, request: HttpRequest, obj: SlaSettings, form: Any, change: bool) -> None:
        pass

    def save_related(
        self, request: HttpRequest, form: SlaSettingsAdminForm, formsets: Any, change: bool
    ) -> None:
        try:
            result = sla_settings_save(
                document=form.sla_document,
                actor=request.user,
                via=SlaSettingsChange.Via.ADMIN,
                apply_to="new",
            )
        except (SettingsValidationError, SettingsVersionConflict) as exc:
            # Only when something changed between validation and save (a concurrent edit).
            detail = "; ".join(
                f"{path}: {' '.join(msgs)}" for path, msgs in getattr(exc, "errors", {}).items()
            )
            self.message_user(
                request, f"Nothing was saved. {detail or exc}".strip(), level=messages.ERROR
            )
            return
        except DatabaseError:
            # The service's transaction (a savepoint inside the admin's own) was rolled back
            # whole, and the admin's transaction is still usable: tell the user, keep nothing.
            logger.exception("SLA settings save from the admin failed in the database")
            self.message_user(request, _(SAVE_FAILED_MESSAGE), level=messages.ERROR)
            return
        if result.change is None:
            self.message_user(
                request, _("No changes: the settings are as they were, so nothing was saved.")
            )
            return
        form.instance.version = result.document["version"]
        form.changed_fields = [str(change["field"]) for change in result.change.changes]

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list[dict[str, Any]]:
        # The inline formsets were not saved, so Django's own message cannot be built; nothing
        # saved (refused, unchanged): no message.
        if not form.changed_fields:
            return []
        return [{"changed": {"fields": form.changed_fields}}]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if not message:  # nothing was saved: nothing to log
            return None
        return super().log_change(request, obj, message)

    def response_change(self, request: HttpRequest, obj: SlaSettings) -> HttpResponse:
        if str(obj.version) == request.POST.get("base_version"):
            # Nothing was saved (refused, or no change): save_related said why; back to the form.
            return HttpResponseRedirect(request.path)
        self.message_user(
            request,
            _("Saved as version %(version)s; the change applies to new tickets.")
            % {"version": obj.version},
            level=messages.SUCCESS,
        )
        return super().response_change(request, obj)


# --- Team schedules (SPEC §2.1): edited here, saved through the same service -------------------


class TeamScheduleAdminForm(_ParseOnlyMixin, forms.ModelForm):
    """A team schedule: its teams, zone, and (inlines) periods and holidays. ``clean`` puts it
    into the whole settings document and validates that, as a save would."""

    base_version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": _("This form is out of date: reload it.")},
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.order_by("name"),
        help_text=_("The teams whose tickets count in this schedule (a team is in one at most)."),
    )
    timezone = forms.ChoiceField(
        choices=(),
        widget=ZoneSelect,
        error_messages={"invalid_choice": _("%(value)s is not a known time zone.")},
    )

    class Meta:
        model = TeamSchedule
        fields = ("timezone",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone_field = self.fields["timezone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = timezone_choices()
        settings_row = SlaSettings.objects.filter(pk=1).first()
        self.fields["base_version"].initial = settings_row.version if settings_row else 1
        if self.instance.pk:
            self.fields["teams"].initial = [m.team_id for m in self.instance.members.all()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        formsets = getattr(self.instance, "_admin_inline_formsets", {})
        if self.errors or not all(formset.is_valid() for formset in formsets.values()):
            return cleaned
        working_hours: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
        self.period_forms: dict[str, list[forms.ModelForm]] = {day: [] for day in WEEKDAYS}
        for period_form in _kept(formsets.get(TeamSchedulePeriod)):
            period = period_form.cleaned_data
            day = WEEKDAYS[period["weekday"]]
            working_hours[day].append(
                [clock_normalise(period["start"]), clock_normalise(period["end"])]
            )
            self.period_forms[day].append(period_form)
        self.holiday_forms = _kept(formsets.get(TeamScheduleHoliday))
        schedule = {
            "teams": [team.slug for team in cleaned.get("teams") or []],
            "timezone": cleaned.get("timezone"),
            "working_hours": working_hours,
            "holidays": [
                {
                    "date": f.cleaned_data["date"].isoformat(),
                    "name": f.cleaned_data.get("name") or "",
                    "recurring": bool(f.cleaned_data.get("recurring")),
                }
                for f in self.holiday_forms
            ],
        }
        try:
            with transaction.atomic():
                document = sla_settings_document()
                mine = team_schedule_item(self.instance) if self.instance.pk else None
                schedules = [s for s in document["team_schedules"] if s != mine]
                self.schedule_index = len(schedules)
                document["team_schedules"] = [*schedules, schedule]
                document["version"] = cleaned.get("base_version")
                _parsed, errors = sla_settings_validate(document)
        except DatabaseError:
            logger.exception("Team schedule validation in the admin failed in the database")
            raise forms.ValidationError(SAVE_FAILED_MESSAGE) from None
        if errors:
            self._apply_errors(errors)
        self.sla_document = document
        return cleaned

    def _apply_errors(self, errors: dict[str, list[str]]) -> None:
        prefix = f"team_schedules.{self.schedule_index}."
        for path, messages_ in errors.items():
            for message in messages_:
                parts = path[len(prefix) :].split(".") if path.startswith(prefix) else []
                if parts and parts[0] in ("teams", "timezone"):
                    self.add_error(parts[0], message)
                elif len(parts) >= 3 and parts[0] == "working_hours" and parts[2].isdigit():
                    rows = self.period_forms.get(parts[1], [])
                    if int(parts[2]) < len(rows):
                        rows[int(parts[2])].add_error(None, message)
                    else:
                        self.add_error(None, _("Working hours: %(message)s") % {"message": message})
                elif len(parts) >= 2 and parts[0] == "holidays" and parts[1].isdigit():
                    index = int(parts[1])
                    if index < len(self.holiday_forms):
                        self.holiday_forms[index].add_error(None, message)
                    else:
                        self.add_error(None, _("Holidays: %(message)s") % {"message": message})
                else:
                    self.add_error(None, f"{path}: {message}" if path else message)
        self.add_error(None, _("Nothing was saved — fix the marked fields."))


class TeamSchedulePeriodAdminForm(WorkingPeriodAdminForm):
    class Meta:
        model = TeamSchedulePeriod
        fields = ("weekday",)


class TeamScheduleHolidayAdminForm(_ParseOnlyMixin, forms.ModelForm):
    class Meta:
        model = TeamScheduleHoliday
        fields = ("date", "name", "recurring")


class TeamSchedulePeriodInline(admin.TabularInline):
    model = TeamSchedulePeriod
    form = TeamSchedulePeriodAdminForm
    formset = SettingsInlineFormSet
    fields = ("weekday", "start", "end")
    extra = 0
    ordering = ("weekday", "start_minute")


class TeamScheduleHolidayInline(admin.TabularInline):
    model = TeamScheduleHoliday
    form = TeamScheduleHolidayAdminForm
    formset = SettingsInlineFormSet
    fields = ("date", "name", "recurring")
    extra = 0


@admin.register(TeamSchedule)
class TeamScheduleAdmin(SuperAdminOnlyMixin, admin.ModelAdmin):
    """Team schedules, saved as the whole settings document through ``sla_settings_save`` (via
    "admin", for new tickets only), like the SLA settings change form."""

    form = TeamScheduleAdminForm
    list_display = ("__str__", "timezone")
    fields = ("base_version", "teams", "timezone")
    inlines = (TeamSchedulePeriodInline, TeamScheduleHolidayInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_super_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_super_admin(request.user)

    def save_model(self, request: HttpRequest, obj: TeamSchedule, form: Any, change: bool) -> None:
        pass

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        self._save(request, form.sla_document)

    def _save(self, request: HttpRequest, document: dict[str, Any]) -> None:
        try:
            result = sla_settings_save(
                document=document,
                actor=request.user,
                via=SlaSettingsChange.Via.ADMIN,
                apply_to="new",
            )
        except (SettingsValidationError, SettingsVersionConflict) as exc:
            detail = "; ".join(
                f"{path}: {' '.join(msgs)}" for path, msgs in getattr(exc, "errors", {}).items()
            )
            self.message_user(
                request, f"Nothing was saved. {detail or exc}".strip(), level=messages.ERROR
            )
            return
        except DatabaseError:
            logger.exception("Team schedule save from the admin failed in the database")
            self.message_user(request, SAVE_FAILED_MESSAGE, level=messages.ERROR)
            return
        if result.change is not None:
            self.message_user(
                request,
                f"Saved as version {result.document['version']}; the change applies to new "
                "tickets.",
                level=messages.SUCCESS,
            )

    def delete_model(self, request: HttpRequest, obj: TeamSchedule) -> None:
        document = sla_settings_document()
        mine = team_schedule_item(obj)
        document["team_schedules"] = [s for s in document["team_schedules"] if s != mine]
        self._save(request, document)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None  # the settings audit log records the change

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        return None

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list[dict[str, Any]]:
        return []

    def response_add(
        self, request: HttpRequest, obj: TeamSchedule, post_url_continue: str | None = None
    ) -> HttpResponse:
        return HttpResponseRedirect("../")

    def response_change(self, request: HttpRequest, obj: TeamSchedule) -> HttpResponse:
        return HttpResponseRedirect("../../")


# --- Audit log (read-only) ---------------------------------------------------------------------


@admin.register(SlaSettingsChange)
class SlaSettingsChangeAdmin(SuperAdminOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor_username", "via", "api_token", "version", "apply_to")
    list_filter = ("via",)
    search_fields = ("actor_username", "api_token")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    fields = (
        "created_at",
        "actor",
        "actor_username",
        "via",
        "api_token",
        "version",
        "apply_to",
        "changes",
        "before",
        "after",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Users ------------------------------------------------------------------------------------


class StaffSafeUserAdmin(UserAdmin):
    """Support staff manage users, but only a super admin makes, edits or removes super admins
    and grants permissions: otherwise "change user" would let staff become one (or set a super
    admin's password) and reach the SLA settings."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return (*fields, "is_superuser", "groups", "user_permissions")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), StaffSafeUserAdmin)
# Sign-in attempts (django-axes): a super admin's are hidden from other staff.
sign_in_admin.register(admin.site)
