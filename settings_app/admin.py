"""Django admin for the reference data and the SLA settings.

The SLA settings and team schedule change forms are the settings page's own forms
(``SlaSettingsForms``, ``TeamSchedulesForms``) in the admin's frame: they parse what was typed into
the settings document, ``sla_settings_save`` validates and saves it (via "admin", applied to new
tickets only, SPEC §2.7) as it does for the page and the API, and the service's errors go back
next to the fields they name through the page's own routing. Nothing is saved unless the whole
document is valid; a stale form (the settings changed since it was opened) is refused; a
database failure in the middle of the save keeps nothing (the service's transaction is rolled
back) and brings the user back to the change form with what they typed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from settings_app.document import WEEKDAYS
from settings_app.forms import SlaSettingsForms
from settings_app.forms.errors import NO_CHANGES_MESSAGE, conflict_message
from settings_app.forms.fields import TIME_OPTIONS
from settings_app.forms.schedules import TeamSchedulesForms
from settings_app.models import (
    Pipeline,
    SlaSettings,
    SlaSettingsChange,
    Stage,
    Team,
    TeamSchedule,
)
from settings_app.selectors import page_reference, sla_settings_document, team_schedule_item
from settings_app.services import (
    SAVE_FAILED_MESSAGE,
    ReferenceInUse,
    SaveResult,
    SettingsValidationError,
    SettingsVersionConflict,
    reference_delete,
    reference_save,
    reference_uses,
    sla_settings_save,
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


# --- SLA settings and team schedules: the settings page's forms, saved through the service -----


BLANK_HOLIDAY_ROWS = 3
OUT_OF_DATE_MESSAGE = gettext_noop(
    "This page is out of date: reload it and make your change again."
)


@dataclass(frozen=True)
class Refused:
    """A save the service refused as a whole: the settings changed since the form was opened,
    or the database failed (``save_failed``); either way nothing was saved."""

    message: str
    save_failed: bool = False


def with_blank_rows(schedule: Mapping[str, Any]) -> dict[str, Any]:
    """A schedule (the default one, or a team's) with one blank period row on each day and a
    few blank holidays: the admin has no script to add rows, so a person fills a blank one (and
    clears a row to remove it; blank rows are left out of the document)."""
    hours = schedule.get("working_hours") or {}
    return {
        **schedule,
        "working_hours": {day: [*hours.get(day, []), ["", ""]] for day in WEEKDAYS},
        "holidays": [
            *(schedule.get("holidays") or []),
            *({"date": "", "name": ""} for _ in range(BLANK_HOLIDAY_ROWS)),
        ],
    }


class AdminSettingsForms(SlaSettingsForms):
    """The settings page's forms as the admin shows them: every scope's goal rows at once, so
    an error in a scope not chosen needs no "choose it to see the marked rows" note."""

    notes_hidden_scopes = False


class SettingsFormAdmin(SuperAdminOnlyMixin, admin.ModelAdmin):
    """What the SLA settings and team schedule change forms share: the admin's frame around the
    settings page's forms, and one save through ``sla_settings_save`` (via "admin", new tickets
    only, SPEC §2.7) whose refusals go back to the forms."""

    # Whether "Save and continue editing" is offered (it needs the object to outlive the save).
    continues_editing = True

    def form_context(self, request: HttpRequest, obj: Any, *, title: str) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": obj,
            "add": obj is None,
            "change": obj is not None,
            "has_view_permission": self.has_view_permission(request, obj),
            "title": title,
            "subtitle": str(obj) if obj is not None else None,
            "time_options": TIME_OPTIONS,
            "can_continue": obj is not None and self.continues_editing,
        }

    def save_document(
        self, request: HttpRequest, document: dict[str, Any]
    ) -> SaveResult | Mapping[str, list[str]] | Refused:
        """Save ``document``: its result, the service's errors by document path (the caller
        routes them onto its forms), or why it was refused (a stale form, the database).
        Nothing is kept unless the whole save succeeds (the service's transaction)."""
        try:
            return sla_settings_save(
                document=document,
                actor=request.user,
                via=SlaSettingsChange.Via.ADMIN,
                apply_to="new",
            )
        except SettingsValidationError as exc:
            return exc.errors
        except SettingsVersionConflict as exc:
            return Refused(conflict_message(exc))
        except DatabaseError:
            logger.exception("SLA settings save from the admin failed in the database")
            return Refused(gettext(SAVE_FAILED_MESSAGE), save_failed=True)

    def tell_saved(self, request: HttpRequest, result: SaveResult) -> None:
        if not result.changed:
            self.message_user(request, NO_CHANGES_MESSAGE, level=messages.INFO)
            return
        self.message_user(
            request,
            gettext("Saved as version %(version)s; the change applies to new tickets.")
            % {"version": result.document["version"]},
            level=messages.SUCCESS,
        )


@admin.register(SlaSettings)
class SlaSettingsAdmin(SettingsFormAdmin):
    """The SLA settings, edited with the settings page's forms (``SlaSettingsForms``) and error
    routing. Its team schedules are not on this form (the POST carries none, so the saved ones
    are kept): they have their own admin below."""

    list_display = ("__str__", "applies", "timezone", "goals_enabled", "scope", "property")
    change_form_template = "admin/settings_app/slasettings/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        document = sla_settings_document()
        reference = page_reference()
        status = 200
        if request.method == "POST":
            page = AdminSettingsForms(document=document, reference=reference, data=request.POST)
            if page.is_valid():
                outcome = self.save_document(request, page.to_document())
                if isinstance(outcome, SaveResult):
                    return self._saved(request, obj, outcome)
                if isinstance(outcome, Refused) and outcome.save_failed:
                    page.save_failed = outcome.message
                    status = 503
                elif isinstance(outcome, Refused):
                    page.conflict = outcome.message
                else:
                    page.apply_errors(outcome)
        else:
            page = AdminSettingsForms(document=with_blank_rows(document), reference=reference)
        context = {
            **self.form_context(request, obj, title=gettext("Change SLA settings")),
            "page": page,
            "form": page.general,
            "form_version": page.general["version"].value(),
            "errors": page.has_errors,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.change_form_template, context, status=status)

    def _saved(self, request: HttpRequest, obj: SlaSettings, result: SaveResult) -> HttpResponse:
        self.tell_saved(request, result)
        if result.change is not None:
            fields = [str(change["field"]) for change in result.change.changes]
            self.log_change(request, obj, [{"changed": {"fields": fields}}])
        if "_continue" in request.POST or not self.has_view_permission(request):
            return HttpResponseRedirect(request.path)
        return HttpResponseRedirect(reverse("admin:settings_app_slasettings_changelist"))


@admin.register(TeamSchedule)
class TeamScheduleAdmin(SettingsFormAdmin):
    """A team schedule (SPEC §2.1), edited with the settings page's schedule forms
    (``TeamSchedulesForms``, one block) and saved as the whole settings document through
    ``sla_settings_save``, like the SLA settings change form. The settings audit log records
    each change (the service rebuilds the schedules, so there is no admin log entry to keep)."""

    list_display = ("__str__", "timezone")
    change_form_template = "admin/settings_app/teamschedule/change_form.html"
    continues_editing = False  # the save rebuilds the schedules, so this one's id goes

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_super_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_super_admin(request.user)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._schedule_view(request, None)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return self._schedule_view(request, obj)

    def _schedule_view(self, request: HttpRequest, obj: TeamSchedule | None) -> HttpResponse:
        document = sla_settings_document()
        schedules = list(document["team_schedules"])
        mine = team_schedule_item(obj) if obj is not None else None
        index = schedules.index(mine) if mine in schedules else len(schedules)
        team_choices = page_reference().property_values["team"]
        status = 200
        if request.method == "POST":
            schedule_forms = TeamSchedulesForms(
                document={}, team_choices=team_choices, data=request.POST
            )
            version = _posted_version(request.POST)
            if not schedule_forms.posted or len(schedule_forms.live_blocks()) != 1:
                version = None
            if version is None:
                schedule_forms.errors.append(gettext(OUT_OF_DATE_MESSAGE))
            elif schedule_forms.is_valid():
                sent = schedule_forms.to_document() or []
                schedules[index : index + 1] = sent
                outcome = self.save_document(
                    request, {**document, "team_schedules": schedules, "version": version}
                )
                if isinstance(outcome, SaveResult):
                    self.tell_saved(request, outcome)
                    return HttpResponseRedirect(
                        reverse("admin:settings_app_teamschedule_changelist")
                    )
                if isinstance(outcome, Refused):
                    schedule_forms.errors.append(outcome.message)
                    status = 503 if outcome.save_failed else status
                else:
                    _route_schedule_errors(schedule_forms, outcome, index=index)
        else:
            start = mine or {
                "teams": [],
                "timezone": document["timezone"],
                "working_hours": document["working_hours"],
                "holidays": document["holidays"],
            }
            schedule_forms = TeamSchedulesForms(
                document={"team_schedules": [with_blank_rows(start)]}, team_choices=team_choices
            )
        title = gettext("Change team schedule") if obj else gettext("Add team schedule")
        context = {
            **self.form_context(request, obj, title=title),
            "schedules": schedule_forms,
            "schedule": schedule_forms.blocks[0] if schedule_forms.blocks else None,
            # Kept as posted: a stale form stays stale until it is reloaded.
            "form_version": request.POST.get("version", "")
            if request.method == "POST"
            else document["version"],
            "errors": schedule_forms.has_errors,
        }
        return TemplateResponse(request, self.change_form_template, context, status=status)

    def delete_model(self, request: HttpRequest, obj: TeamSchedule) -> None:
        document = sla_settings_document()
        mine = team_schedule_item(obj)
        document["team_schedules"] = [s for s in document["team_schedules"] if s != mine]
        outcome = self.save_document(request, document)
        if isinstance(outcome, SaveResult):
            return
        why = (
            [outcome.message]
            if isinstance(outcome, Refused)
            else [f"{path}: {message}" for path, found in outcome.items() for message in found]
        )
        self.message_user(
            request,
            gettext("Nothing was saved: %(why)s") % {"why": " ".join(why)},
            level=messages.ERROR,
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def log_deletion(self, request: HttpRequest, obj: Any, object_repr: str) -> Any:
        return None  # the settings audit log records the change

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        return None


def _posted_version(data: Mapping[str, Any]) -> int | None:
    """The settings version the form was opened at (None: missing or not a number)."""
    raw = str(data.get("version", ""))
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _route_schedule_errors(
    schedule_forms: TeamSchedulesForms, errors: Mapping[str, Iterable[str]], *, index: int
) -> None:
    """The service's errors of the schedule at ``index`` of the document onto the one block
    shown (the page's routing, ``TeamSchedulesForms.apply_error``); the rest above the form."""
    own = f"team_schedules.{index}"
    for path, messages_ in errors.items():
        for message in messages_:
            parts = str(path).split(".")
            if str(path).startswith(own + ".") and schedule_forms.apply_error(
                ["0", *parts[2:]], str(message)
            ):
                continue
            schedule_forms.errors.append(f"{path}: {message}")


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
