"""Goal rows per scope, teams and pipelines by record, and the schedule's version.

Each goal row gets the scope it belongs to (the settings' scope when the migration runs: until
now only that scope's rows existed) and, for teams and pipelines, the record its slug named. A row
whose slug names no record any more (a team renamed or deleted before this migration) gave no
goals to any ticket, and is dropped. ``schedule_version`` is the version of the newest audit
entry that changed the schedule (1 when none did).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q

SCHEDULE_FIELDS = ("applies", "timezone", "holidays")


def goals_forward(apps, schema_editor):
    SlaSettings = apps.get_model("settings_app", "SlaSettings")
    SlaGoal = apps.get_model("settings_app", "SlaGoal")
    Team = apps.get_model("settings_app", "Team")
    Pipeline = apps.get_model("settings_app", "Pipeline")
    SlaSettingsChange = apps.get_model("settings_app", "SlaSettingsChange")
    teams = dict(Team.objects.values_list("slug", "id"))
    pipelines = dict(Pipeline.objects.values_list("slug", "id"))
    for row in SlaSettings.objects.all():
        scope = "all" if row.scope == "all" else row.property
        for goal in SlaGoal.objects.filter(sla_settings=row):
            goal.scope = scope
            if scope == "team":
                goal.team_id = teams.get(goal.value)
            elif scope == "pipeline":
                goal.pipeline_id = pipelines.get(goal.value)
            if scope in ("team", "pipeline"):
                if goal.team_id is None and goal.pipeline_id is None:
                    goal.delete()
                    continue
                goal.value = ""
            elif scope == "all":
                goal.value = ""
            goal.save()
        schedule_version = 1
        for version, changes in SlaSettingsChange.objects.values_list("version", "changes"):
            fields = [str(change.get("field", "")) for change in changes or []]
            if any(f in SCHEDULE_FIELDS or f.startswith("working_hours") for f in fields):
                schedule_version = max(schedule_version, version)
        row.schedule_version = min(schedule_version, row.version)
        row.save(update_fields=["schedule_version"])


def goals_backward(apps, schema_editor):
    SlaSettings = apps.get_model("settings_app", "SlaSettings")
    SlaGoal = apps.get_model("settings_app", "SlaGoal")
    for row in SlaSettings.objects.all():
        chosen = "all" if row.scope == "all" else row.property
        SlaGoal.objects.filter(sla_settings=row).exclude(scope=chosen).delete()
        for goal in SlaGoal.objects.filter(sla_settings=row).select_related("team", "pipeline"):
            if goal.team_id is not None:
                goal.value = goal.team.slug
            elif goal.pipeline_id is not None:
                goal.value = goal.pipeline.slug
            elif chosen in ("priority", "team") and not goal.value:
                goal.delete()  # the no-value row did not exist before
                continue
            goal.team_id = goal.pipeline_id = None
            goal.save()


class Migration(migrations.Migration):
    dependencies = [
        ("settings_app", "0003_settings_change_api_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="slasettings",
            name="schedule_version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.RemoveConstraint(model_name="slagoal", name="goal_unique_value"),
        migrations.AddField(
            model_name="slagoal",
            name="scope",
            field=models.CharField(
                choices=[
                    ("all", "all"),
                    ("priority", "priority"),
                    ("team", "team"),
                    ("source", "source"),
                    ("pipeline", "pipeline"),
                ],
                default="all",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="slagoal",
            name="team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sla_goals",
                to="settings_app.team",
            ),
        ),
        migrations.AddField(
            model_name="slagoal",
            name="pipeline",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sla_goals",
                to="settings_app.pipeline",
            ),
        ),
        migrations.RunPython(goals_forward, goals_backward),
        migrations.AddConstraint(
            model_name="slagoal",
            constraint=models.UniqueConstraint(
                condition=Q(pipeline__isnull=True, team__isnull=True),
                fields=("sla_settings", "scope", "value"),
                name="goal_unique_value",
            ),
        ),
        migrations.AddConstraint(
            model_name="slagoal",
            constraint=models.UniqueConstraint(
                condition=Q(team__isnull=False),
                fields=("sla_settings", "team"),
                name="goal_unique_team",
            ),
        ),
        migrations.AddConstraint(
            model_name="slagoal",
            constraint=models.UniqueConstraint(
                condition=Q(pipeline__isnull=False),
                fields=("sla_settings", "pipeline"),
                name="goal_unique_pipeline",
            ),
        ),
        migrations.AddConstraint(
            model_name="slagoal",
            constraint=models.CheckConstraint(
                condition=Q(scope="all", value="", team__isnull=True, pipeline__isnull=True)
                | Q(scope__in=["priority", "source"], team__isnull=True, pipeline__isnull=True)
                | Q(scope="team", value="", pipeline__isnull=True)
                | Q(scope="pipeline", value="", team__isnull=True, pipeline__isnull=False),
                name="goal_value_fits_scope",
            ),
        ),
    ]
