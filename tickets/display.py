"""How tickets are shown to people: SLA clocks (status badges, relative and local due moments),
their events, and the ticket's history of changes.

One place for the views, the admin, the emails and the template tags (``tickets.templatetags``
registers these functions as filters). Every moment is shown in the *active* Django time zone,
the viewer's (``tickets.middleware.ViewerTimeZoneMiddleware``).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.utils import dateformat, dates, timezone, translation
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from settings_app.business_time import WorkingSchedule
from settings_app.labels import CLOCK_LABELS, stored_goal_label
from slaproject.dates import localize_format
from tickets import sla
from tickets.models import SlaClock, SlaEvent, TicketChange

# What happened to a clock, after its name: "First reply started", "Close completed late".
EVENT_LABELS: dict[str, Promise] = {
    SlaEvent.Kind.APPLIED: pgettext_lazy("clock event", "started"),
    SlaEvent.Kind.DUE_SOON: pgettext_lazy("clock event", "due soon"),
    SlaEvent.Kind.OVERDUE: pgettext_lazy("clock event", "overdue"),
    SlaEvent.Kind.PAUSED: pgettext_lazy("clock event", "paused"),
    SlaEvent.Kind.RESUMED: pgettext_lazy("clock event", "resumed"),
    SlaEvent.Kind.COMPLETED_ON_TIME: pgettext_lazy("clock event", "completed on time"),
    SlaEvent.Kind.COMPLETED_LATE: pgettext_lazy("clock event", "completed late"),
    SlaEvent.Kind.REOPENED: pgettext_lazy("clock event", "reopened"),
    SlaEvent.Kind.RECOMPUTED: pgettext_lazy("clock event", "recomputed"),
    SlaEvent.Kind.REMOVED: pgettext_lazy("clock event", "removed"),
}
# What completed a clock ("completed_by"), as people read it.
COMPLETED_BY_LABELS: dict[str, Promise] = {
    "reply": pgettext_lazy("completed by", "reply"),
    "close": pgettext_lazy("completed by", "close"),
}
EVENT_ICONS: dict[str, str] = {
    SlaEvent.Kind.APPLIED: "bi-play-circle",
    SlaEvent.Kind.DUE_SOON: "bi-hourglass-split",
    SlaEvent.Kind.OVERDUE: "bi-exclamation-triangle-fill",
    SlaEvent.Kind.PAUSED: "bi-pause-circle",
    SlaEvent.Kind.RESUMED: "bi-play-circle",
    SlaEvent.Kind.COMPLETED_ON_TIME: "bi-check-circle-fill",
    SlaEvent.Kind.COMPLETED_LATE: "bi-x-circle-fill",
    SlaEvent.Kind.REOPENED: "bi-arrow-counterclockwise",
    SlaEvent.Kind.RECOMPUTED: "bi-arrow-repeat",
    SlaEvent.Kind.REMOVED: "bi-slash-circle",
}
EVENT_TONES: dict[str, str] = {
    SlaEvent.Kind.DUE_SOON: "warning",
    SlaEvent.Kind.OVERDUE: "danger",
    SlaEvent.Kind.COMPLETED_ON_TIME: "success",
    SlaEvent.Kind.COMPLETED_LATE: "danger",
}
PRIORITY_CLASSES = {
    "urgent": "bg-danger-subtle text-danger-emphasis border border-danger-subtle",
    "high": "bg-warning-subtle text-warning-emphasis border border-warning-subtle",
    "medium": "bg-info-subtle text-info-emphasis border border-info-subtle",
    "low": "bg-secondary-subtle text-secondary-emphasis border border-secondary-subtle",
}
COMPLETED_EVENTS = (SlaEvent.Kind.COMPLETED_ON_TIME, SlaEvent.Kind.COMPLETED_LATE)
MOMENT_FORMAT = "D j M, H:i T"  # "Tue 3 Mar, 11:00 CET"
MOMENT_FORMAT_YEAR = "D j M Y, H:i T"
# The queue's second line under a clock: the zone is in the page's footer, the weekday in the
# cell's title ("3 Mar, 11:00").
MOMENT_FORMAT_SHORT = "j M, H:i"
MOMENT_FORMAT_SHORT_YEAR = "j M Y, H:i"


@dataclass(frozen=True)
class StatusStyle:
    label: str | Promise  # full text, for the ticket page: "Completed late"
    short_label: str | Promise  # queue column text: "Late"
    css: str
    icon: str


STATUS_STYLES = {
    sla.ACTIVE: StatusStyle(
        pgettext_lazy("clock status", "Active"),
        pgettext_lazy("clock status", "Active"),
        "bg-primary-subtle text-primary-emphasis",
        "bi-clock",
    ),
    sla.DUE_SOON: StatusStyle(
        pgettext_lazy("clock status", "Due soon"),
        pgettext_lazy("clock status", "Due soon"),
        "text-bg-warning",
        "bi-hourglass-split",
    ),
    sla.OVERDUE: StatusStyle(
        pgettext_lazy("clock status", "Overdue"),
        pgettext_lazy("clock status", "Overdue"),
        "text-bg-danger",
        "bi-exclamation-triangle-fill",
    ),
    sla.COMPLETED_ON_TIME: StatusStyle(
        pgettext_lazy("clock status", "Completed on time"),
        pgettext_lazy("clock status, short", "On time"),
        "bg-success-subtle text-success-emphasis",
        "bi-check-circle-fill",
    ),
    sla.COMPLETED_LATE: StatusStyle(
        pgettext_lazy("clock status", "Completed late"),
        pgettext_lazy("clock status, short", "Late"),
        "bg-danger-subtle text-danger-emphasis",
        "bi-x-circle-fill",
    ),
}

# STATUS_STYLES with their labels translated, by language (a view shows many badges: the lazy
# labels were translated again for each one).
_translated_styles: dict[str | None, dict[str, StatusStyle]] = {}


def status_style(status: str) -> StatusStyle:
    """``STATUS_STYLES[status]`` with its labels in the active language, as plain text."""
    language = translation.get_language()
    styles = _translated_styles.get(language)
    if styles is None:
        styles = _translated_styles[language] = {
            key: dataclasses.replace(
                style, label=str(style.label), short_label=str(style.short_label)
            )
            for key, style in STATUS_STYLES.items()
        }
    return styles[status]


@dataclass(frozen=True)
class ClockView:
    """One clock as a person sees it at ``now`` (``clock`` None: no goal of this kind)."""

    kind: str
    kind_label: str
    clock: SlaClock | None
    status: str = ""
    style: StatusStyle | None = None
    is_paused: bool = False
    relative: str = ""  # "in 2 h 10 min", "overdue by 35 min", "12 min late"
    counted_left: str = ""  # counted (working) time left: "3 h 10 min left"
    completed_by: str = ""  # "reply" | "close"
    completed_by_label: str = ""  # the same, as people read it (in the active language)
    # Why no cycle of this clock runs ("No reply owed now; …"), "No goal" only when none applies;
    # empty while it runs (see ``clock_idle_note``).
    note: str = ""
    # Counted in a schedule that has changed since (kept on older settings): its time left comes
    # from its stored moments, never from the current working hours.
    on_older_schedule: bool = False

    @property
    def is_running(self) -> bool:
        return self.clock is not None and self.clock.completed_at is None

    @property
    def due_at(self) -> datetime.datetime | None:
        return self.clock.due_at if self.clock is not None else None

    @property
    def cycle(self) -> int:
        return self.clock.cycle if self.clock is not None else 0


def _counted(
    schedule: WorkingSchedule | None, start: datetime.datetime, end: datetime.datetime
) -> datetime.timedelta:
    """Counted time from ``start`` to ``end`` (wall-clock time when there is no schedule)."""
    if schedule is None:
        return end - start
    return schedule.working_time_between(start, end)


@dataclass(frozen=True)
class ClockTexts:
    """What ``clock_view`` says, in one language: looked up once for a page of many clocks (the
    queue's 75) instead of once per clock and text."""

    kind_labels: Mapping[str, str]
    completed_by_labels: Mapping[str, str]
    styles: Mapping[str, StatusStyle]
    late: str
    early: str
    just_in_time: str
    paused_left: str
    left: str
    paused_overdue: str
    due_in: str
    overdue: str


_clock_texts: dict[str | None, ClockTexts] = {}


def clock_texts() -> ClockTexts:
    """``ClockTexts`` in the active language (made once per language)."""
    language = translation.get_language()
    texts = _clock_texts.get(language)
    if texts is None:
        texts = _clock_texts[language] = ClockTexts(
            kind_labels={key: str(label) for key, label in CLOCK_LABELS.items()},
            completed_by_labels={key: str(label) for key, label in COMPLETED_BY_LABELS.items()},
            styles={status: status_style(status) for status in STATUS_STYLES},
            late=_("%(time)s late"),
            early=_("%(time)s early"),
            just_in_time=_("just in time"),
            paused_left=_("paused, %(time)s left"),
            left=_("%(time)s left"),
            paused_overdue=_("paused, overdue by %(time)s"),
            due_in=_("in %(time)s"),
            overdue=_("overdue by %(time)s"),
        )
    return texts


def clock_view(
    clock: SlaClock | None,
    *,
    kind: str,
    now: datetime.datetime,
    schedule: WorkingSchedule | None = None,
    schedule_version: int = 0,
    note: str = "",
    texts: ClockTexts | None = None,
) -> ClockView:
    """The display of one clock: live status, badge style and the texts around its due moment.

    ``schedule`` gives "time left" in counted time (working hours); without it, paused clocks
    show wall-clock time left and ``counted_left`` stays empty for running ones.
    ``schedule_version`` is the settings version since which ``schedule`` is what clocks count
    in: a clock from older settings ("new tickets only") was counted in working hours that are
    not kept, so its time left comes from its stored moments alone. ``note``: the view's
    ``note`` (``clock_idle_note``); ``texts``: ``clock_texts()`` when the caller has them.
    """
    texts = texts or clock_texts()
    label = texts.kind_labels.get(kind, kind)
    if clock is None:
        return ClockView(kind=kind, kind_label=label, clock=None, note=note)
    on_older_schedule = (
        schedule is not None
        and clock.completed_at is None
        and clock.settings_version < schedule_version
    )
    if on_older_schedule:
        schedule = None
    status = sla.clock_status(
        due_at=clock.due_at,
        due_soon_at=clock.due_soon_at,
        completed_at=clock.completed_at,
        paused_at=clock.paused_at,
        now=now,
    )
    style = texts.styles[status]
    is_paused = clock.completed_at is None and clock.paused_at is not None
    counted_left = ""
    if clock.completed_at is not None:
        gap = clock.due_at - clock.completed_at
        if status == sla.COMPLETED_LATE:
            relative = texts.late % {"time": sla.format_duration(gap)}
        elif gap >= datetime.timedelta(minutes=1):
            relative = texts.early % {"time": sla.format_duration(gap)}
        else:
            relative = texts.just_in_time
    elif is_paused:
        assert clock.paused_at is not None
        if clock.paused_at < clock.due_at:
            left = {"time": sla.format_duration(_counted(schedule, clock.paused_at, clock.due_at))}
            relative = texts.paused_left % left
            counted_left = texts.left % left
        else:
            overdue = _counted(schedule, clock.due_at, clock.paused_at)
            relative = texts.paused_overdue % {"time": sla.format_duration(overdue)}
    elif clock.due_at > now:
        relative = texts.due_in % {"time": sla.format_duration(clock.due_at - now)}
        if schedule is not None:
            counted = _counted(schedule, now, clock.due_at)
            counted_left = texts.left % {"time": sla.format_duration(counted)}
    else:
        relative = texts.overdue % {"time": sla.format_duration(now - clock.due_at)}
    return ClockView(
        kind=kind,
        kind_label=label,
        clock=clock,
        status=status,
        style=style,
        is_paused=is_paused,
        relative=relative,
        counted_left=counted_left,
        completed_by=clock.completed_by,
        completed_by_label=texts.completed_by_labels.get(clock.completed_by, clock.completed_by),
        note=note,
        on_older_schedule=on_older_schedule,
    )


def most_urgent_clock(clocks: list[ClockView]) -> ClockView | None:
    """The clock a ticket's "Next breach" badge shows: of its running, unpaused clocks the one
    due first (the moment the queue sorts by; on a tie, the first in ``clocks``' order), else of
    its paused clocks the one with the least time left; None when no clock runs."""
    counting: list[tuple[datetime.datetime, ClockView]] = []
    paused: list[tuple[datetime.timedelta, ClockView]] = []
    for view in clocks:
        clock = view.clock
        if clock is None or clock.completed_at is not None:
            continue
        if clock.paused_at is None:
            counting.append((clock.due_at, view))
        else:
            paused.append((clock.due_at - clock.paused_at, view))
    if counting:
        return min(counting, key=lambda item: item[0])[1]
    if paused:
        return min(paused, key=lambda item: item[0])[1]
    return None


def display_changes_at(
    clocks: Iterable[tuple[datetime.datetime | None, datetime.datetime | None]],
    *,
    now: datetime.datetime,
) -> datetime.datetime:
    """The earliest moment after ``now`` at which a page showing these clocks (``(due_at,
    due_soon_at)`` of each running, unpaused clock) at ``now`` could read differently by time
    alone: the next minute of the clock on the wall (local moments, the year), a live status
    that turns (due soon, overdue), or a relative time that ticks.

    "in 2 h 10 min", "overdue by 3 d 4 h" and "3 h left" (counted time) change when the time to
    or past the due moment crosses a whole minute (or hour), i.e. at the due moment's own second
    of each minute; counted time runs no faster than the wall clock and working hours start on
    whole minutes, so the next such second is the earliest a counted time can tick too. Paused
    and completed clocks say the same at any time.
    """
    minute = datetime.timedelta(minutes=1)
    earliest = now.replace(second=0, microsecond=0) + minute
    for due_at, due_soon_at in clocks:
        if due_at is None:
            continue
        tick = now + (due_at - now) % minute
        earliest = min(earliest, tick)
        for turn in (due_soon_at, due_at):
            if turn is not None and turn > now:
                earliest = min(earliest, turn)
    return earliest


def clock_idle_note(
    kind: str,
    *,
    clock: SlaClock | None,
    has_goal: bool,
    is_closed: bool,
    first_response_done: bool,
    out_of_reach: bool = False,
) -> str:
    """Why a clock of ``kind`` has no running cycle ("" while it runs, or when its completed
    cycle says all there is). ``clock`` is the one the ticket shows (the latest cycle).
    ``out_of_reach``: its goal is stored but would take more than five years to count."""
    if clock is not None and clock.completed_at is None:
        return ""
    if out_of_reach:
        return _(
            "Goal out of reach: it would take more than 5 calendar years to count in the "
            "working hours, so it does not apply. A super admin must change the SLA settings."
        )
    if not has_goal:
        return "" if clock is not None else _("No goal")
    if kind == sla.NEXT_RESPONSE:
        if is_closed:
            return _("No reply owed: the ticket is closed")
        if not first_response_done:
            return _("Starts at the customer's next message after the first reply")
        return _("No reply owed now; starts at the customer's next message")
    if clock is not None:
        return ""
    if is_closed:
        return _("Not started: the ticket was closed before this goal applied")
    if kind == sla.FIRST_RESPONSE:
        return _("Not owed: the ticket was answered before this goal applied")
    return ""


def local_moment(
    value: datetime.datetime | None, *, now: datetime.datetime | None = None, short: bool = False
) -> str:
    """An aware moment in the active time zone: "Tue 3 Mar, 11:00 CET", or with ``short``
    "3 Mar, 11:00" (year added when it is not the current one)."""
    if value is None:
        return ""
    zone = timezone.get_current_timezone()
    local = value.astimezone(zone)
    current_year = (now or timezone.now()).astimezone(zone).year
    if short:
        formats = (MOMENT_FORMAT_SHORT, MOMENT_FORMAT_SHORT_YEAR)
    else:
        formats = (MOMENT_FORMAT, MOMENT_FORMAT_YEAR)
    return moment_formatter(formats[0] if local.year == current_year else formats[1])(local)


def moment_texts(
    now: datetime.datetime | None = None,
) -> Callable[..., str]:
    """``local_moment`` bound to the active zone, language and ``now``, for a page that formats
    many moments (the queue's rows): the zone, the current year and the formatters are looked
    up once instead of once per moment."""
    zone = timezone.get_current_timezone()
    current_year = (now or timezone.now()).astimezone(zone).year
    full = (moment_formatter(MOMENT_FORMAT), moment_formatter(MOMENT_FORMAT_YEAR))
    brief = (moment_formatter(MOMENT_FORMAT_SHORT), moment_formatter(MOMENT_FORMAT_SHORT_YEAR))

    def text(value: datetime.datetime | None, *, short: bool = False) -> str:
        if value is None:
            return ""
        local = value.astimezone(zone)
        return (brief if short else full)[local.year != current_year](local)

    return text


# --- Date formatting, compiled once per format and language ---------------------------------
#
# ``django.utils.dateformat.format`` splits the format with a regular expression, builds a
# formatter object and looks each letter's method up by name on every call, and the names of
# days and months are lazy translations resolved each time: a sixth of the queue page's CPU.
# ``moment_formatter`` turns a format into a list of small functions once per (format, active
# language), with the language's day and month names read once; the output is the same as
# ``slaproject.dates.format_date`` (tests/tickets/test_moment_format.py compares them).

_FORMAT_PIECES = re.compile(r"\\(.)|([a-zA-Z])|([^a-zA-Z\\]+)")


def _zone_name(local: datetime.datetime) -> str:
    """Django's "T": the zone's abbreviation, empty in an hour that is ambiguous or skipped."""
    zone = local.tzinfo
    if zone is None:
        return ""
    if zone.utcoffset(local.replace(fold=not local.fold)) != zone.utcoffset(local):
        return ""
    return str(zone.tzname(local))


def _compile_moment_format(
    format_string: str,
) -> Callable[[datetime.datetime], str]:
    weekdays = [str(dates.WEEKDAYS_ABBR[day]) for day in range(7)]
    months_lower = [""] + [str(dates.MONTHS_3[month]) for month in range(1, 13)]
    months = [""] + [month.title() for month in months_lower[1:]]
    # Each letter as an expression on the moment ``m``; the format becomes one f-string, so a
    # moment costs one call (it was one call per letter and a join: a twelfth of the queue page).
    letters = {
        "D": "{W[m.weekday()]}",
        "j": "{m.day}",
        "M": "{N[m.month]}",
        "b": "{L[m.month]}",
        "Y": "{m.year:04d}",
        "H": "{m.hour:02d}",
        "i": "{m.minute:02d}",
        "T": "{T(m)}",
    }
    source = []
    for escaped, letter, text in _FORMAT_PIECES.findall(format_string):
        if letter and letter not in letters:  # a letter this fast path does not know
            return lambda moment: dateformat.format(moment, format_string)
        literal = escaped or text
        source.append(letters[letter] if letter else literal.replace("{", "{{").replace("}", "}}"))
    names = {"W": weekdays, "N": months, "L": months_lower, "T": _zone_name}
    code = "lambda m: f" + repr("".join(source))
    format_moment: Callable[[datetime.datetime], str] = eval(code, names)  # noqa: S307 (made here from a fixed table)
    return format_moment


_moment_formatters: dict[tuple[str, str | None], Callable[[datetime.datetime], str]] = {}


def moment_formatter(format_string: str) -> Callable[[datetime.datetime], str]:
    """A function formatting a local (aware) moment as ``slaproject.dates.format_date(moment,
    format_string)`` would ("5 Dec" in English, "5 dec" in Swedish), in the active language;
    made once per format and language."""
    key = (format_string, translation.get_language())
    formatter = _moment_formatters.get(key)
    if formatter is None:
        localized = localize_format(format_string)
        formatter = _moment_formatters[key] = _compile_moment_format(localized)
    return formatter


def event_label(event: SlaEvent) -> str:
    """ "First reply due soon", "Next reply #2 started (All tickets)", "First reply started
    (Priority Urgent)", "Close completed on time (by close)"."""
    clock = str(CLOCK_LABELS.get(event.clock_kind, event.clock_kind))
    if event.clock_kind == sla.NEXT_RESPONSE and event.cycle > 1:
        clock = f"{clock} #{event.cycle}"
    text = _("%(clock)s %(event)s") % {
        "clock": clock,
        "event": EVENT_LABELS.get(event.kind, event.kind),
    }
    detail = event.detail or {}
    if event.kind == SlaEvent.Kind.APPLIED and detail.get("goal"):
        goal = stored_goal_label(str(detail["goal"]), str(detail.get("goal_name") or ""))
        text += f" ({goal})"
    elif event.kind in COMPLETED_EVENTS and detail.get("completed_by"):
        by = detail["completed_by"]
        text += " (" + _("by %(what)s") % {"what": COMPLETED_BY_LABELS.get(by, by)} + ")"
    return text


WHY_APPLIED = {
    "settings": gettext_lazy("a settings change"),
    "property": gettext_lazy("a property change"),
}


def event_note(
    event: SlaEvent, *, removed_by: SlaEvent | None = None, is_removed_clock: bool = False
) -> str:
    """What the timeline adds under an event: when a goal was applied to a clock that started
    earlier, why a clock was removed, and that an event belongs to a removed clock."""
    detail = event.detail or {}
    notes = []
    why = WHY_APPLIED.get(detail.get("why", ""))
    if event.kind == SlaEvent.Kind.APPLIED and why and detail.get("applied_at"):
        applied_at = datetime.datetime.fromisoformat(detail["applied_at"].replace("Z", "+00:00"))
        if applied_at - event.at >= datetime.timedelta(minutes=1):
            notes.append(
                _("goal applied %(moment)s after %(why)s")
                % {"moment": local_moment(applied_at), "why": why}
            )
    if event.kind == SlaEvent.Kind.REMOVED:
        notes.append(_("no goal applies after %(why)s") % {"why": why} if why else _("no goal"))
    elif is_removed_clock:
        if removed_by is not None:
            notes.append(
                _("of a clock removed %(moment)s") % {"moment": local_moment(removed_by.at)}
            )
        else:
            notes.append(_("of a removed clock"))
    return "; ".join(notes)


WHY_TEXTS = {
    "created": gettext_lazy("when the ticket was opened"),
    "customer message": gettext_lazy("at a customer message"),
    "settings": gettext_lazy("after a settings change"),
    "property": gettext_lazy("after a property change"),
}
DETAIL_MOMENTS = {
    "started_at": gettext_lazy("started %(value)s"),
    "due_at_before": gettext_lazy("was due %(value)s"),
    "due_at": gettext_lazy("due %(value)s"),
    "paused_since": gettext_lazy("paused since %(value)s"),
    "completed_at_before": gettext_lazy("had completed %(value)s"),
    "applied_at": gettext_lazy("applied %(value)s"),
}
DETAIL_ORDER = (
    "goal",
    "goal_minutes",
    "due_soon_minutes",
    "started_at",
    "paused_since",
    "completed_at_before",
    "due_at_before",
    "due_at",
    "completed_by",
    "why",
    "applied_at",
)


def _moment_text(value: object) -> str:
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return local_moment(moment) if moment.tzinfo else str(value)


def event_detail_text(event: SlaEvent) -> str:
    """An event's stored details as a sentence for people (the admin), in the active time zone:
    "goal 4 h · due soon 30 min before · started Tue 3 Mar, 09:00 CET · due …"."""
    detail = event.detail or {}
    parts = []
    for key in sorted(
        detail, key=lambda k: (DETAIL_ORDER.index(k) if k in DETAIL_ORDER else 99, k)
    ):
        value = detail[key]
        if value is None or value == "":
            continue
        if key == "applied_at" and value == detail.get("started_at"):
            continue  # applied when it started: said once
        if key == "goal_name":
            continue  # said with "goal"
        if key == "goal":
            goal = stored_goal_label(str(value), str(detail.get("goal_name") or ""))
            parts.append(_("goals for %(goal)s") % {"goal": goal})
        elif key == "goal_minutes" and isinstance(value, int):
            parts.append(
                _("goal %(time)s")
                % {"time": sla.format_duration(datetime.timedelta(minutes=value))}
            )
        elif key == "due_soon_minutes" and isinstance(value, int):
            duration = sla.format_duration(datetime.timedelta(minutes=value))
            parts.append(_("due soon %(time)s before") % {"time": duration})
        elif key in DETAIL_MOMENTS:
            parts.append(DETAIL_MOMENTS[key] % {"value": _moment_text(value)})
        elif key == "completed_by":
            parts.append(_("by %(what)s") % {"what": COMPLETED_BY_LABELS.get(value, value)})
        elif key == "why":
            parts.append(str(WHY_TEXTS.get(value, value)))
        else:
            parts.append(f"{key}: {value}")
    return " · ".join(parts)


def local_moment_short(value: datetime.datetime | None) -> str:
    return local_moment(value, short=True)


def email_wrap(value: str) -> str:
    """An email address (escaped) that may wrap before its "@" and after its dots rather than
    inside a word: "ana.lindqvist" / "@acme.example.com", not "ana.lindq" / "vist@acme…"."""
    escaped = str(conditional_escape(value))
    return mark_safe(escaped.replace("@", "<wbr>@").replace(".", ".<wbr>"))


def priority_class(value: str) -> str:
    return PRIORITY_CLASSES.get(value or "", "bg-body-secondary text-body-secondary")


def event_icon(kind: str) -> str:
    return EVENT_ICONS.get(kind, "bi-dot")


def event_tone(kind: str) -> str:
    return EVENT_TONES.get(kind, "secondary")


# --- The ticket history --------------------------------------------------------------------

FIELD_LABELS: dict[str, Promise] = {
    TicketChange.Field.OWNER: gettext_lazy("Owner"),
    TicketChange.Field.PRIORITY: gettext_lazy("Priority"),
    TicketChange.Field.TEAM: gettext_lazy("Team"),
    TicketChange.Field.SOURCE: gettext_lazy("Source"),
    TicketChange.Field.PIPELINE: gettext_lazy("Pipeline"),
    TicketChange.Field.STAGE: gettext_lazy("Stage"),
}
VIA_SUFFIXES: dict[str, Promise] = {
    TicketChange.Via.API: gettext_lazy("through the API"),
    TicketChange.Via.ADMIN: gettext_lazy("in the admin"),
    TicketChange.Via.EMAIL: gettext_lazy("by email"),
}


def change_actor(change: TicketChange) -> str:
    """Who made a change, as people read it: "lee", "lee through the API", "a customer
    message", "automatic"."""
    if change.via == TicketChange.Via.CUSTOMER:
        return _("a customer message")
    actor = change.actor
    if actor is None:
        return (
            _("automatic")
            if change.via == TicketChange.Via.SYSTEM
            else str(change.get_via_display())
        )
    name = actor.get_username()
    suffix = VIA_SUFFIXES.get(change.via)
    return f"{name} {suffix}" if suffix else name


def change_text(change: TicketChange) -> str:
    """One field's change: "Priority High → Urgent", "closed the ticket (Stage New → Closed)"."""
    text = _("%(field)s %(old)s → %(new)s") % {
        "field": FIELD_LABELS.get(change.field, change.field),
        "old": change.old_label or "—",
        "new": change.new_label or "—",
    }
    if change.state == TicketChange.State.CLOSED:
        return _("closed the ticket (%(change)s)") % {"change": text}
    if change.state == TicketChange.State.REOPENED:
        return _("reopened the ticket (%(change)s)") % {"change": text}
    return text


def changes_text(changes: list[TicketChange]) -> str:
    """Several fields changed at once by one person: "Priority High → Urgent, Owner — → lee"."""
    return ", ".join(change_text(change) for change in changes)
