"""The settings API's shapes (SPEC section 7) as schemas: the SLA settings document, a
recompute's progress, and the reference lists a channel sets itself up with (teams, pipelines
with their stages, agents). The document's PUT is checked by ``settings_app.services`` (field
paths such as ``goals.0.close_minutes``); these schemas describe it."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Period = list[str]


class Holiday(Schema):
    date: str = Field(..., json_schema_extra={"format": "date"})
    name: str
    recurring: bool = False


class TeamScheduleItem(Schema):
    """Teams with their own schedule (SPEC section 7); other teams use the default one."""

    model_config = ConfigDict(extra="forbid")

    teams: list[str] = Field(..., description="Team slugs.")
    timezone: str
    working_hours: dict[str, list[Period]]
    holidays: list[Holiday] = []


class Goal(Schema):
    model_config = ConfigDict(extra="forbid")

    value: str | None = Field(
        None, description="null when the scope is all; else the value's key (a slug for teams)."
    )
    enabled: bool = True
    first_response_minutes: int | None = None
    first_response_due_soon_minutes: int | None = None
    next_response_minutes: int | None = None
    next_response_due_soon_minutes: int | None = None
    close_minutes: int | None = None
    close_due_soon_minutes: int | None = None


class SlaSettingsDocument(Schema):
    """The whole SLA configuration. Keys this version does not name are kept as they are."""

    model_config = ConfigDict(extra="allow")

    version: int = Field(..., description="Read-only; a PUT carrying an older one gets 409.")
    applies: Literal["working_hours", "always"]
    timezone: str
    working_hours: dict[str, list[Period]] = Field(
        ..., description='"mon" … "sun", each a list of ["HH:MM", "HH:MM"] periods.'
    )
    holidays: list[Holiday]
    team_schedules: list[TeamScheduleItem] = []
    pause_statuses: list[str] = Field(..., description='"<pipeline slug>/<stage slug>".')
    goals_enabled: bool
    scope: Literal["all", "property"]
    property: Literal["priority", "team", "source", "pipeline"] | None
    goals: list[Goal]
    goals_by_scope: dict[str, list[Goal]]


class SlaSettingsPut(Schema):
    """A PUT: the document (``version`` and days without periods may be left out) and
    ``apply_to``. Unknown keys, wrong types and out-of-range values are refused with 400."""

    model_config = ConfigDict(extra="forbid", title="SlaSettingsPut")

    version: int | None = None
    applies: Literal["working_hours", "always"]
    timezone: str
    working_hours: dict[str, list[Period]]
    holidays: list[Holiday] = []
    team_schedules: list[TeamScheduleItem] | None = Field(
        None, description="Left out: the stored ones are kept."
    )
    pause_statuses: list[str] = []
    goals_enabled: bool = True
    scope: Literal["all", "property"] = "all"
    property: Literal["priority", "team", "source", "pipeline"] | None = None
    goals: list[Goal] = []
    goals_by_scope: dict[str, list[Goal]] | None = None
    apply_to: Literal["new", "new_and_open"] = "new"


class Recompute(Schema):
    id: int
    tickets: int
    done: int
    state: Literal["queued", "running", "done", "superseded"]
    waiting_for_worker_since: str | None = Field(
        ...,
        description="Since when it made no progress while no background worker was seen.",
        json_schema_extra={"format": "date-time"},
    )


class SlaSettingsQueued(SlaSettingsDocument):
    recompute: Recompute


class SettingsPreviewRun(Schema):
    """A dry run worked out in the background (more open tickets than
    ``SLA_PREVIEW_INLINE_MAX_TICKETS``): its progress, then the counts."""

    id: int
    state: Literal["queued", "running", "done", "failed"]
    tickets: int = Field(..., description="Open tickets to go through.")
    done: int = Field(..., description="Open tickets gone through so far.")
    url: str = Field(..., description="Where to follow it: GET this path.")
    error: str | None = Field(..., description='Why it failed (state "failed"), else null.')
    result: dict[str, Any] | None = Field(
        ...,
        description=(
            'When done: what the 200 of POST /api/sla/settings/preview/ holds ({"version", '
            '"changes", "open_tickets", "computed_at", "clocks", "tickets"}); else null.'
        ),
    )


class SettingsPreviewQueued(Schema):
    """The 202 of ``POST /api/sla/settings/preview/``: the check's answer at once, the counts
    in the background."""

    version: int
    changes: list[dict[str, Any]]
    open_tickets: int
    computed_at: None = None
    clocks: None = None
    tickets: None = None
    preview: SettingsPreviewRun


class TeamItem(Schema):
    slug: str
    name: str


class StageItem(Schema):
    slug: str
    name: str
    closed: bool


class PipelineItem(Schema):
    slug: str
    name: str
    stages: list[StageItem]


class AgentItem(Schema):
    username: str
    name: str


class TeamPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[TeamItem]


class PipelinePage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[PipelineItem]


class AgentPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[AgentItem]
