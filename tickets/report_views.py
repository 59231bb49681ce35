"""The SLA compliance report page (``/reports/sla/``) and its CSV export, for agents.

The form picks the period (last 7 days, last 30 days, or a custom range of whole days in the
viewer's time zone), a team and the breakdown; ``tickets.reports`` does the counting in a fixed
number of queries. Bad input is answered with a message next to the field (status 400), never an
error page. The CSV holds exactly the rows of the page's table.
"""

from __future__ import annotations

import csv
import datetime
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from settings_app.labels import CLOCK_LABELS
from settings_app.models import Team
from slaproject.api import is_agent
from slaproject.dates import format_date
from tickets.report_chart import SeriesInput, TrendChart, trend_chart
from tickets.reports import (
    BREAKDOWNS,
    DAY,
    DEFAULT_BREAKDOWN,
    GOAL_KINDS,
    ComplianceReport,
    GoalFigures,
    ReportGroup,
    sla_compliance_report,
)

PRESET_DAYS = {"7": 7, "30": 30}
PERIOD_CHOICES = [
    ("7", gettext_lazy("Last 7 days")),
    ("30", gettext_lazy("Last 30 days")),
    ("custom", gettext_lazy("Custom range")),
]
DEFAULT_PERIOD = "7"
# Two years of days: enough for a year-on-year look, and the weekly trend stays readable.
MAX_RANGE_DAYS = 731
# Colour bands of % met (every figure also has its text): green from 90 %, amber from 75 %.
GOOD_PERCENT = 90.0
FAIR_PERCENT = 75.0
# Trend lines: colour and a marker shape of their own, so they differ without colour too.
SERIES_STYLES = {
    "first_response": ("#0d6efd", "circle"),
    "next_response": ("#6f42c1", "square"),
    "close": ("#d9480f", "diamond"),
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The CSV's header after the breakdown's name: the table's own column names, in the viewer's
# language (the figures below them are written the same in every language: "87.5").
CSV_HEADER_TAIL = (
    gettext_lazy("Goal"),
    pgettext_lazy("report", "Completed"),
    pgettext_lazy("report", "On time"),
    pgettext_lazy("report", "Late"),
    gettext_lazy("Running overdue"),
)
DATE_MESSAGE = gettext_lazy("Enter a real date as YYYY-MM-DD.")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
# Days a custom range may name (beyond them lie no tickets, and moments that overflow).
FIRST_DAY = datetime.date(2000, 1, 1)
LAST_DAY = datetime.date(2099, 12, 31)


class ReportForm(forms.Form):
    """The report's filters (GET). ``clean`` resolves the period to ``first_day``/``last_day``."""

    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.CharField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.CharField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    team = forms.ChoiceField(
        label=gettext_lazy("Team"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("No such team; pick one from the list.")},
    )
    breakdown = forms.ChoiceField(
        label=gettext_lazy("Break down by"),
        required=False,
        choices=[(key, spec.label) for key, spec in BREAKDOWNS.items()],
        error_messages={
            "invalid_choice": gettext_lazy("Pick team, priority, source, pipeline or owner.")
        },
    )

    def __init__(
        self, data: dict[str, str], *, teams: Iterable[tuple[str, str]], today: datetime.date
    ) -> None:
        super().__init__(data)
        self.today = today
        self.team_choices: list[tuple[str, str | Promise]] = [
            ("", gettext_lazy("All teams")),
            *teams,
        ]
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ChoiceField)
        team_field.choices = self.team_choices

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        period = cleaned.get("period") or DEFAULT_PERIOD
        cleaned["period"] = period
        cleaned["breakdown"] = cleaned.get("breakdown") or DEFAULT_BREAKDOWN
        if period in PRESET_DAYS:
            cleaned["last_day"] = self.today
            cleaned["first_day"] = self.today - datetime.timedelta(days=PRESET_DAYS[period] - 1)
            return cleaned
        start = self._day("start", _("Pick the first day of the range."))
        end = self._day("end", _("Pick the last day of the range."))
        if start is None or end is None:
            return cleaned
        if end < start:
            self.add_error("end", _("The last day is before the first day."))
        elif (end - start).days + 1 > MAX_RANGE_DAYS:
            self.add_error("end", _("Pick at most %(days)s days.") % {"days": MAX_RANGE_DAYS})
        else:
            cleaned["first_day"], cleaned["last_day"] = start, end
        return cleaned

    def _day(self, name: str, missing: str) -> datetime.date | None:
        """A custom range's day (the preset periods ignore the date inputs)."""
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            self.add_error(name, missing)
            return None
        try:
            if not DATE_PATTERN.fullmatch(text):
                raise ValueError(text)
            day = datetime.date.fromisoformat(text)
        except ValueError:
            self.add_error(name, DATE_MESSAGE)
            return None
        if not FIRST_DAY <= day <= LAST_DAY:
            self.add_error(
                name,
                _("Pick a day from %(first)s to %(last)s.")
                % {"first": f"{FIRST_DAY:%Y}", "last": f"{LAST_DAY:%Y}"},
            )
            return None
        return day

    def input_value(self, name: str, resolved: datetime.date | None) -> str:
        """What a date input shows: the resolved day, or what was typed when it was refused."""
        if resolved is not None and not self.errors:
            return resolved.isoformat()
        return self.data.get(name, "")


@dataclass(frozen=True)
class TableRow:
    """One row of the table (and of the CSV): a group's figures for one goal."""

    group_key: str
    group_label: str
    kind: str
    goal_label: str
    figures: GoalFigures
    is_total: bool
    group_size: int  # rows of the group, on its first row (rowspan); 0 on the others

    @property
    def tone(self) -> str:
        return percent_tone(self.figures.percent_met)

    def csv_cells(self) -> list[str]:
        f = self.figures
        return [
            csv_text(self.group_label),
            str(self.goal_label),
            str(f.completed),
            str(f.on_time),
            str(f.late),
            str(f.running_overdue),
            f.percent_text,
        ]


@dataclass(frozen=True)
class GoalCard:
    kind: str
    label: str
    figures: GoalFigures
    tone: str


def csv_text(text: str) -> str:
    """A name as a CSV cell that spreadsheets show as text: one starting like a formula ("=",
    "+", "-", "@") gets a leading apostrophe, so a team called "=1+1" is never evaluated."""
    return f"'{text}" if text[:1] in FORMULA_STARTS else text


def percent_tone(value: float | None) -> str:
    if value is None:
        return "secondary"
    if value >= GOOD_PERCENT:
        return "success"
    if value >= FAIR_PERCENT:
        return "warning"
    return "danger"


def table_rows(report: ComplianceReport) -> list[TableRow]:
    """Three rows (one per goal) for each group, then three for the total."""
    rows = []
    groups: list[tuple[ReportGroup, bool]] = [(g, False) for g in report.groups]
    groups.append((report.total, True))
    for group, is_total in groups:
        for index, kind in enumerate(GOAL_KINDS):
            rows.append(
                TableRow(
                    group_key=group.key,
                    group_label=group.label,
                    kind=kind,
                    goal_label=str(CLOCK_LABELS[kind]),
                    figures=group.of(kind),
                    is_total=is_total,
                    group_size=len(GOAL_KINDS) if index == 0 else 0,
                )
            )
    return rows


def _day_label(day: datetime.date) -> str:
    return format_date(day, "j M")


def _bucket_name(first: datetime.date, last: datetime.date, *, step: str) -> str:
    if step == DAY:
        return format_date(first, "D j M Y")
    week = _("week of %(day)s") % {"day": format_date(first, "j M Y")}
    if (last - first).days != 6:
        week += f" ({format_date(first, 'j M')}–{format_date(last, 'j M')})"
    return week


def _point_title(goal: str, bucket: str, figures: GoalFigures) -> str:
    return _(
        "%(goal)s, %(bucket)s: %(percent)s %% met (%(on_time)s of %(judged)s: %(late)s late, "
        "%(running_overdue)s running overdue)"
    ) % {
        "goal": goal,
        "bucket": bucket,
        "percent": figures.percent_display,
        "on_time": figures.on_time,
        "judged": figures.judged,
        "late": figures.late,
        "running_overdue": figures.running_overdue,
    }


def report_chart(report: ComplianceReport) -> TrendChart:
    step = report.period.bucket
    names = [_bucket_name(b.first_day, b.last_day, step=step) for b in report.trend]
    series = []
    for kind in GOAL_KINDS:
        color, marker = SERIES_STYLES[kind]
        figures = [bucket.of(kind) for bucket in report.trend]
        series.append(
            SeriesInput(
                key=kind,
                name=str(CLOCK_LABELS[kind]),
                color=color,
                marker=marker,
                values=[f.percent_met for f in figures],
                titles=[
                    _point_title(str(CLOCK_LABELS[kind]), name, f)
                    for name, f in zip(names, figures, strict=True)
                ],
            )
        )
    return trend_chart(labels=[_day_label(b.first_day) for b in report.trend], series=series)


def _trend_table(report: ComplianceReport) -> list[dict[str, Any]]:
    step = report.period.bucket
    return [
        {
            "name": _bucket_name(b.first_day, b.last_day, step=step),
            "first_day": b.first_day,
            "cells": [b.of(kind) for kind in GOAL_KINDS],
        }
        for b in report.trend
    ]


def _filename(report: ComplianceReport) -> str:
    period = report.period
    parts = ["sla-compliance", period.first_day.isoformat(), period.last_day.isoformat()]
    if report.team_slug:
        parts.append(report.team_slug)
    parts.append(f"by-{report.breakdown.key}")
    return "_".join(parts) + ".csv"


CSV_BOM = "\ufeff"


def _csv_response(report: ComplianceReport) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(report)}"'
    # A byte-order mark first: Excel reads a CSV opened by double-click as UTF-8 only with it
    # ("Första svar", not "FÃ¶rsta svar"); LibreOffice and Python's "utf-8-sig" skip it.
    response.write(CSV_BOM)
    writer = csv.writer(response)
    # "%% met": the table's own entry (a template's "%" is doubled in its msgid).
    met = _("%% met") % {}
    writer.writerow([str(report.breakdown.label), *(str(name) for name in CSV_HEADER_TAIL), met])
    for row in table_rows(report):
        writer.writerow(row.csv_cells())
    return response


def _form_and_zone(request: HttpRequest) -> tuple[ReportForm, zoneinfo.ZoneInfo]:
    if not request.user.is_authenticated or not is_agent(request.user):
        raise PermissionDenied
    # The viewer's zone (ViewerTimeZoneMiddleware): days run from midnight to midnight in it.
    zone = timezone.get_current_timezone()
    today = timezone.now().astimezone(zone).date()
    form = ReportForm(
        request.GET.dict(),
        teams=Team.objects.order_by("name").values_list("slug", "name"),
        today=today,
    )
    return form, zone


def _report(form: ReportForm, zone: zoneinfo.ZoneInfo) -> ComplianceReport:
    data = form.cleaned_data
    return sla_compliance_report(
        first_day=data["first_day"],
        last_day=data["last_day"],
        zone=zone,
        now=timezone.now(),
        breakdown=data["breakdown"],
        team_slug=data.get("team") or "",
    )


def _error_text(form: ReportForm) -> str:
    return " ".join(
        f"{form.fields[name].label}: {message}" if name in form.fields else str(message)
        for name, messages in form.errors.items()
        for message in messages
    )


@login_required
@require_GET
def sla_report(request: HttpRequest) -> HttpResponse:
    """The compliance report; ``?format=csv`` gives the table as CSV (as ``export.csv`` does)."""
    form, zone = _form_and_zone(request)
    wants_csv = request.GET.get("format") == "csv"
    if not form.is_valid():
        if wants_csv:
            return _csv_error(form)
        return _page(request, form, zone, report=None, status=400)
    report = _report(form, zone)
    if wants_csv:
        return _csv_response(report)
    return _page(request, form, zone, report=report)


@login_required
@require_GET
def sla_report_csv(request: HttpRequest) -> HttpResponse:
    """The report's table as CSV, for the same parameters as the page."""
    form, zone = _form_and_zone(request)
    if not form.is_valid():
        return _csv_error(form)
    return _csv_response(_report(form, zone))


def _csv_error(form: ReportForm) -> HttpResponse:
    return HttpResponse(
        _("No report: %(errors)s") % {"errors": _error_text(form)} + "\n",
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _page(
    request: HttpRequest,
    form: ReportForm,
    zone: zoneinfo.ZoneInfo,
    *,
    report: ComplianceReport | None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "nav": "reports",
        "form": form,
        "viewer_zone": zone,
        "report": report,
        "goal_labels": [CLOCK_LABELS[kind] for kind in GOAL_KINDS],
        "max_range_days": MAX_RANGE_DAYS,
        "start_value": form.input_value("start", report.period.first_day if report else None),
        "end_value": form.input_value("end", report.period.last_day if report else None),
        "csv_query": _csv_query(request),
        "team_label": _team_label(form),
    }
    if report is not None:
        context.update(
            {
                "cards": [
                    GoalCard(
                        kind=kind,
                        label=str(CLOCK_LABELS[kind]),
                        figures=report.total.of(kind),
                        tone=percent_tone(report.total.of(kind).percent_met),
                    )
                    for kind in GOAL_KINDS
                ],
                "rows": table_rows(report),
                "chart": report_chart(report),
                "trend_rows": _trend_table(report),
                "trend_step": _("day") if report.period.bucket == DAY else _("week"),
            }
        )
    return render(request, "tickets/report.html", context, status=status)


def _team_label(form: ReportForm) -> str:
    slug = form.cleaned_data.get("team", "") if hasattr(form, "cleaned_data") else ""
    return str(dict(form.team_choices).get(slug, _("All teams")))


def _csv_query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("format", None)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else ""
