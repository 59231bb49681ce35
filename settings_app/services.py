"""Writes of the SLA settings: every interface (page, API, admin) saves through
``sla_settings_save``.

A save validates the whole document first, then replaces the configuration in one transaction with
the settings row locked, bumps its version, writes one audit entry, and, when asked to apply the
change to open tickets, queues a recompute on commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from settings_app.document import (
    GOAL_FIELDS,
    WEEKDAYS,
    Errors,
    ParsedSettings,
    document_parse,
    minutes_to_clock,
)
from settings_app.models import (
    Holiday,
    SlaGoal,
    SlaSettings,
    SlaSettingsChange,
    Stage,
    WorkingPeriod,
)
from settings_app.selectors import (
    reference_keys,
    sla_config_cache_clear,
    sla_settings_document,
    sla_settings_get,
)

# What the page and the API say when the database fails mid-save (the transaction rolled back).
SAVE_FAILED_MESSAGE = (
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


@dataclass(frozen=True)
class SaveResult:
    document: dict
    change: SlaSettingsChange
    recompute: Any | None  # tickets.models.SlaRecompute when one was queued


def sla_settings_validate(document: Any) -> tuple[ParsedSettings | None, Errors]:
    """Validate a settings document against the current reference data (no write)."""
    return document_parse(document, **reference_keys())


def _flatten(document: dict) -> dict[str, Any]:
    """Field path -> comparable value, for the audit entry's list of changes."""
    flat: dict[str, Any] = {}
    for key in ("applies", "timezone", "goals_enabled", "scope", "property"):
        flat[key] = document.get(key)
    for day in WEEKDAYS:
        periods = document.get("working_hours", {}).get(day, [])
        flat[f"working_hours.{day}"] = ", ".join(f"{s}–{e}" for s, e in periods) or "off"
    flat["holidays"] = [
        f"{h['date']} {h.get('name', '')}{' (yearly)' if h.get('recurring') else ''}".strip()
        for h in document.get("holidays", [])
    ]
    flat["pause_statuses"] = sorted(document.get("pause_statuses", []))
    for goal in document.get("goals", []):
        label = goal.get("value") or "all"
        flat[f"goals[{label}].enabled"] = goal.get("enabled", True)
        for name in GOAL_FIELDS:
            flat[f"goals[{label}].{name}"] = goal.get(name)
    return flat


def settings_diff(before: dict, after: dict) -> list[dict[str, Any]]:
    """The fields whose value differs, as ``[{"field", "before", "after"}]``."""
    old, new = _flatten(before), _flatten(after)
    changes = []
    for key in list(old) + [k for k in new if k not in old]:
        if old.get(key) != new.get(key):
            changes.append({"field": key, "before": old.get(key), "after": new.get(key)})
    return changes


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
    row.goals.all().delete()
    SlaGoal.objects.bulk_create(
        SlaGoal(sla_settings=row, value=g.value, enabled=g.enabled, **g.minutes)
        for g in parsed.goals
    )
    wanted = set(parsed.pause_statuses)
    stages = [s for s in Stage.objects.select_related("pipeline") if s.key in wanted]
    row.pause_stages.set(stages)


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
    carries a ``version`` other than the current one. On success the version goes up by one, one
    ``SlaSettingsChange`` is written, and with "new_and_open" a recompute of the open tickets is
    created and queued to Celery once the transaction commits. Not idempotent: each call is a new
    version. ``api_token`` names the API token the change was made with, for the audit log.
    """
    if apply_to is not None and isinstance(document, dict):
        document = {**document, "apply_to": apply_to}
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
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
        _write(row, parsed)
        after = sla_settings_document(settings_row=row)
        change = SlaSettingsChange.objects.create(
            actor=user,
            actor_username=user.get_username() if user else "",
            via=via,
            api_token=api_token,
            version=row.version,
            apply_to=parsed.apply_to,
            changes=settings_diff(before, after),
            before=before,
            after=after,
        )
        recompute = None
        if parsed.apply_to == "new_and_open":
            from tickets.recompute import sla_recompute_start  # tickets depend on settings

            recompute = sla_recompute_start(settings_version=row.version, requested_by=user)
        transaction.on_commit(sla_config_cache_clear)
    return SaveResult(document=after, change=change, recompute=recompute)


def minutes_label(minutes: int | None) -> str:
    """A stored duration in the largest unit that divides it: 2880 -> "2 days", 90 -> "90 min"."""
    if minutes is None:
        return "—"
    for size, singular, plural in ((1440, "day", "days"), (60, "hour", "hours")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {singular if count == 1 else plural}"
    return f"{minutes} min"


__all__ = [
    "SAVE_FAILED_MESSAGE",
    "SaveResult",
    "SettingsValidationError",
    "SettingsVersionConflict",
    "minutes_label",
    "minutes_to_clock",
    "settings_diff",
    "sla_settings_save",
    "sla_settings_validate",
]
