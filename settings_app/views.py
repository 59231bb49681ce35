"""Settings pages for super admins: the SLA settings, their audit log, and two htmx fragments.

The page's forms parse what was typed into the settings document; ``sla_settings_save`` validates
and saves it (the one write path, shared with the API and the admin). Errors come back keyed by
document path and are shown next to the fields they name.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from settings_app.display import audit_rows_of, day_length_note, dry_run_display, hours_summary
from settings_app.forms import PeriodFormSet, SlaSettingsForms, clock_normalise
from settings_app.forms.errors import NO_CHANGES_MESSAGE, conflict_message
from settings_app.forms.fields import TIME_OPTIONS
from settings_app.forms.public_holidays import PublicHolidaysForm, this_year
from settings_app.holiday_sources import (
    FIRST_YEAR,
    LAST_YEAR,
    HolidaySourceError,
    country_choices,
)
from settings_app.models import SlaSettingsChange, Stage
from settings_app.selectors import page_reference, sla_settings_document
from settings_app.services import (
    SAVE_FAILED_MESSAGE,
    CheckResult,
    SettingsValidationError,
    SettingsVersionConflict,
    sla_settings_check,
    sla_settings_save,
)
from settings_app.ticket_side import PreviewRun, Recompute, ticket_side
from slaproject.api import is_super_admin
from slaproject.health.selectors import recompute_waiting_since

logger = logging.getLogger(__name__)
AUDIT_PAGE_SIZE = 25
# Changes listed in the apply dialog before "and N more".
APPLY_DIALOG_CHANGES = 8
# The period rows of the default schedule ("period") or of a team schedule ("ts-3-period").
SCHEDULE_PERIOD_PREFIX = re.compile(r"(ts-\d{1,3}-)?period")


def _require_super_admin(request: HttpRequest) -> None:
    if not is_super_admin(request.user):
        raise PermissionDenied


# --- Reads for the page (small selectors) ----------------------------------------------------


def open_ticket_count() -> int:
    """Tickets a "new and open tickets" save would recompute."""
    return ticket_side().open_tickets_count()


def recompute_to_show(request: HttpRequest) -> Recompute | None:
    """The recompute named in ``?recompute=`` (after a save), else the newest still running."""
    wanted = request.GET.get("recompute", "")
    if wanted.isdigit() and len(wanted) < 19:
        found = ticket_side().recompute_get(int(wanted))
        if found is not None:
            return found
    return ticket_side().recompute_latest_unfinished()


def recompute_context(request: HttpRequest, recompute: Recompute | None) -> dict[str, Any]:
    """The progress card's context: the recompute, and since when it waits for a worker."""
    if recompute is None:
        return {"recompute": None}
    return {
        "recompute": recompute,
        "waiting_since": recompute_waiting_since(recompute, now=timezone.now()),
    }


# --- Pages -----------------------------------------------------------------------------------


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    _require_super_admin(request)
    return redirect("settings_app:sla")


def stage_names() -> dict[str, str]:
    """Stage keys ("support/waiting-on-customer") to names ("Support › Waiting on customer")."""
    stages = Stage.objects.select_related("pipeline").order_by("pipeline__position", "position")
    return {stage.key: str(stage) for stage in stages}


@dataclass
class Check:
    """What the server found when it checked the page's settings before asking how to apply.

    ``outcome``: "invalid" (errors are on the page's forms), "conflict", "failed" (the database),
    "unchanged" (nothing to save) or "changed" (``changes`` lists what would change).
    """

    outcome: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    open_tickets: int = 0
    # What the service found ("changed" only): the parsed settings and the document as it would
    # be saved, for whatever the dialog shows of the change (a dry run, say).
    result: CheckResult | None = None


def _check(page: SlaSettingsForms) -> Check:
    """Validate what the page holds, as a save would, and see what it would change."""
    if not page.is_valid():
        return Check("invalid")
    try:
        result = sla_settings_check(document=page.to_document())
    except SettingsValidationError as exc:
        page.apply_errors(exc.errors)
        return Check("invalid")
    except SettingsVersionConflict as exc:
        page.conflict = conflict_message(exc)
        return Check("conflict")
    except DatabaseError:
        logger.exception("SLA settings check failed in the database")
        page.save_failed = gettext(SAVE_FAILED_MESSAGE)
        return Check("failed")
    if not result.changes:
        return Check("unchanged")
    return Check("changed", changes=result.changes, open_tickets=open_ticket_count(), result=result)


def apply_dialog_context(
    check: Check, *, dry_run: bool = True, requested_by: Any = None
) -> dict[str, Any]:
    """The apply dialog's content, rendered only after the change was validated: what changes,
    where it may apply (the open tickets it would recompute) and what that would do to them
    (the dry run; with ``dry_run=False`` a placeholder the page's script fills in)."""
    rows = audit_rows_of(check.changes, stage_names=stage_names())
    return {
        "check": check,
        "change_rows": rows[:APPLY_DIALOG_CHANGES],
        "more_changes": max(0, len(rows) - APPLY_DIALOG_CHANGES),
        "open_tickets": check.open_tickets,
        **(_dry_run(check, requested_by=requested_by) if dry_run else {"preview": None}),
        "dry_run_pending": not dry_run and bool(check.open_tickets),
    }


def _dry_run(check: Check, *, requested_by: Any) -> dict[str, Any]:
    """What "new and open tickets" would do now, for the dialog: ``{"preview": …}`` (None:
    nothing to say), or above ``SLA_PREVIEW_INLINE_MAX_TICKETS`` open tickets ``{"run": …}``,
    a dry run started in the background, whose block follows its progress."""
    result = check.result
    config = result.config if result is not None else None
    if result is None or config is None or not check.open_tickets:
        return {"preview": None}
    if check.open_tickets > settings.SLA_PREVIEW_INLINE_MAX_TICKETS:
        run = ticket_side().settings_preview_start(
            document=result.after,
            settings_version=result.before["version"],
            changes=result.changes,
            tickets=check.open_tickets,
            requested_by=requested_by,
        )
        return dry_run_run_context(run)
    preview = ticket_side().settings_preview(config=config, now=timezone.now())
    return {"preview": dry_run_display(preview.as_json())}


def dry_run_run_context(run: PreviewRun) -> dict[str, Any]:
    """A background dry run's block: its progress, its failure, or its counts once done."""
    if run.state == "done" and run.result is not None:
        return {"preview": dry_run_display(run.result)}
    return {
        "run": run,
        "percent": min(100, run.done * 100 // run.tickets) if run.tickets else 0,
        "error": gettext(run.error) if run.error else "",
    }


def _save(request: HttpRequest, page: SlaSettingsForms) -> HttpResponse | None:
    """Save what the page holds; a redirect on success (or when nothing changed), else None
    with the errors on the page."""
    try:
        result = sla_settings_save(
            document=page.to_document(),
            actor=request.user,
            via=SlaSettingsChange.Via.PAGE,
            apply_to=page.apply_to,
        )
    except SettingsValidationError as exc:
        page.apply_errors(exc.errors)
        return None
    except SettingsVersionConflict as exc:
        page.conflict = conflict_message(exc)
        return None
    except DatabaseError:  # the save is one transaction: it was rolled back whole
        logger.exception("SLA settings save failed in the database")
        page.save_failed = gettext(SAVE_FAILED_MESSAGE)
        return None
    url = reverse("settings_app:sla")
    if not result.changed:
        messages.info(request, NO_CHANGES_MESSAGE)
        return redirect(url)
    text = gettext("SLA settings saved (version %(version)s).") % {
        "version": result.document["version"]
    }
    if result.recompute is not None:
        count = result.recompute.tickets
        text += " " + ngettext(
            "They apply to new tickets and the %(count)s open ticket.",
            "They apply to new tickets and the %(count)s open tickets.",
            count,
        ) % {"count": intcomma(count)}
        url += f"?recompute={result.recompute.pk}"
    messages.success(request, text)
    return redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def sla_settings_page(request: HttpRequest) -> HttpResponse:
    """The SLA settings. Save first checks (``intent=check``): errors go next to their fields, a
    change that changes nothing says so, and only a valid change asks how to apply it (the
    apply dialog, whose Save posts ``intent=save``). A POST without an intent saves at once."""
    _require_super_admin(request)
    document = sla_settings_document()
    reference = page_reference()
    status = 200
    dialog: dict[str, Any] | None = None
    notice = ""
    if request.method == "POST":
        page = SlaSettingsForms(document=document, reference=reference, data=request.POST)
        if request.POST.get("intent") == "check":
            check = _check(page)
            if check.outcome == "changed" and check.open_tickets == 0:
                response = _save(request, page)  # nothing to ask: no open ticket to recompute
                if response is not None:
                    return response
            elif check.outcome == "changed":
                dialog = apply_dialog_context(check, requested_by=request.user)
            elif check.outcome == "unchanged":
                notice = str(NO_CHANGES_MESSAGE)
            elif check.outcome == "failed":
                status = 503
        elif page.is_valid():
            response = _save(request, page)
            if response is not None:
                return response
            if page.save_failed:
                status = 503
    else:
        page = SlaSettingsForms(document=document, reference=reference)

    typed_hours = page.typed_working_hours()
    default_schedule = {
        "timezone": document["timezone"],
        "working_hours": document["working_hours"],
        "holidays": document["holidays"],
    }
    context: dict[str, Any] = {
        "nav": "settings",
        "tab": "sla",
        "page": page,
        "form": page.general,
        "saved_version": document["version"],
        "open_tickets": open_ticket_count(),
        **recompute_context(request, recompute_to_show(request)),
        "last_change": SlaSettingsChange.objects.defer("before", "after", "changes").first(),
        "time_options": TIME_OPTIONS,
        "hours_summary": hours_summary(typed_hours),
        "day_note": day_length_note(page.applies, typed_hours),
        "dialog": dialog,
        "notice": notice,
        "schedule_blocks": schedule_rows(page),
        "schedule_template": page.team_schedules.template_block(default=default_schedule),
        "default_team_slugs": {slug for slug, _ in page.team_schedules.default_teams()},
        "team_choices": page.reference.property_values.get("team", []),
        "schedules_total": page.team_schedules.total,
        **holiday_source_context(),
    }
    return render(request, "settings_app/sla_settings.html", context, status=status)


def schedule_rows(page: SlaSettingsForms) -> list[dict[str, Any]]:
    """The team schedules of the working-hours list, each with its weekly summary."""
    return [
        {
            "block": block,
            "summary": hours_summary(block.typed_working_hours()),
            "holidays": block.holiday_count(),
        }
        for block in page.team_schedules.blocks
    ]


def holiday_source_context() -> dict[str, Any]:
    """What "Add public holidays" offers: the countries, and the years it starts with."""
    year = this_year()
    return {
        "countries": country_choices(),
        "first_year": year,
        "last_year": year + 2,
        "year_bounds": (FIRST_YEAR, LAST_YEAR),
    }


@login_required
@require_POST
def holiday_source_fragment(request: HttpRequest) -> JsonResponse:
    """The holidays "Add public holidays" (``country``, ``subdivision``, ``first_year``,
    ``last_year``) or "Import .ics" (``ics_file``, with ``source=ics``) would add to a schedule
    being edited, as ``{"holidays": [{"date", "name"}, …]}``; nothing is saved. A refusal is a
    400 with ``{"error": message}``."""
    _require_super_admin(request)
    sources = PublicHolidaysForm(request.POST, request.FILES)
    try:
        found = sources.found(from_file=request.POST.get("source") == "ics")
    except HolidaySourceError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(
        {"holidays": [{"date": day.isoformat(), "name": name} for day, name in found]}
    )


@login_required
@require_POST
def sla_settings_check_fragment(request: HttpRequest) -> HttpResponse:
    """The apply dialog's body for what the page holds, after the server has validated it.

    Always 200 with ``data-outcome`` on its root: "changed" (the dialog body), "unchanged",
    "invalid", "conflict" or "failed" (the page's script then submits the page to show why).
    The dialog opens at once; its dry run (which reads every open ticket) comes from a second
    request with ``part=dry_run``, which answers the dry run's block alone (``#dry-run``).
    """
    _require_super_admin(request)
    page = SlaSettingsForms(
        document=sla_settings_document(), reference=page_reference(), data=request.POST
    )
    check = _check(page)
    if request.POST.get("part") == "dry_run":
        block = (
            _dry_run(check, requested_by=request.user)
            if check.outcome == "changed"
            else {"preview": None}
        )
        return _dry_run_block(request, block)
    context: dict[str, Any] = {"check": check}
    if check.outcome == "changed":
        context |= apply_dialog_context(check, dry_run=False)
    return render(request, "settings_app/_apply_dialog_body.html", context)


def _dry_run_block(request: HttpRequest, block: dict[str, Any]) -> HttpResponse:
    template = "_dry_run_progress.html" if "run" in block else "_dry_run.html"
    return render(request, f"settings_app/{template}", block)


@login_required
@require_GET
def dry_run_progress_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """A background dry run's block in the apply dialog: its progress (it polls itself every
    second), or its counts once done, or why it failed."""
    _require_super_admin(request)
    run = ticket_side().settings_preview_get(pk)
    if run is None:
        raise Http404("No such dry run.")
    return _dry_run_block(request, dry_run_run_context(run))


@login_required
@require_GET
def hours_summary_fragment(request: HttpRequest) -> HttpResponse:
    """The one-line weekly summary and the "a day is …" note for the hours being edited (htmx)."""
    _require_super_admin(request)
    prefix = request.GET.get("prefix", "period")
    if not SCHEDULE_PERIOD_PREFIX.fullmatch(prefix):
        prefix = "period"
    formset = PeriodFormSet(request.GET, prefix=prefix)
    hours: dict[str, list[list[str]]] = {}
    if formset.management_form.is_valid():
        for form in formset.forms:
            start = clock_normalise(str(form["start"].value() or ""))
            end = clock_normalise(str(form["end"].value() or ""))
            if start and end:
                hours.setdefault(form.day_key, []).append([start, end])
    context = {
        "hours_summary": hours_summary(hours),
        # The "a day is …" note follows the default schedule only.
        "day_note": day_length_note(request.GET.get("applies", ""), hours),
        "with_day_note": prefix == "period",
    }
    return render(request, "settings_app/_hours_summary.html", context)


@login_required
@require_GET
def recompute_progress_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar of one recompute; it polls itself every 2 s until the work is done."""
    _require_super_admin(request)
    recompute = ticket_side().recompute_get(pk)
    if recompute is None:
        raise Http404("No such recompute.")
    return render(
        request, "settings_app/_recompute_progress.html", recompute_context(request, recompute)
    )


@login_required
@require_GET
def sla_audit_page(request: HttpRequest) -> HttpResponse:
    _require_super_admin(request)
    changes = SlaSettingsChange.objects.defer("before", "after").order_by("-created_at", "-id")
    paginator = Paginator(changes, AUDIT_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    context = {
        "nav": "settings",
        "tab": "audit",
        "page_obj": page_obj,
        "changes": page_obj.object_list,
        "page_range": paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1),
        "stage_names": stage_names(),
    }
    return render(request, "settings_app/audit.html", context)
