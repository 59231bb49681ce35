"""Models that mirror the SLA settings screens, and the help desk's reference data.

Reference data: teams, pipelines with ordered stages, and the fixed choices of priority and source.
SLA settings: one ``SlaSettings`` row (a singleton) with its weekly working periods, holidays, goal
rows (one per scope value) and pause stages; every saved change leaves one ``SlaSettingsChange``.
Writes go through ``settings_app.services``; reads through ``settings_app.selectors``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from settings_app.labels import SCOPE_KEYS, WEEKDAY_LABELS, goal_row_label
from slaproject.text_fields import SingleLineCharField


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Source(models.TextChoices):
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    FORM = "form", _("Form")
    PHONE = "phone", _("Phone")
    API = "api", "API"


class Team(models.Model):
    name = SingleLineCharField(max_length=100, verbose_name=_("name"))
    slug = models.SlugField(max_length=100, unique=True, verbose_name=_("slug"))
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="teams", verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Pipeline(models.Model):
    slug = models.SlugField(max_length=100, unique=True, verbose_name=_("slug"))
    name = SingleLineCharField(max_length=100, verbose_name=_("name"))
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="stages", verbose_name=_("pipeline")
    )
    slug = models.SlugField(max_length=100, verbose_name=_("slug"))
    name = SingleLineCharField(max_length=100, verbose_name=_("name"))
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))
    is_closed = models.BooleanField(
        default=False,
        help_text=_("A ticket in a closed stage is closed."),
        verbose_name=_("is closed"),
    )

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline__position", "pipeline_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "slug"], name="stage_unique_slug"),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline.name} › {self.name}"

    @property
    def key(self) -> str:
        """``<pipeline slug>/<stage slug>``, as the settings document names a stage."""
        return f"{self.pipeline.slug}/{self.slug}"


class SlaSettings(models.Model):
    """The one SLA configuration (always ``pk=1``; see ``selectors.sla_settings_get``)."""

    class Applies(models.TextChoices):
        WORKING_HOURS = "working_hours", _("During working hours")
        ALWAYS = "always", "24/7"

    class Scope(models.TextChoices):
        ALL = "all", _("To all tickets")
        PROPERTY = "property", _("Based on a ticket property")

    class Property(models.TextChoices):
        PRIORITY = "priority", _("Priority")
        TEAM = "team", _("Team")
        SOURCE = "source", _("Source")
        PIPELINE = "pipeline", _("Pipeline")

    applies = models.CharField(
        max_length=20, choices=Applies, default=Applies.ALWAYS, verbose_name=_("applies")
    )
    timezone = models.CharField(max_length=64, default="UTC", verbose_name=_("timezone"))
    goals_enabled = models.BooleanField(default=False, verbose_name=_("goals enabled"))
    scope = models.CharField(
        max_length=10, choices=Scope, default=Scope.ALL, verbose_name=_("scope")
    )
    property = models.CharField(
        max_length=10, choices=Property, blank=True, default="", verbose_name=_("property")
    )
    pause_stages = models.ManyToManyField(
        Stage, blank=True, related_name="+", verbose_name=_("pause stages")
    )
    version = models.PositiveIntegerField(default=1, verbose_name=_("version"))
    # The version in which the schedule (applies, time zone, working hours, holidays) last
    # changed: clocks computed under an older version were counted in a schedule not kept.
    schedule_version = models.PositiveIntegerField(default=1, verbose_name=_("schedule version"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("SLA settings")
        verbose_name_plural = _("SLA settings")
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="all") & Q(property=""))
                | (Q(scope="property") & ~Q(property="")),
                name="sla_settings_property_iff_scope_property",
            ),
        ]

    def __str__(self) -> str:
        return gettext("SLA settings (version %(version)s)") % {"version": self.version}


class PeriodFields(models.Model):
    """One weekly period as minutes after local midnight (end 1440 = 24:00): the fields and
    checks shared by the default schedule's periods and a team schedule's."""

    weekday = models.PositiveSmallIntegerField(
        help_text=_("0 = Monday … 6 = Sunday"), verbose_name=_("weekday")
    )
    start_minute = models.PositiveSmallIntegerField(verbose_name=_("start minute"))
    end_minute = models.PositiveSmallIntegerField(verbose_name=_("end minute"))

    class Meta:
        abstract = True
        ordering = ["weekday", "start_minute"]

    def __str__(self) -> str:
        """ "Friday 10:00–12:00" (the admin titles its rows with this)."""
        day = WEEKDAY_LABELS[self.weekday] if 0 <= self.weekday <= 6 else self.weekday
        return f"{day} {_clock(self.start_minute)}–{_clock(self.end_minute)}"

    @staticmethod
    def checks(prefix: str) -> list[models.BaseConstraint]:
        """The table's checks, named ``<prefix>_weekday_range`` and ``<prefix>_start_before_end``
        (the names the migrations gave them)."""
        return [
            models.CheckConstraint(condition=Q(weekday__lte=6), name=f"{prefix}_weekday_range"),
            models.CheckConstraint(
                condition=Q(start_minute__lt=models.F("end_minute")) & Q(end_minute__lte=1440),
                name=f"{prefix}_start_before_end",
            ),
        ]


class HolidayFields(models.Model):
    """A day on which no working time counts; ``recurring`` repeats it every year (the fields
    shared by the default schedule's holidays and a team schedule's)."""

    date = models.DateField(verbose_name=_("date"))
    name = SingleLineCharField(max_length=100, blank=True, verbose_name=_("name"))
    recurring = models.BooleanField(default=False, verbose_name=_("recurring"))

    class Meta:
        abstract = True
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class WorkingPeriod(PeriodFields):
    """One period of one weekday of the default schedule."""

    sla_settings = models.ForeignKey(
        SlaSettings,
        on_delete=models.CASCADE,
        related_name="periods",
        verbose_name=_("SLA settings"),
    )

    class Meta(PeriodFields.Meta):
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        constraints = PeriodFields.checks("period")


class Holiday(HolidayFields):
    """A holiday of the default schedule."""

    sla_settings = models.ForeignKey(
        SlaSettings,
        on_delete=models.CASCADE,
        related_name="holidays",
        verbose_name=_("SLA settings"),
    )

    class Meta(HolidayFields.Meta):
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["sla_settings", "date"], name="holiday_unique_date"),
        ]


class TeamSchedule(models.Model):
    """A schedule of its own for one or more teams (SPEC section 2.1, "Team schedules").

    Its time zone, weekly periods and holidays replace the default schedule's for the tickets of
    its teams; "24/7" (``SlaSettings.applies``) applies to every schedule. Teams are held by
    record (``TeamScheduleMember``), so renaming a team keeps its schedule, and a team that has
    a schedule cannot be deleted.
    """

    sla_settings = models.ForeignKey(
        SlaSettings,
        on_delete=models.CASCADE,
        related_name="team_schedules",
        verbose_name=_("SLA settings"),
    )
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))
    timezone = models.CharField(max_length=64, default="UTC", verbose_name=_("timezone"))

    class Meta:
        verbose_name = _("team schedule")
        verbose_name_plural = _("team schedules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        names = ", ".join(member.team.name for member in self.members.select_related("team"))
        if not names:
            return gettext("Schedule of no team (%(zone)s)") % {"zone": self.timezone}
        return gettext("Schedule of %(teams)s (%(zone)s)") % {"teams": names, "zone": self.timezone}


class TeamScheduleMember(models.Model):
    """One team that counts in a team schedule (a team is in at most one)."""

    schedule = models.ForeignKey(
        TeamSchedule, on_delete=models.CASCADE, related_name="members", verbose_name=_("schedule")
    )
    team = models.OneToOneField(
        Team, on_delete=models.PROTECT, related_name="schedule_member", verbose_name=_("team")
    )
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("team schedule member")
        verbose_name_plural = _("team schedule members")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return str(self.team)


class TeamSchedulePeriod(PeriodFields):
    """One weekly period of a team schedule, as ``WorkingPeriod`` is of the default one."""

    schedule = models.ForeignKey(
        TeamSchedule, on_delete=models.CASCADE, related_name="periods", verbose_name=_("schedule")
    )

    class Meta(PeriodFields.Meta):
        verbose_name = _("team schedule period")
        verbose_name_plural = _("team schedule periods")
        constraints = PeriodFields.checks("team_period")


class TeamScheduleHoliday(HolidayFields):
    """A holiday of a team schedule, as ``Holiday`` is of the default one."""

    schedule = models.ForeignKey(
        TeamSchedule, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("schedule")
    )

    class Meta(HolidayFields.Meta):
        verbose_name = _("team schedule holiday")
        verbose_name_plural = _("team schedule holidays")
        constraints = [
            models.UniqueConstraint(fields=["schedule", "date"], name="team_holiday_unique_date"),
        ]


class SlaGoal(models.Model):
    """The goals of one value of one scope, in minutes (null: no goal of that kind).

    Every scope keeps its own rows (SPEC section 2.3): ``scope`` is "all" or a property, and only
    the rows of the settings' chosen scope apply. A row names its value by key (``value``: a
    priority or source) or by record (``team``, ``pipeline``), so renaming a team keeps its goals
    and a team with goals cannot be deleted. The "No priority" / "No team" row has neither.
    """

    sla_settings = models.ForeignKey(
        SlaSettings, on_delete=models.CASCADE, related_name="goals", verbose_name=_("SLA settings")
    )
    scope = models.CharField(
        max_length=10, choices=[(k, k) for k in SCOPE_KEYS], default="all", verbose_name=_("scope")
    )
    value = models.CharField(
        max_length=100, blank=True, default="", verbose_name=_("value")
    )  # priority or source key
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_goals",
        verbose_name=_("team"),
    )
    pipeline = models.ForeignKey(
        Pipeline,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_goals",
        verbose_name=_("pipeline"),
    )
    enabled = models.BooleanField(default=True, verbose_name=_("enabled"))
    first_response_minutes = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("first response minutes")
    )
    first_response_due_soon_minutes = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("first response due soon minutes")
    )
    next_response_minutes = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("next response minutes")
    )
    next_response_due_soon_minutes = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("next response due soon minutes")
    )
    close_minutes = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("close minutes")
    )
    close_due_soon_minutes = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("close due soon minutes")
    )

    class Meta:
        verbose_name = _("SLA goal")
        verbose_name_plural = _("SLA goals")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sla_settings", "scope", "value"],
                condition=Q(team__isnull=True, pipeline__isnull=True),
                name="goal_unique_value",
            ),
            models.UniqueConstraint(
                fields=["sla_settings", "team"],
                condition=Q(team__isnull=False),
                name="goal_unique_team",
            ),
            models.UniqueConstraint(
                fields=["sla_settings", "pipeline"],
                condition=Q(pipeline__isnull=False),
                name="goal_unique_pipeline",
            ),
            models.CheckConstraint(
                condition=Q(scope="all", value="", team__isnull=True, pipeline__isnull=True)
                | Q(scope__in=["priority", "source"], team__isnull=True, pipeline__isnull=True)
                | Q(scope="team", value="", pipeline__isnull=True)
                | Q(scope="pipeline", value="", team__isnull=True, pipeline__isnull=False),
                name="goal_value_fits_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{goal_row_label(self.scope, self.key, names=self._names())} goals"

    @property
    def key(self) -> str:
        """The value's key in the settings document: a priority, source, team or pipeline slug
        ("" for all tickets and for the no-value row)."""
        if self.team is not None:  # a null key reads as None without a query
            return self.team.slug
        if self.pipeline is not None:
            return self.pipeline.slug
        return self.value

    def _names(self) -> dict[str, str]:
        if self.team is not None:
            return {self.team.slug: self.team.name}
        if self.pipeline is not None:
            return {self.pipeline.slug: self.pipeline.name}
        return {}


class SlaSettingsChange(models.Model):
    """Audit log: one row per saved change of the SLA settings, from any interface."""

    class Via(models.TextChoices):
        PAGE = "page", _("Settings page")
        API = "api", "API"
        ADMIN = "admin", _("Django admin")
        COMMAND = "command", _("Command")

    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True, verbose_name=_("created at")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_username = models.CharField(max_length=150, blank=True, verbose_name=_("actor username"))
    via = models.CharField(max_length=10, choices=Via, verbose_name=_("via"))
    # The API token the change was made with (its key prefix, name and id), so the log names who
    # really acted and with what; blank for the page, the admin, commands and session API calls.
    api_token = models.CharField(_("API token"), max_length=150, blank=True)
    version = models.PositiveIntegerField(verbose_name=_("version"))
    apply_to = models.CharField(max_length=20, default="new", verbose_name=_("apply to"))
    changes = models.JSONField(
        default=list, help_text=_("[{field, before, after}, …]"), verbose_name=_("changes")
    )
    before = models.JSONField(default=dict, verbose_name=_("before"))
    after = models.JSONField(default=dict, verbose_name=_("after"))

    class Meta:
        verbose_name = _("SLA settings change")
        verbose_name_plural = _("SLA settings changes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        if not self.actor_username:
            return gettext("Version %(version)s by system") % {"version": self.version}
        return gettext("Version %(version)s by %(actor)s") % {
            "version": self.version,
            "actor": self.actor_username,
        }
