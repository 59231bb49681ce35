"""The team schedules of the settings page (SPEC section 2.1 "Team schedules"): each schedule's
teams, time zone, weekly periods and holidays, edited in its own dialog on the settings page and
saved with the rest of the page as the document's ``team_schedules``.

Posted as ``ts-TOTAL_FORMS`` and, per schedule N, ``ts-N-teams`` (several), ``ts-N-timezone``,
``ts-N-DELETE`` (removed on the page) and the formsets ``ts-N-period`` and ``ts-N-holiday`` (the
same row forms as the default schedule's). A POST without ``ts-TOTAL_FORMS`` leaves the team
schedules out of the document, so the stored ones are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from settings_app.document import WEEKDAYS
from settings_app.forms.fields import (
    LooseMultipleChoiceField,
    ZoneSelect,
    timezone_choices,
)
from settings_app.forms.rows import (
    DayPeriods,
    HolidayForm,
    HolidayFormSet,
    PeriodForm,
    PeriodFormSet,
    holiday_count,
    hours_rows,
    period_days,
    typed_working_hours,
)

# Far above any help desk's number of teams; a crafted count cannot build thousands of forms.
MAX_TEAM_SCHEDULES = 100
PREFIX = "ts"
# The prefix of the template a new schedule is cloned from (the page's script numbers it).
TEMPLATE_PREFIX = "ts-__ts__"


class TeamScheduleForm(forms.Form):
    """One team schedule's teams and time zone (its rows are formsets of their own)."""

    teams = LooseMultipleChoiceField(
        label=_("Teams"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input schedule-team"}),
    )
    timezone = forms.CharField(label=_("Time zone"), max_length=200)
    DELETE = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, team_choices: Sequence[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        teams = self.fields["teams"]
        assert isinstance(teams, forms.MultipleChoiceField)
        teams.choices = list(team_choices)
        self.fields["timezone"].widget = ZoneSelect(
            choices=timezone_choices(), attrs={"class": "form-select schedule-zone"}
        )


@dataclass
class TeamScheduleBlock:
    """One schedule on the page: its form, its period and holiday formsets, and (after the
    document was built) where it sits in ``team_schedules`` and which form is each row."""

    prefix: str
    form: TeamScheduleForm
    periods: forms.BaseFormSet
    holidays: forms.BaseFormSet
    team_names: dict[str, str]
    errors: list[str] = field(default_factory=list)
    period_forms: dict[str, list[PeriodForm]] = field(default_factory=dict)
    holiday_forms: list[HolidayForm] = field(default_factory=list)

    @property
    def is_removed(self) -> bool:
        value = self.form["DELETE"].value()
        return value not in (None, "", False, "False", "false", "0", "off")

    def chosen_teams(self) -> list[str]:
        """The teams ticked (typed or saved), in the page's order."""
        value = self.form["teams"].value() or []
        chosen = {str(v) for v in value}
        return [slug for slug in self.team_names if slug in chosen] + sorted(
            chosen - set(self.team_names)
        )

    def team_label(self) -> str:
        names = [self.team_names.get(slug, slug) for slug in self.chosen_teams()]
        return ", ".join(names) or gettext("No team chosen")

    def days(self) -> list[DayPeriods]:
        return period_days(self.periods)

    def typed_working_hours(self) -> dict[str, list[list[str]]]:
        return typed_working_hours(self.periods)

    def holiday_count(self) -> int:
        return holiday_count(self.holidays)

    @property
    def has_errors(self) -> bool:
        if self.is_removed:
            return False
        return bool(
            self.errors
            or (self.form.is_bound and self.form.errors)
            or (self.periods.is_bound and any(f.errors for f in self.periods.forms))
            or (self.periods.is_bound and self.periods.non_form_errors())
            or (self.holidays.is_bound and any(f.errors for f in self.holidays.forms))
            or (self.holidays.is_bound and self.holidays.non_form_errors())
        )

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        valid = self.periods.is_valid() and valid
        valid = self.holidays.is_valid() and valid
        self.errors.extend(str(e) for e in self.periods.non_form_errors())
        self.errors.extend(str(e) for e in self.holidays.non_form_errors())
        return valid

    def schedule(self) -> dict[str, Any]:
        """This schedule as the settings document writes it (from valid forms)."""
        rows = hours_rows(self.periods, self.holidays)
        self.period_forms, self.holiday_forms = rows.period_forms, rows.holiday_forms
        return {
            "teams": self.chosen_teams(),
            "timezone": self.form.cleaned_data["timezone"],
            "working_hours": rows.working_hours,
            "holidays": rows.holidays,
        }

    def apply_error(self, parts: list[str], message: str) -> None:
        """One service error of this schedule (``parts``: the path after ``team_schedules.N``)."""
        head = parts[0] if parts else ""
        if head == "teams":
            self.form.add_error("teams", message)
        elif head == "timezone":
            self.form.add_error("timezone", message)
        elif head == "working_hours" and len(parts) == 3 and parts[1] in WEEKDAYS:
            rows = self.period_forms.get(parts[1], [])
            if parts[2].isdigit() and int(parts[2]) < len(rows):
                rows[int(parts[2])].add_error(None, message)
            else:
                self.errors.append(message)
        elif head == "holidays" and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(self.holiday_forms):
                name = parts[2] if len(parts) > 2 and parts[2] in ("date", "name") else None
                self.holiday_forms[index].add_error(name, message)
            else:
                self.errors.append(message)
        else:
            self.errors.append(message)


def _holiday_initial(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"date": row["date"], "name": row.get("name", ""), "recurring": row.get("recurring")}
        for row in rows
    ]


def _period_initial(hours: Mapping[str, Sequence[Sequence[str]]]) -> list[dict[str, Any]]:
    return [
        {"day": day, "start": start, "end": end}
        for day in WEEKDAYS
        for start, end in hours.get(day, [])
    ]


class TeamSchedulesForms:
    """Every team schedule of the page, as blocks; unbound from the document's, bound to a POST
    (``posted`` is False when the POST carried none: the stored ones are kept)."""

    def __init__(
        self,
        *,
        document: Mapping[str, Any],
        team_choices: Sequence[tuple[str, str]],
        data: QueryDict | None = None,
    ) -> None:
        self.team_choices = list(team_choices)
        self.team_names = dict(self.team_choices)
        self.document = document
        self.errors: list[str] = []
        self.posted = data is not None and f"{PREFIX}-TOTAL_FORMS" in data
        self.blocks: list[TeamScheduleBlock] = []
        self.total = 0
        if self.posted:
            assert data is not None
            raw = str(data.get(f"{PREFIX}-TOTAL_FORMS", ""))
            if not raw.isdigit() or int(raw) > MAX_TEAM_SCHEDULES:
                self.errors.append(
                    gettext("This page is out of date: reload it and make your change again.")
                )
                raw = "0"
            self.total = int(raw)
            for index in range(self.total):
                self.blocks.append(self._block(f"{PREFIX}-{index}", data=data))
        else:
            schedules = list(document.get("team_schedules") or [])
            self.total = len(schedules)
            for index, schedule in enumerate(schedules):
                self.blocks.append(self._block(f"{PREFIX}-{index}", schedule=schedule))
        # The document index of each block sent (removed and empty blocks are not sent).
        self._sent: list[TeamScheduleBlock] = []

    def _block(
        self,
        prefix: str,
        *,
        schedule: Mapping[str, Any] | None = None,
        data: QueryDict | None = None,
    ) -> TeamScheduleBlock:
        if data is not None:
            form = TeamScheduleForm(data, prefix=prefix, team_choices=self.team_choices)
            periods = PeriodFormSet(data, prefix=f"{prefix}-period")
            holidays = HolidayFormSet(data, prefix=f"{prefix}-holiday")
        else:
            start = schedule or {}
            form = TeamScheduleForm(
                prefix=prefix,
                team_choices=self.team_choices,
                initial={"teams": list(start.get("teams", [])), "timezone": start.get("timezone")},
            )
            periods = PeriodFormSet(
                prefix=f"{prefix}-period",
                initial=_period_initial(start.get("working_hours", {})),
            )
            holidays = HolidayFormSet(
                prefix=f"{prefix}-holiday", initial=_holiday_initial(start.get("holidays", []))
            )
        return TeamScheduleBlock(
            prefix=prefix,
            form=form,
            periods=periods,
            holidays=holidays,
            team_names=self.team_names,
        )

    def template_block(self, *, default: Mapping[str, Any]) -> TeamScheduleBlock:
        """The block a new schedule is cloned from: no team yet, the default schedule's zone,
        hours and holidays to start from."""
        return self._block(
            TEMPLATE_PREFIX,
            schedule={
                "teams": [],
                "timezone": default.get("timezone"),
                "working_hours": default.get("working_hours", {}),
                "holidays": default.get("holidays", []),
            },
        )

    def live_blocks(self) -> list[TeamScheduleBlock]:
        return [block for block in self.blocks if not block.is_removed]

    def default_teams(self) -> list[tuple[str, str]]:
        """The teams no schedule shown has ticked: they use the default schedule."""
        taken = {slug for block in self.live_blocks() for slug in block.chosen_teams()}
        return [(slug, name) for slug, name in self.team_choices if slug not in taken]

    # -- parsing ---------------------------------------------------------------------------------

    def is_valid(self) -> bool:
        """Every schedule shown parses, has a team, and no team is ticked in two of them (said
        next to the teams of the later one, naming the team)."""
        if not self.posted:
            return True
        valid = not self.errors
        placed: dict[str, TeamScheduleBlock] = {}
        for block in self.live_blocks():
            valid = block.is_valid() and valid
            chosen = block.chosen_teams()
            if not chosen:
                block.form.add_error(
                    "teams",
                    gettext(
                        "Choose at least one team for these hours, or remove them with "
                        "“Remove” (the teams then use the default)."
                    ),
                )
                valid = False
            for slug in chosen:
                other = placed.get(slug)
                if other is not None:
                    block.form.add_error(
                        "teams",
                        gettext(
                            "%(team)s already counts in the hours of %(other)s: a team counts "
                            "in one schedule only. Untick it here or there."
                        )
                        % {"team": self.team_names.get(slug, slug), "other": other.team_label()},
                    )
                    valid = False
                else:
                    placed[slug] = block
        return valid

    def to_document(self) -> list[dict[str, Any]] | None:
        """The document's ``team_schedules`` (None: not posted, keep the stored ones)."""
        if not self.posted:
            return None
        self._sent = self.live_blocks()
        return [block.schedule() for block in self._sent]

    def apply_error(self, parts: list[str], message: str) -> bool:
        """Put a ``team_schedules.…`` error next to its field; False when it names no block."""
        if parts and parts[0].isdigit() and int(parts[0]) < len(self._sent):
            self._sent[int(parts[0])].apply_error(parts[1:], message)
            return True
        return False

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(block.has_errors for block in self.blocks)

    def blocks_with_errors(self) -> list[TeamScheduleBlock]:
        return [block for block in self.blocks if block.has_errors]
