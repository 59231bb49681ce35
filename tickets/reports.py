"""Reads of the SLA compliance report: how often each goal was met, per group and per day or week.

How a clock is counted (the page, the CSV and ``docs/GUIDE.md`` say the same):

* The period is whole days in the viewer's time zone: from local midnight of the first day up to,
  not including, local midnight after the last day.
* A clock that **completed** in the period counts there: *on time* when it completed at or before
  its due moment, else *late*. This is the only period a late completion counts in.
* A clock that is **still running and overdue** now (the live rule of
  ``tickets.selectors.running_clock_q``: due moment passed, or passed before it was paused)
  counts as a miss in the period in which its due moment fell. When it completes later it leaves
  that period and counts as late where it completed, so no clock is ever counted twice.
* **% met** = on time / (on time + late + running overdue); with nothing to judge there is no
  figure ("no data"), never a division by zero.
* Every goal counts every clock: each next-response cycle is one clock.
* Groups (team, priority, source, pipeline, owner) are the ticket's current values.

The whole report is two aggregate queries whatever the number of tickets: one over the clocks
completed in the period, one over the running overdue ones, each counting per (goal, group, trend
bucket). The table sums the buckets, the trend sums the groups, and the total row sums the groups
(which partition the clocks).
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import Expression
from django.db.models.functions import TruncDate, TruncWeek
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from settings_app.models import Priority, Source
from tickets import sla
from tickets.models import SlaClock
from tickets.selectors import running_clock_q

GOAL_KINDS: tuple[str, ...] = (sla.FIRST_RESPONSE, sla.NEXT_RESPONSE, sla.CLOSE)
# Up to this many days the trend has one point a day; longer periods get one a week.
DAILY_TREND_MAX_DAYS = 31
DAY = "day"
WEEK = "week"

_ON_TIME = Q(completed_at__lte=F("due_at"))
_LATE = Q(completed_at__gt=F("due_at"))


@dataclass(frozen=True)
class Breakdown:
    """A property the table is broken down by: the fields that name a group, and its labels."""

    key: str
    label: str | Promise
    fields: tuple[str, ...]  # (key field, label field) or (key field,)
    none_label: str | Promise
    choice_labels: Mapping[str, str | Promise] = field(default_factory=dict)
    # Keys in this order first (choice order); then the rest by label; the empty group last.
    ordered_keys: tuple[str, ...] = ()


BREAKDOWNS: dict[str, Breakdown] = {
    b.key: b
    for b in (
        Breakdown("team", _("Team"), ("ticket__team__slug", "ticket__team__name"), _("No team")),
        Breakdown(
            "priority",
            _("Priority"),
            ("ticket__priority",),
            _("No priority"),
            dict(Priority.choices),
            tuple(reversed(Priority.values)),  # urgent first
        ),
        Breakdown(
            "source",
            _("Source"),
            ("ticket__source",),
            _("No source"),
            dict(Source.choices),
            tuple(Source.values),
        ),
        Breakdown(
            "pipeline",
            _("Pipeline"),
            ("ticket__pipeline__slug", "ticket__pipeline__name"),
            _("No pipeline"),
        ),
        Breakdown("owner", _("Owner"), ("ticket__owner__username",), _("Unassigned")),
    )
}
DEFAULT_BREAKDOWN = "team"


@dataclass(frozen=True)
class GoalFigures:
    """The counts of one goal in one group (or one trend bucket)."""

    on_time: int = 0
    late: int = 0
    running_overdue: int = 0

    @property
    def completed(self) -> int:
        return self.on_time + self.late

    @property
    def missed(self) -> int:
        return self.late + self.running_overdue

    @property
    def judged(self) -> int:
        """The denominator of % met: on time + late + running overdue."""
        return self.on_time + self.late + self.running_overdue

    @property
    def percent_met(self) -> float | None:
        """100 · on time / judged, or None when nothing was judged (no data)."""
        return 100.0 * self.on_time / self.judged if self.judged else None

    @property
    def percent_text(self) -> str:
        """% met to one decimal, without a trailing ".0" ("87.5", "100"); "" without data."""
        value = self.percent_met
        if value is None:
            return ""
        text = f"{value:.1f}"
        return text.removesuffix(".0")

    @property
    def percent_display(self) -> str:
        """``percent_text`` as people read it in the active language ("87,5" in Swedish); the
        CSV keeps ``percent_text``."""
        text = self.percent_text
        return number_format(float(text), 1 if "." in text else 0) if text else ""

    def __add__(self, other: GoalFigures) -> GoalFigures:
        return GoalFigures(
            on_time=self.on_time + other.on_time,
            late=self.late + other.late,
            running_overdue=self.running_overdue + other.running_overdue,
        )


EMPTY = GoalFigures()


@dataclass(frozen=True)
class ReportPeriod:
    """Whole days ``first_day`` … ``last_day`` (inclusive) in ``zone``."""

    first_day: datetime.date
    last_day: datetime.date
    zone: zoneinfo.ZoneInfo

    @property
    def start(self) -> datetime.datetime:
        return datetime.datetime.combine(self.first_day, datetime.time(0), tzinfo=self.zone)

    @property
    def end(self) -> datetime.datetime:
        """Local midnight after the last day (excluded)."""
        next_day = self.last_day + datetime.timedelta(days=1)
        return datetime.datetime.combine(next_day, datetime.time(0), tzinfo=self.zone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def bucket(self) -> str:
        """The trend's step: a day for periods up to 31 days, else a week (Monday to Sunday)."""
        return DAY if self.days <= DAILY_TREND_MAX_DAYS else WEEK


@dataclass(frozen=True)
class ReportGroup:
    """One value of the breakdown (or the total): figures per goal kind."""

    key: str  # "" for the empty value (no team, unassigned, …) and for the total
    label: str
    figures: dict[str, GoalFigures]

    def of(self, kind: str) -> GoalFigures:
        return self.figures.get(kind, EMPTY)


@dataclass(frozen=True)
class TrendBucket:
    """One point of the trend: a day, or a week clipped to the period."""

    first_day: datetime.date
    last_day: datetime.date
    figures: dict[str, GoalFigures]

    def of(self, kind: str) -> GoalFigures:
        return self.figures.get(kind, EMPTY)


@dataclass(frozen=True)
class ComplianceReport:
    period: ReportPeriod
    breakdown: Breakdown
    team_slug: str
    now: datetime.datetime
    groups: list[ReportGroup]
    total: ReportGroup
    trend: list[TrendBucket]

    @property
    def has_data(self) -> bool:
        return any(self.total.of(kind).judged for kind in GOAL_KINDS)


def _clocks(*, team_slug: str) -> QuerySet[SlaClock]:
    clocks = SlaClock.objects.filter(kind__in=GOAL_KINDS)
    if team_slug:
        clocks = clocks.filter(ticket__team__slug=team_slug)
    return clocks.order_by()


def _completed_in(period: ReportPeriod) -> Q:
    return Q(completed_at__gte=period.start, completed_at__lt=period.end)


def _overdue_in(period: ReportPeriod, *, now: datetime.datetime) -> Q:
    """Running clocks overdue at ``now`` whose due moment fell in the period.

    Running clocks belong to open tickets only (closing completes every clock, and a closed
    ticket gains none), so the condition on the ticket changes nothing but the plan: the
    database starts from the few open tickets (their partial index) instead of all the clocks.
    """
    return Q(
        completed_at__isnull=True,
        due_at__gte=period.start,
        due_at__lt=period.end,
        ticket__closed_at__isnull=True,
    ) & (running_clock_q(sla.OVERDUE, now))


def _group_key(breakdown: Breakdown, row: Mapping[str, object]) -> tuple[str, str]:
    key = row[breakdown.fields[0]] or ""
    assert isinstance(key, str)
    if not key:
        return "", str(breakdown.none_label)
    if len(breakdown.fields) > 1:
        return key, str(row[breakdown.fields[1]] or key)
    return key, str(breakdown.choice_labels.get(key, key))


def _sorted_groups(breakdown: Breakdown, groups: Iterable[ReportGroup]) -> list[ReportGroup]:
    order = {key: index for index, key in enumerate(breakdown.ordered_keys)}

    def sort_key(group: ReportGroup) -> tuple[int, int, str]:
        if not group.key:
            return (2, 0, "")
        if group.key in order:
            return (0, order[group.key], "")
        return (1, 0, group.label.casefold())

    return sorted(groups, key=sort_key)


def _trend_buckets(period: ReportPeriod) -> list[tuple[datetime.date, datetime.date]]:
    """(key, last day) of every day or week of the period, the empty ones included.

    A day's key is the day; a week's is its Monday (what TruncWeek gives), which may precede the
    period's first day: the first and last weeks are clipped to the period.
    """
    one_day = datetime.timedelta(days=1)
    if period.bucket == DAY:
        return [(period.first_day + n * one_day,) * 2 for n in range(period.days)]
    monday = period.first_day - datetime.timedelta(days=period.first_day.weekday())
    buckets = []
    while monday <= period.last_day:
        buckets.append((monday, min(monday + 6 * one_day, period.last_day)))
        monday += 7 * one_day
    return buckets


def _truncates_natively() -> bool:
    """Whether the database finds local days and weeks itself (PostgreSQL: ``AT TIME ZONE``).

    SQLite's TruncDate/TruncWeek call a Python function for every row (measured 10–17 µs a row:
    3–9 s for a year of 100,000 tickets); there the bucket is found by comparing the moment with
    the buckets' first moments instead (``_bucket_index``), three times faster. On PostgreSQL
    that comparison is the slower one (nested CASE: 1.7 s against 0.45 s for the same year), so
    it truncates. Both give the same buckets (a test checks it on either database).
    """
    return connection.vendor != "sqlite"


def _bucket_index(field: str, starts: list[datetime.datetime]) -> Expression:
    """The index of the bucket a moment falls in, given each bucket's first moment (ascending;
    the moment is known to lie in the period): a binary search as nested CASEs, so a row costs
    log2(buckets) comparisons."""

    def pick(low: int, high: int) -> Expression:
        if low == high:
            return Value(low, output_field=IntegerField())
        middle = (low + high + 1) // 2
        return Case(
            When(Q(**{f"{field}__lt": starts[middle]}), then=pick(low, middle - 1)),
            default=pick(middle, high),
            output_field=IntegerField(),
        )

    return pick(0, len(starts) - 1)


def _bucketing(
    field: str, period: ReportPeriod, keys: list[datetime.date]
) -> tuple[Expression, Callable[[Any], datetime.date]]:
    """The expression of a moment's trend bucket and how to read its value back as the key."""
    if _truncates_natively():
        trunc = TruncDate if period.bucket == DAY else TruncWeek
        return trunc(field, tzinfo=period.zone), lambda value: _local_day(value, period.zone)
    starts = [
        datetime.datetime.combine(max(key, period.first_day), datetime.time(0), tzinfo=period.zone)
        for key in keys
    ]
    return _bucket_index(field, starts), lambda value: keys[value]


def _local_day(value: object, zone: zoneinfo.ZoneInfo) -> datetime.date:
    """The local date a truncated value stands for (TruncWeek gives an aware local midnight)."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(zone).date() if value.tzinfo else value.date()
    assert isinstance(value, datetime.date)
    return value


def _add(
    table: dict[Any, dict[str, GoalFigures]], key: Any, kind: str, figures: GoalFigures
) -> None:
    per_kind = table.setdefault(key, {})
    per_kind[kind] = per_kind.get(kind, EMPTY) + figures


def sla_compliance_report(
    *,
    first_day: datetime.date,
    last_day: datetime.date,
    zone: zoneinfo.ZoneInfo,
    now: datetime.datetime,
    breakdown: str = DEFAULT_BREAKDOWN,
    team_slug: str = "",
) -> ComplianceReport:
    """The compliance figures of ``first_day`` … ``last_day`` (whole days in ``zone``).

    ``now`` (aware) decides which running clocks are overdue. ``breakdown`` is a key of
    ``BREAKDOWNS``; ``team_slug`` ("" = every team) restricts the clocks to one team's tickets.
    Two queries, however many clocks there are.
    """
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    period = ReportPeriod(first_day=first_day, last_day=last_day, zone=zone)
    spec = BREAKDOWNS[breakdown]
    clocks = _clocks(team_slug=team_slug)
    buckets = _trend_buckets(period)
    keys = [key for key, _ in buckets]
    by_group: dict[tuple[str, str], dict[str, GoalFigures]] = {}
    by_bucket: dict[datetime.date, dict[str, GoalFigures]] = {}

    # Completed in the period: on time / late, in the bucket of the completion.
    bucket, bucket_key = _bucketing("completed_at", period, keys)
    for row in (
        clocks.filter(_completed_in(period))
        .annotate(bucket=bucket)
        .values("kind", "bucket", *spec.fields)
        .annotate(on_time=Count("id", filter=_ON_TIME), late=Count("id", filter=_LATE))
    ):
        figures = GoalFigures(on_time=row["on_time"], late=row["late"])
        _add(by_group, _group_key(spec, row), row["kind"], figures)
        _add(by_bucket, bucket_key(row["bucket"]), row["kind"], figures)

    # Running and overdue now, due in the period: in the bucket of the due moment.
    bucket, bucket_key = _bucketing("due_at", period, keys)
    for row in (
        clocks.filter(_overdue_in(period, now=now))
        .annotate(bucket=bucket)
        .values("kind", "bucket", *spec.fields)
        .annotate(overdue=Count("id"))
    ):
        figures = GoalFigures(running_overdue=row["overdue"])
        _add(by_group, _group_key(spec, row), row["kind"], figures)
        _add(by_bucket, bucket_key(row["bucket"]), row["kind"], figures)

    groups = _sorted_groups(
        spec,
        (ReportGroup(key=key, label=label, figures=f) for (key, label), f in by_group.items()),
    )
    total = ReportGroup(
        key="",
        label=str(_("Total")),
        figures={kind: sum((g.of(kind) for g in groups), EMPTY) for kind in GOAL_KINDS},
    )
    trend = [
        TrendBucket(
            first_day=max(key, period.first_day), last_day=last, figures=by_bucket.get(key, {})
        )
        for key, last in buckets
    ]
    return ComplianceReport(
        period=period,
        breakdown=spec,
        team_slug=team_slug,
        now=now,
        groups=groups,
        total=total,
        trend=trend,
    )
