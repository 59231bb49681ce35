"""Error routing of the settings page: the service's errors, keyed by document path
(``working_hours.mon.1``, ``goals.0.close_minutes``, ``goals_by_scope.team.2.enabled``), put next
to the fields and rows they name; what names nothing on the page is listed above the form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django import forms
from django.utils.translation import gettext, gettext_lazy

from settings_app.document import GOAL_FIELDS, PROPERTIES, WEEKDAY_NAMES, WEEKDAYS
from settings_app.labels import SCOPE_LABELS
from settings_app.services import SettingsVersionConflict

NO_CHANGES_MESSAGE = gettext_lazy(
    "No changes: the settings are as they were, so nothing was saved."
)


def conflict_message(exc: SettingsVersionConflict) -> str:
    """What a person is told when the settings changed since their form was opened."""
    return gettext(
        "The SLA settings changed since you opened this page: you started from version "
        "%(given)s, they are at version %(current)s now. Nothing was saved. "
        "Reload the page to see the current settings, then make your change again."
    ) % {"given": exc.given_version, "current": exc.current_version}


class ErrorRouting:
    """What a set of settings forms needs to show the service's errors: the general form, the
    forms behind each document path (filled when the document was built) and the lists of
    errors that belong to a whole section. ``SlaSettingsForms`` is one: the settings page's
    forms, which the admin's change form (``settings_app.admin``) uses as they are."""

    # The general form's field for each top-level document field it shows.
    general_fields: Mapping[str, str] = {
        name: name
        for name in (
            "applies",
            "timezone",
            "goals_enabled",
            "scope",
            "property",
            "apply_to",
            "pause_statuses",
        )
    }
    # Whether a goal error in a scope that is not shown needs a note saying where to look.
    notes_hidden_scopes = True

    general: forms.BaseForm
    other_errors: list[str]
    working_hours_errors: list[str]
    holiday_errors: list[str]
    goal_errors: list[str]
    _period_forms: Mapping[str, Sequence[forms.BaseForm]]
    _holiday_forms: Sequence[forms.BaseForm]
    _goal_forms: Mapping[str, Sequence[forms.BaseForm]]

    def goal_field_name(self, name: str) -> str:
        """The goal row form's field for a goal field of the document (``close_minutes``)."""
        return f"{name}_number"

    def _note_hidden_errors(self, scope: str) -> None:
        """Errors in the rows of a scope that is not shown (kept goals of another scope)."""
        if not self.notes_hidden_scopes:
            return
        label = str(SCOPE_LABELS[scope])
        message = (
            f"the goals kept for “{label}” need fixing: choose “{label}” under Apply goals "
            "to see the marked rows."
        )
        if scope == "all":
            message = (
                "the goals kept for all tickets need fixing: choose “To all tickets” to see them."
            )
        if message not in self.goal_errors:
            self.goal_errors.append(message)

    def apply_errors(self, errors: Mapping[str, Iterable[str]]) -> None:
        """Attach the service's errors (keyed by document path) to the fields they name."""
        for path, messages in errors.items():
            for message in messages:
                self._apply_error(str(path), str(message))

    def _apply_error(self, path: str, message: str) -> None:
        parts = path.split(".")
        head = parts[0]
        if head in self.general_fields and (len(parts) == 1 or head == "pause_statuses"):
            self.general.add_error(self.general_fields[head], message)
        elif head == "version":
            self.general.add_error(None, message)
        elif head == "working_hours":
            self._apply_period_error(parts[1:], message)
        elif head == "holidays":
            self._apply_holiday_error(parts[1:], message)
        elif head == "goals":
            self._apply_goal_error("goals", parts[1:], message)
        elif head == "goals_by_scope" and len(parts) >= 2:
            self._apply_goal_error(f"goals_by_scope.{parts[1]}", parts[2:], message)
            if parts[1] in PROPERTIES or parts[1] == "all":
                self._note_hidden_errors(parts[1])
        else:
            self.other_errors.append(f"{path}: {message}" if path else message)

    def _apply_period_error(self, rest: list[str], message: str) -> None:
        if not rest:
            self.working_hours_errors.append(message)
            return
        day = rest[0]
        if day not in WEEKDAYS:
            self.working_hours_errors.append(message)
            return
        forms_of_day = self._period_forms.get(day, [])
        if len(rest) >= 2 and rest[1].isdigit() and int(rest[1]) < len(forms_of_day):
            forms_of_day[int(rest[1])].add_error(None, message)
            return
        self.working_hours_errors.append(f"{WEEKDAY_NAMES[WEEKDAYS.index(day)]}: {message}")

    def _apply_holiday_error(self, rest: list[str], message: str) -> None:
        if rest and rest[0].isdigit() and int(rest[0]) < len(self._holiday_forms):
            form = self._holiday_forms[int(rest[0])]
            name = rest[1] if len(rest) > 1 else ""
            form.add_error(name if name in ("date", "name", "recurring") else None, message)
            return
        self.holiday_errors.append(message)

    def _apply_goal_error(self, path: str, rest: list[str], message: str) -> None:
        goal_forms = self._goal_forms.get(path, [])
        if not (rest and rest[0].isdigit() and int(rest[0]) < len(goal_forms)):
            self.goal_errors.append(message)
            return
        form = goal_forms[int(rest[0])]
        name = rest[1] if len(rest) > 1 else ""
        if name in GOAL_FIELDS:
            form.add_error(self.goal_field_name(name), message)
        elif name == "enabled":
            form.add_error("enabled", message)
        else:
            form.add_error(None, message)
