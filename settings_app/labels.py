"""Human labels of the SLA settings: properties, their values, goal rows and goal fields.

One set of terms everywhere (the wireframes' and SPEC's): "Time to first reply", "Priority
Urgent", "No team". The settings page, its audit log, the admin, the API's error messages and the
ticket timeline all take their wording from here. No database access: labels of teams and
pipelines (records) are passed in by the caller as names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeAlias

from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Text, or text translated when it is shown (``gettext_lazy``): what Django takes as a label.
Label: TypeAlias = "StrOrPromise"

GOAL_KINDS = ("first_response", "next_response", "close")
PROPERTIES = ("priority", "team", "source", "pipeline")
# The keys of goals_by_scope (SPEC section 7): "all" and each property.
SCOPE_KEYS = ("all", *PROPERTIES)
# Properties a ticket may leave empty: they get one more row, "No priority" / "No team".
EMPTY_PROPERTIES = ("priority", "team")

PROPERTY_LABELS: dict[str, Label] = {
    "priority": _("Priority"),
    "team": _("Team"),
    "source": _("Source"),
    "pipeline": _("Pipeline"),
}
SCOPE_LABELS: dict[str, Label] = {"all": _("All tickets"), **PROPERTY_LABELS}
NO_VALUE_LABELS: dict[str, Label] = {"priority": _("No priority"), "team": _("No team")}
# The fixed values (tests pin them to the models' choices).
PRIORITY_LABELS: dict[str, Label] = {
    "low": _("Low"),
    "medium": _("Medium"),
    "high": _("High"),
    "urgent": _("Urgent"),
}
SOURCE_LABELS: dict[str, Label] = {
    "email": _("Email"),
    "chat": _("Chat"),
    "form": _("Form"),
    "phone": _("Phone"),
    "api": _("API"),
}
FIXED_VALUE_LABELS: dict[str, dict[str, Label]] = {
    "priority": PRIORITY_LABELS,
    "source": SOURCE_LABELS,
}

# "Time to first reply": a goal, as the settings page names it.
GOAL_KIND_LABELS: dict[str, Label] = {
    "first_response": _("Time to first reply"),
    "next_response": _("Time to next reply"),
    "close": _("Time to close"),
}
# "First reply": a clock, in tables, badges and the timeline.
CLOCK_LABELS: dict[str, Label] = {
    "first_response": _("First reply"),
    "next_response": _("Next reply"),
    "close": _("Close"),
}
# A clock inside a sentence ("The first reply is due Tue 3 Mar 2026, 06:00 EST.").
CLOCK_SENTENCE_LABELS: dict[str, Label] = {
    "first_response": _("first reply"),
    "next_response": _("next reply"),
    "close": _("close"),
}
# A field of a goal row, inside a sentence ("Priority Urgent: time to first reply 15 min → …").
GOAL_FIELD_LABELS: dict[str, Label] = {
    "enabled": _("SLA goals"),
    "first_response_minutes": _("time to first reply"),
    "first_response_due_soon_minutes": _("time to first reply, due soon"),
    "next_response_minutes": _("time to next reply"),
    "next_response_due_soon_minutes": _("time to next reply, due soon"),
    "close_minutes": _("time to close"),
    "close_due_soon_minutes": _("time to close, due soon"),
}
# The same fields standing alone (next to an input, in an error list).
GOAL_FIELD_TITLES: dict[str, Label] = {
    "enabled": _("On"),
    "first_response_minutes": _("Time to first reply"),
    "first_response_due_soon_minutes": _("Time to first reply, due soon"),
    "next_response_minutes": _("Time to next reply"),
    "next_response_due_soon_minutes": _("Time to next reply, due soon"),
    "close_minutes": _("Time to close"),
    "close_due_soon_minutes": _("Time to close, due soon"),
}
SETTING_LABELS: dict[str, Label] = {
    "applies": _("When SLAs apply"),
    "timezone": _("Time zone"),
    "goals_enabled": _("Response time and close time goals"),
    "scope": _("Apply goals"),
    "property": _("Ticket property"),
    "holidays": _("Holidays"),
    "pause_statuses": _("Pause clocks in"),
}
APPLIES_LABELS: dict[str, Label] = {"always": _("24/7"), "working_hours": _("During working hours")}
SCOPE_CHOICE_LABELS: dict[str, Label] = {
    "all": _("To all tickets"),
    "property": _("Based on a ticket property"),
}
APPLY_TO_LABELS: dict[str, Label] = {
    "new": _("New tickets only"),
    "new_and_open": _("New and open tickets"),
}
WEEKDAY_LABELS: tuple[Label, ...] = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)


def value_label(prop: str, value: str | None, *, names: Mapping[str, str] | None = None) -> str:
    """The label of one value of ``prop``: "Urgent", "Email", a team's name, "No team".

    ``value`` is the value's key (a team's or pipeline's slug); ``None`` or "" is the no-value
    row. ``names`` maps keys of records (teams, pipelines) to their names; a key it does not know
    is shown as it is.
    """
    if not value:
        return str(NO_VALUE_LABELS.get(prop, _("No value")))
    fixed = FIXED_VALUE_LABELS.get(prop)
    if fixed is not None:
        return str(fixed.get(value, value))
    return (names or {}).get(value, value)


def goal_row_label(scope: str, value: str | None, *, names: Mapping[str, str] | None = None) -> str:
    """A goal row as a person names it: "All tickets", "Priority Urgent", "No team"."""
    if scope == "all":
        return str(SCOPE_LABELS["all"])
    if not value:
        return value_label(scope, value)
    return f"{PROPERTY_LABELS.get(scope, scope)} {value_label(scope, value, names=names)}"


def goal_field_label(name: str) -> str:
    """ "time to first reply", "time to close, due soon", "SLA goals" (``enabled``)."""
    return str(GOAL_FIELD_LABELS.get(name, name))


def stored_goal_label(goal: str, name: str = "") -> str:
    """The goal row named in a clock event's detail, as a person reads it, in the active language.

    Events record the row's key (``goal_ref``: "all", "priority:urgent", "priority:" for the
    no-value row, "team:5") and, for a team's or pipeline's row, the record's name at that time
    (``name``). Events written earlier recorded an English label ("Priority Urgent", "No team",
    "Team Billing") or, earlier still, a lower-case key ("all tickets", "priority urgent"): both
    are read back into the key, so they read in the active language too; a text neither way
    knows is shown as it is.
    """
    if goal == "all":
        return str(SCOPE_LABELS["all"])
    scope, sep, value = goal.partition(":")
    if sep and scope in PROPERTIES:
        return goal_row_label(scope, value, names={value: name} if name and value else None)
    return _older_goal_label(goal)


def _older_goal_label(text: str) -> str:
    if text in ("all tickets", "All tickets"):
        return str(SCOPE_LABELS["all"])
    prop, _sep, value = text.partition(" ")
    if prop in PROPERTIES and value and value == value.lower():  # "priority urgent"
        return goal_row_label(prop, value)
    with override("en"):  # the labels older events recorded (the site's language)
        english = {str(label): prop for prop, label in NO_VALUE_LABELS.items()}
        fixed = {
            f"{PROPERTY_LABELS[prop]} {label}": (prop, key)
            for prop, labels in FIXED_VALUE_LABELS.items()
            for key, label in labels.items()
        }
        prefixes = {f"{PROPERTY_LABELS[prop]} ": prop for prop in ("team", "pipeline")}
    if text in english:
        return value_label(english[text], None)
    if text in fixed:
        return goal_row_label(*fixed[text])
    for prefix, prop in prefixes.items():
        if text.startswith(prefix) and len(text) > len(prefix):
            record = text[len(prefix) :]
            return goal_row_label(prop, record, names={record: record})
    return text
