"""Writes of the SLA settings: every interface (page, API, admin) saves through
``sla_settings_save``; teams, pipelines and stages are deleted through ``*_delete``.

A save validates the whole document first, then writes the configuration in one transaction with
the settings row locked, bumps its version, writes one audit entry, and, when asked to apply the
change to open tickets, queues a recompute on commit. A save that changes nothing writes nothing.
Goal rows are kept per scope: a save replaces the chosen scope's rows and the rows of the scopes
sent in ``goals_by_scope``, and keeps the others.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from settings_app.document import (
    GOAL_FIELDS,
    WEEKDAYS,
    Errors,
    GoalRow,
    ParsedSettings,
    TeamScheduleRow,
    document_parse,
    minutes_to_clock,
)
from settings_app.goal_reach import settings_goals_beyond_reach
from settings_app.labels import SCOPE_KEYS, goal_row_label
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
    TeamScheduleMember,
    TeamSchedulePeriod,
    WorkingPeriod,
)
from settings_app.selectors import (
    SlaConfig,
    chosen_scope_key,
    reference_keys,
    sla_config_cache_clear,
    sla_config_of,
    sla_settings_document,
    sla_settings_get,
)
from settings_app.ticket_side import Recompute, ticket_side

# What the page and the API say when the database fails mid-save (the transaction rolled back).
# Marked for the catalogue; translated where it is shown (gettext(SAVE_FAILED_MESSAGE)).
SAVE_FAILED_MESSAGE = gettext_noop(
    "The database failed during the save; nothing was saved. Try again in a moment."
)


class SettingsValidationError(Exception):
    """The document was refused; ``errors`` maps field paths to messages. Nothing was saved."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("Invalid SLA settings")
        self.errors = errors


class SettingsVersionConflict(Exception):
    """The document was based on an older version of the settings. Nothing was saved."""

    def __init__(self, *, current_version: int, given_version: int) -> None:
        super().__init__(
            f"The settings changed since version {given_version}; they are at version "
            f"{current_version} now. Reload and apply your change again."
        )
        self.current_version = current_version
        self.given_version = given_version


class ReferenceInUse(Exception):
    """A team, pipeline or stage that goals, pause stages or tickets use was not deleted.

    ``uses`` names each use, for a person ("SLA goals: Team Billing", "2 open tickets: #4, #9").
    """

    def __init__(self, *, name: str, uses: list[str]) -> None:
        super().__init__(
            _("%(name)s is in use: %(uses)s") % {"name": name, "uses": "; ".join(uses)}
        )
        self.name = name
        self.uses = uses


class _NoChange(Exception):
    """Raised inside the save's savepoint to undo a write that changed nothing."""


@dataclass(frozen=True)
class SaveResult:
    document: dict
    change: SlaSettingsChange | None  # None: nothing changed, nothing was written
    recompute: Recompute | None  # when "new and open tickets" queued one

    @property
    def changed(self) -> bool:
        return self.change is not None


def sla_settings_validate(
    document: Any, *, now: datetime.datetime | None = None
) -> tuple[ParsedSettings | None, Errors]:
    """Validate a settings document against the current reference data (no write), and refuse
    goals that would take more than five calendar years to count from ``now`` (SPEC §2).

    Team schedules left out of ``document`` are the stored ones: they are checked with the
    document's goals and 24/7 switch as if they had been sent."""
    if isinstance(document, dict) and document.get("team_schedules") is None:
        stored = sla_settings_document()["team_schedules"]
        document = {**document, "team_schedules": stored}
    parsed, errors = document_parse(document, **reference_keys())
    if parsed is not None:
        errors = settings_goals_beyond_reach(parsed, now=now or timezone.now())
        if errors:
            return None, errors
    return parsed, errors


SCHEDULE_FIELDS = ("applies", "timezone", "holidays")
_EMPTY_ROW = {"enabled": False, **dict.fromkeys(GOAL_FIELDS)}


def goal_path(scope: str, value: str | None, name: str) -> str:
    """The audit path of one goal field: "goals[priority:urgent].close_minutes",
    "goals[all].close_minutes", "goals[team:].enabled" (the "No team" row)."""
    row = "all" if scope == "all" else f"{scope}:{value or ''}"
    return f"goals[{row}].{name}"


def _goal_rows_by_scope(document: dict) -> dict[str, list[dict]]:
    chosen = chosen_scope_key(scope=document.get("scope", "all"), prop=document.get("property"))
    rows = {key: list(value) for key, value in (document.get("goals_by_scope") or {}).items()}
    rows[chosen] = list(document.get("goals", []))
    return rows


def _holiday_texts(holidays: Iterable[dict]) -> list[str]:
    return [
        f"{h['date']} {h.get('name', '')}{' (yearly)' if h.get('recurring') else ''}".strip()
        for h in holidays
    ]


def team_schedule_key(schedule: dict) -> str:
    """How the audit log names a team schedule: its teams' slugs, "support-us+support-ca"."""
    return "+".join(schedule.get("teams", []))


def _flatten(document: dict) -> dict[str, Any]:
    """Field path -> comparable value, for the audit entry's list of changes.

    A goal row that is off and has no goal is the same as no row (neither gives an SLA), so
    adding or dropping one is not a change. A team schedule's fields are listed under
    ``team_schedules[<its teams>]``, one entry per changed field.
    """
    flat: dict[str, Any] = {}
    for key in ("applies", "timezone", "goals_enabled", "scope", "property"):
        flat[key] = document.get(key)
    for day in WEEKDAYS:
        periods = document.get("working_hours", {}).get(day, [])
        flat[f"working_hours.{day}"] = ", ".join(f"{s}–{e}" for s, e in periods) or "off"
    flat["holidays"] = _holiday_texts(document.get("holidays", []))
    for schedule in document.get("team_schedules", []):
        prefix = f"team_schedules[{team_schedule_key(schedule)}]"
        flat[f"{prefix}.timezone"] = schedule.get("timezone")
        for day in WEEKDAYS:
            periods = schedule.get("working_hours", {}).get(day, [])
            flat[f"{prefix}.working_hours.{day}"] = (
                ", ".join(f"{s}–{e}" for s, e in periods) or "off"
            )
        flat[f"{prefix}.holidays"] = _holiday_texts(schedule.get("holidays", []))
    flat["pause_statuses"] = sorted(document.get("pause_statuses", []))
    for scope in SCOPE_KEYS:
        for goal in _goal_rows_by_scope(document).get(scope, []):
            row = {"enabled": goal.get("enabled", True), **{n: goal.get(n) for n in GOAL_FIELDS}}
            if row == _EMPTY_ROW:
                continue
            for name, value in row.items():
                flat[goal_path(scope, goal.get("value"), name)] = value
    return flat


def _empty_default(path: str) -> Any:
    """What a goal field of a row that does not exist counts as (a team schedule that does
    not exist has no zone, no periods and no holidays)."""
    if path.startswith("team_schedules["):
        if ".working_hours." in path:
            return "off"
        return [] if path.endswith(".holidays") else None
    return False if path.startswith("goals[") and path.endswith(".enabled") else None


def settings_diff(before: dict, after: dict) -> list[dict[str, Any]]:
    """The fields whose value differs, as ``[{"field", "before", "after"}]``.

    Goal fields of a row that one side lacks compare with an empty row that is off.
    """
    old, new = _flatten(before), _flatten(after)
    changes = []
    for key in list(old) + [k for k in new if k not in old]:
        was = old.get(key, _empty_default(key))
        now = new.get(key, _empty_default(key))
        if was != now:
            changes.append({"field": key, "before": was, "after": now})
    return changes


def _names_of_records(*documents: dict) -> dict[str, dict[str, str]]:
    """Team and pipeline names by slug, for the audit entry (they may be renamed later)."""
    team_slugs: set[str] = set()
    pipeline_slugs: set[str] = set()
    for document in documents:
        rows = _goal_rows_by_scope(document)
        team_slugs |= {g["value"] for g in rows.get("team", []) if g.get("value")}
        pipeline_slugs |= {g["value"] for g in rows.get("pipeline", []) if g.get("value")}
    return {
        "team": dict(Team.objects.filter(slug__in=team_slugs).values_list("slug", "name")),
        "pipeline": dict(
            Pipeline.objects.filter(slug__in=pipeline_slugs).values_list("slug", "name")
        ),
    }


def _changes_with_names(changes: list[dict[str, Any]], names: dict[str, dict[str, str]]) -> None:
    """Add the name of the team or pipeline a goal change is about (``value_name``)."""
    for change in changes:
        field = change["field"]
        for scope in ("team", "pipeline"):
            prefix = f"goals[{scope}:"
            if field.startswith(prefix):
                slug = field[len(prefix) : field.index("]")]
                if slug in names[scope]:
                    change["value_name"] = names[scope][slug]


def schedule_changed(changes: Iterable[dict[str, Any]]) -> bool:
    """Whether a save's changes touch the schedule clocks count in."""
    fields = [str(change["field"]) for change in changes]
    return any(
        f in SCHEDULE_FIELDS or f.startswith(("working_hours.", "team_schedules[")) for f in fields
    )


def _write_goal_rows(row: SlaSettings, scope: str, goals: list[GoalRow]) -> None:
    """Replace the rows of one scope; teams and pipelines are looked up by slug."""
    records: dict[str, Any] = {}
    if scope == "team":
        records = {t.slug: t for t in Team.objects.filter(slug__in=[g.value for g in goals])}
    elif scope == "pipeline":
        records = {p.slug: p for p in Pipeline.objects.filter(slug__in=[g.value for g in goals])}
    new_rows = []
    for index, goal in enumerate(goals):
        fields: dict[str, Any] = {"value": goal.value}
        if scope in ("team", "pipeline") and goal.value:
            record = records.get(goal.value)
            if record is None:  # renamed or deleted since the validation
                raise SettingsValidationError(
                    {f"goals.{index}.value": [f"{goal.value!r} is not a {scope} any more."]}
                )
            fields = {"value": "", scope: record}
        new_rows.append(
            SlaGoal(sla_settings=row, scope=scope, enabled=goal.enabled, **fields, **goal.minutes)
        )
    row.goals.filter(scope=scope).delete()
    SlaGoal.objects.bulk_create(new_rows)


def _write_team_schedules(row: SlaSettings, schedules: list[TeamScheduleRow]) -> None:
    """Replace the team schedules; teams are looked up by slug (held by record)."""
    slugs = [slug for schedule in schedules for slug in schedule.teams]
    teams = {team.slug: team for team in Team.objects.filter(slug__in=slugs)}
    TeamScheduleMember.objects.filter(schedule__sla_settings=row).delete()
    row.team_schedules.all().delete()
    for position, parsed in enumerate(schedules):
        schedule = TeamSchedule.objects.create(
            sla_settings=row, position=position, timezone=parsed.timezone
        )
        members = []
        for index, slug in enumerate(parsed.teams):
            team = teams.get(slug)
            if team is None:  # renamed or deleted since the validation
                raise SettingsValidationError(
                    {
                        f"team_schedules.{position}.teams.{index}": [
                            f"{slug!r} is not a team any more."
                        ]
                    }
                )
            members.append(TeamScheduleMember(schedule=schedule, team=team, position=index))
        TeamScheduleMember.objects.bulk_create(members)
        TeamSchedulePeriod.objects.bulk_create(
            TeamSchedulePeriod(schedule=schedule, weekday=weekday, start_minute=s, end_minute=e)
            for weekday, periods in sorted(parsed.periods.items())
            for s, e in periods
        )
        TeamScheduleHoliday.objects.bulk_create(
            TeamScheduleHoliday(schedule=schedule, date=h.date, name=h.name, recurring=h.recurring)
            for h in parsed.holidays
        )


def _write(row: SlaSettings, parsed: ParsedSettings) -> None:
    row.applies = parsed.applies
    row.timezone = parsed.timezone
    row.goals_enabled = parsed.goals_enabled
    row.scope = parsed.scope
    row.property = parsed.property
    row.version += 1
    row.save()
    row.periods.all().delete()
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(sla_settings=row, weekday=weekday, start_minute=start, end_minute=end)
        for weekday, periods in sorted(parsed.periods.items())
        for start, end in periods
    )
    row.holidays.all().delete()
    Holiday.objects.bulk_create(
        Holiday(sla_settings=row, date=h.date, name=h.name, recurring=h.recurring)
        for h in parsed.holidays
    )
    chosen = chosen_scope_key(scope=parsed.scope, prop=parsed.property)
    _write_goal_rows(row, chosen, parsed.goals)
    for scope, goals in parsed.goals_by_scope.items():
        if scope != chosen:
            _write_goal_rows(row, scope, goals)
    wanted = set(parsed.pause_statuses)
    stages = [s for s in Stage.objects.select_related("pipeline") if s.key in wanted]
    row.pause_stages.set(stages)
    if parsed.team_schedules is not None:  # left out: the stored ones are kept
        _write_team_schedules(row, parsed.team_schedules)


class _Rollback(Exception):
    """Raised inside a check's savepoint: a check never keeps what it wrote."""


@dataclass(frozen=True)
class CheckResult:
    """What saving a document would do: ``changes`` as the audit entry would list them (empty:
    nothing would change), and the document as it would be saved (``after``)."""

    parsed: ParsedSettings
    changes: list[dict[str, Any]]
    before: dict
    after: dict
    # The settings snapshot the SLA engine would compute with after the save (a dry run of
    # "new and open tickets" uses it); None when nothing would change.
    config: SlaConfig | None = None


def sla_settings_check(*, document: Any, now: datetime.datetime | None = None) -> CheckResult:
    """Validate ``document`` and compare it with the saved settings, writing nothing.

    Raises ``SettingsValidationError`` or ``SettingsVersionConflict`` exactly as
    ``sla_settings_save`` would. The comparison writes the document in a savepoint and rolls it
    back, so it sees what a save would store (kept rows, records by slug) and nothing else; the
    settings snapshot of what it would store (``config``) is built there too.
    """
    now = now or timezone.now()
    with transaction.atomic():
        parsed, errors = sla_settings_validate(document, now=now)
        if parsed is None:
            raise SettingsValidationError(errors)
        row = sla_settings_get(for_update=True)
        if parsed.version is not None and parsed.version != row.version:
            raise SettingsVersionConflict(current_version=row.version, given_version=parsed.version)
        before = sla_settings_document(settings_row=row)
        after: dict = {}
        changes: list[dict[str, Any]] = []
        config = None
        try:
            with transaction.atomic():
                _write(row, parsed)
                after = sla_settings_document(settings_row=row)
                changes = settings_diff(before, after)
                if changes:
                    config = sla_config_of(row, now=now)
                raise _Rollback
        except _Rollback:
            row.refresh_from_db()
    return CheckResult(parsed=parsed, changes=changes, before=before, after=after, config=config)


def sla_settings_save(
    *,
    document: Any,
    actor: AbstractBaseUser | AnonymousUser | None,
    via: str,
    apply_to: str | None = None,
    api_token: str = "",
) -> SaveResult:
    """Replace the SLA settings with ``document`` (SPEC section 7), atomically.

    ``apply_to`` ("new" or "new_and_open") overrides the document's own ``apply_to``. Raises
    ``SettingsValidationError`` (nothing saved) or ``SettingsVersionConflict`` when the document
    carries a ``version`` other than the current one. When the document changes nothing, nothing
    is written: no version, no audit entry, no recompute (``SaveResult.change`` is None).
    Otherwise the version goes up by one, one ``SlaSettingsChange`` is written, and with
    "new_and_open" a recompute of the open tickets is created and queued to Celery once the
    transaction commits.
    ``api_token`` names the API token the change was made with, for the audit log.
    """
    if apply_to is not None and isinstance(document, dict):
        document = {**document, "apply_to": apply_to}
    # The project's user model is Django's own (``AUTH_USER_MODEL`` is not set).
    user = actor if isinstance(actor, User) and actor.is_authenticated else None
    # Validation reads the reference data inside the same savepoint, so that a database error
    # there, too, leaves a caller's own transaction (the Django admin's) usable.
    with transaction.atomic():
        parsed, errors = sla_settings_validate(document)
        if parsed is None:
            raise SettingsValidationError(errors)
        row = sla_settings_get(for_update=True)
        if parsed.version is not None and parsed.version != row.version:
            raise SettingsVersionConflict(current_version=row.version, given_version=parsed.version)
        before = sla_settings_document(settings_row=row)
        try:
            # The write and the comparison run in a savepoint, undone when nothing changed.
            with transaction.atomic():
                _write(row, parsed)
                after = sla_settings_document(settings_row=row)
                changes = settings_diff(before, after)
                if not changes:
                    raise _NoChange
        except _NoChange:
            row.refresh_from_db()
            return SaveResult(document=before, change=None, recompute=None)
        if schedule_changed(changes):
            row.schedule_version = row.version
            row.save(update_fields=["schedule_version"])
        _changes_with_names(changes, _names_of_records(before, after))
        change = SlaSettingsChange.objects.create(
            actor=user,
            actor_username=user.get_username() if user else "",
            via=via,
            api_token=api_token,
            version=row.version,
            apply_to=parsed.apply_to,
            changes=changes,
            before=before,
            after=after,
        )
        recompute = None
        if parsed.apply_to == "new_and_open":
            recompute = ticket_side().recompute_start(
                settings_version=row.version, requested_by=user
            )
        transaction.on_commit(sla_config_cache_clear)
    return SaveResult(document=after, change=change, recompute=recompute)


# --- Teams, pipelines and stages: renamed freely, deleted only when nothing uses them ----------

# How many ticket numbers a refusal names before it says "and N more".
TICKETS_NAMED = 5


_TICKETS_PHRASES = {
    "open": lambda n: ngettext("%(count)s open ticket", "%(count)s open tickets", n),
    "closed": lambda n: ngettext("%(count)s closed ticket", "%(count)s closed tickets", n),
    "open or closed": lambda n: ngettext(
        "%(count)s open or closed ticket", "%(count)s open or closed tickets", n
    ),
}


def _tickets_phrase(ticket_ids: list[int], total: int, *, what: str) -> str:
    """ "6 open tickets: #4, #9, #11, #12, #15 and 1 more"."""
    numbers = ", ".join(f"#{pk}" for pk in ticket_ids)
    if total > len(ticket_ids):
        numbers = _("%(numbers)s and %(more)s more") % {
            "numbers": numbers,
            "more": total - len(ticket_ids),
        }
    return f"{_TICKETS_PHRASES[what](total) % {'count': total}}: {numbers}"


def _goal_uses(goals: Iterable[SlaGoal], row: SlaSettings) -> list[str]:
    chosen = chosen_scope_key(scope=row.scope, prop=row.property)
    uses = []
    for goal in goals:
        label = goal_row_label(goal.scope, goal.key, names=goal._names())
        if goal.scope == chosen:
            uses.append(_("SLA goals: %(row)s") % {"row": label})
        else:
            uses.append(
                _("SLA goals: %(row)s (kept for when goals depend on it again)") % {"row": label}
            )
    return uses


def _pause_uses(stages: Iterable[Stage]) -> list[str]:
    return [_("SLA settings: clocks pause in %(stage)s") % {"stage": stage} for stage in stages]


def team_uses(team: Team) -> list[str]:
    """What stops ``team`` from being deleted: its goal rows, its schedule and its open
    tickets."""
    row = sla_settings_get()
    uses = _goal_uses(SlaGoal.objects.filter(team=team).select_related("team"), row)
    if TeamScheduleMember.objects.filter(team=team).exists():
        uses.append(_("SLA settings: the team's own working hours"))
    using = ticket_side().tickets_using(team, open_only=True, first=TICKETS_NAMED)
    if using.total:
        uses.append(_tickets_phrase(using.ids, using.total, what="open"))
    return uses


def stage_pause_uses(stage: Stage) -> list[str]:
    """ "SLA settings: clocks pause in Support › Waiting on customer", when they do."""
    row = sla_settings_get()
    return _pause_uses(row.pause_stages.filter(pk=stage.pk).select_related("pipeline"))


def stage_uses(stage: Stage) -> list[str]:
    """What stops ``stage`` from being deleted: pausing in it, and tickets in it."""
    uses = stage_pause_uses(stage)
    using = ticket_side().tickets_using(stage, open_only=False, first=TICKETS_NAMED)
    if using.total:
        what = "open" if not stage.is_closed else "closed"
        uses.append(_tickets_phrase(using.ids, using.total, what=what))
    return uses


def pipeline_uses(pipeline: Pipeline) -> list[str]:
    """What stops ``pipeline`` from being deleted: its goal rows, pausing in its stages, and
    its tickets (open or closed: a ticket always belongs to a pipeline)."""
    row = sla_settings_get()
    uses = _goal_uses(SlaGoal.objects.filter(pipeline=pipeline).select_related("pipeline"), row)
    uses += _pause_uses(
        row.pause_stages.filter(pipeline=pipeline).select_related("pipeline").order_by("position")
    )
    using = ticket_side().tickets_using(pipeline, open_only=False, first=TICKETS_NAMED)
    if using.total:
        uses.append(_tickets_phrase(using.ids, using.total, what="open or closed"))
    return uses


def reference_uses(obj: Team | Pipeline | Stage) -> list[str]:
    if isinstance(obj, Team):
        return team_uses(obj)
    if isinstance(obj, Pipeline):
        return pipeline_uses(obj)
    return stage_uses(obj)


def reference_save(*, obj: Team | Pipeline, now: datetime.datetime) -> None:
    """Save a team or pipeline (a new one, or a rename). Goals refer to it by record, so nothing
    else changes; the settings' stamp is touched so that every process rebuilds its settings
    snapshot, whose goal rows carry the names the timeline shows ("Team Billing EU")."""
    with transaction.atomic():
        obj.save()
        SlaSettings.objects.filter(pk=1).update(updated_at=now)
    transaction.on_commit(sla_config_cache_clear)


def reference_delete(*, obj: Team | Pipeline | Stage) -> None:
    """Delete a team, pipeline or stage that nothing uses; else raise ``ReferenceInUse``.

    Goal rows (of any scope), pause stages and open tickets keep what they refer to: a deleted
    team would silently take its tickets' SLA away. Tickets of a deleted team (closed ones) lose
    their team.
    """
    with transaction.atomic():
        sla_settings_get(for_update=True)  # no settings save in between
        uses = reference_uses(obj)
        if uses:
            raise ReferenceInUse(name=str(obj), uses=uses)
        obj.delete()
    transaction.on_commit(sla_config_cache_clear)


__all__ = [
    "SAVE_FAILED_MESSAGE",
    "ReferenceInUse",
    "reference_delete",
    "reference_uses",
    "SaveResult",
    "SettingsValidationError",
    "SettingsVersionConflict",
    "minutes_to_clock",
    "settings_diff",
    "sla_settings_check",
    "sla_settings_save",
    "sla_settings_validate",
]
