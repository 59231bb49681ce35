"""Models' and fields' names marked for translation (the Swedish admin): the English names are
the ones Django derived before, so only the model state changes (sqlmigrate: no SQL)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("settings_app", "0007_team_schedules"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="holiday",
            options={
                "ordering": ["date"],
                "verbose_name": "holiday",
                "verbose_name_plural": "holidays",
            },
        ),
        migrations.AlterModelOptions(
            name="pipeline",
            options={
                "ordering": ["position", "name"],
                "verbose_name": "pipeline",
                "verbose_name_plural": "pipelines",
            },
        ),
        migrations.AlterModelOptions(
            name="slagoal",
            options={
                "ordering": ["id"],
                "verbose_name": "SLA goal",
                "verbose_name_plural": "SLA goals",
            },
        ),
        migrations.AlterModelOptions(
            name="slasettingschange",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "SLA settings change",
                "verbose_name_plural": "SLA settings changes",
            },
        ),
        migrations.AlterModelOptions(
            name="stage",
            options={
                "ordering": ["pipeline__position", "pipeline_id", "position", "id"],
                "verbose_name": "stage",
                "verbose_name_plural": "stages",
            },
        ),
        migrations.AlterModelOptions(
            name="team",
            options={"ordering": ["name"], "verbose_name": "team", "verbose_name_plural": "teams"},
        ),
        migrations.AlterModelOptions(
            name="teamschedule",
            options={
                "ordering": ["position", "id"],
                "verbose_name": "team schedule",
                "verbose_name_plural": "team schedules",
            },
        ),
        migrations.AlterModelOptions(
            name="teamscheduleholiday",
            options={
                "ordering": ["date"],
                "verbose_name": "team schedule holiday",
                "verbose_name_plural": "team schedule holidays",
            },
        ),
        migrations.AlterModelOptions(
            name="teamschedulemember",
            options={
                "ordering": ["position", "id"],
                "verbose_name": "team schedule member",
                "verbose_name_plural": "team schedule members",
            },
        ),
        migrations.AlterModelOptions(
            name="teamscheduleperiod",
            options={
                "ordering": ["weekday", "start_minute"],
                "verbose_name": "team schedule period",
                "verbose_name_plural": "team schedule periods",
            },
        ),
        migrations.AlterModelOptions(
            name="workingperiod",
            options={
                "ordering": ["weekday", "start_minute"],
                "verbose_name": "working period",
                "verbose_name_plural": "working periods",
            },
        ),
        migrations.AlterField(
            model_name="holiday",
            name="date",
            field=models.DateField(verbose_name="date"),
        ),
        migrations.AlterField(
            model_name="holiday",
            name="name",
            field=models.CharField(blank=True, max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="holiday",
            name="recurring",
            field=models.BooleanField(default=False, verbose_name="recurring"),
        ),
        migrations.AlterField(
            model_name="holiday",
            name="sla_settings",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="holidays",
                to="settings_app.slasettings",
                verbose_name="SLA settings",
            ),
        ),
        migrations.AlterField(
            model_name="pipeline",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="pipeline",
            name="position",
            field=models.PositiveIntegerField(default=0, verbose_name="position"),
        ),
        migrations.AlterField(
            model_name="pipeline",
            name="slug",
            field=models.SlugField(max_length=100, unique=True, verbose_name="slug"),
        ),
        migrations.AlterField(
            model_name="slagoal",
            name="close_due_soon_minutes",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="close due soon minutes"
            ),
        ),
        migrations.AlterField(
            model_name="slagoal",
            name="close_minutes",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="close minutes"),
        ),
        migrations.AlterField(
            model_name="slagoal",
            name="enabled",
            field=models.BooleanField(default=True, verbose_name="enabled"),
        ),
        migrations.AlterField(
            model_name="slagoal",
            name="first_response_due_soon_minutes",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="first response due soon minutes"
            ),
        ),
        migrations.AlterField(
            model_name="slagoal",
            name="first_response_minutes",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="first response minutes"
            ),
        ),
        migrations.AlterField(
            model_name="slagoal",
            name="next_response_due_soon_minutes",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="next response due soon minutes"
            ),
        ),
        migrations.AlterField(
            model_name="slagoal",
            name="next_response_minutes",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="next response minutes"
            ),
        ),
        migrations.AlterField(
            model_name="slagoal",
            name="pipeline",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sla_goals",
                to="settings_app.pipeline",
                verbose_name="pipeline",
            ),
        ),
        migrations.AlterField(
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
                verbose_name="scope",
            ),
        ),
        migrations.AlterField(
            model_name="slagoal",
            name="sla_settings",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="goals",
                to="settings_app.slasettings",
                verbose_name="SLA settings",
            ),
        ),
        migrations.AlterField(
            model_name="slagoal",
            name="team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sla_goals",
                to="settings_app.team",
                verbose_name="team",
            ),
        ),
        migrations.AlterField(
            model_name="slagoal",
            name="value",
            field=models.CharField(blank=True, default="", max_length=100, verbose_name="value"),
        ),
        migrations.AlterField(
            model_name="slasettings",
            name="applies",
            field=models.CharField(
                choices=[("working_hours", "During working hours"), ("always", "24/7")],
                default="always",
                max_length=20,
                verbose_name="applies",
            ),
        ),
        migrations.AlterField(
            model_name="slasettings",
            name="goals_enabled",
            field=models.BooleanField(default=False, verbose_name="goals enabled"),
        ),
        migrations.AlterField(
            model_name="slasettings",
            name="pause_stages",
            field=models.ManyToManyField(
                blank=True, related_name="+", to="settings_app.stage", verbose_name="pause stages"
            ),
        ),
        migrations.AlterField(
            model_name="slasettings",
            name="property",
            field=models.CharField(
                blank=True,
                choices=[
                    ("priority", "Priority"),
                    ("team", "Team"),
                    ("source", "Source"),
                    ("pipeline", "Pipeline"),
                ],
                default="",
                max_length=10,
                verbose_name="property",
            ),
        ),
        migrations.AlterField(
            model_name="slasettings",
            name="schedule_version",
            field=models.PositiveIntegerField(default=1, verbose_name="schedule version"),
        ),
        migrations.AlterField(
            model_name="slasettings",
            name="scope",
            field=models.CharField(
                choices=[("all", "To all tickets"), ("property", "Based on a ticket property")],
                default="all",
                max_length=10,
                verbose_name="scope",
            ),
        ),
        migrations.AlterField(
            model_name="slasettings",
            name="timezone",
            field=models.CharField(default="UTC", max_length=64, verbose_name="timezone"),
        ),
        migrations.AlterField(
            model_name="slasettings",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="updated at"),
        ),
        migrations.AlterField(
            model_name="slasettings",
            name="version",
            field=models.PositiveIntegerField(default=1, verbose_name="version"),
        ),
        migrations.AlterField(
            model_name="slasettingschange",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="actor",
            ),
        ),
        migrations.AlterField(
            model_name="slasettingschange",
            name="actor_username",
            field=models.CharField(blank=True, max_length=150, verbose_name="actor username"),
        ),
        migrations.AlterField(
            model_name="slasettingschange",
            name="after",
            field=models.JSONField(default=dict, verbose_name="after"),
        ),
        migrations.AlterField(
            model_name="slasettingschange",
            name="apply_to",
            field=models.CharField(default="new", max_length=20, verbose_name="apply to"),
        ),
        migrations.AlterField(
            model_name="slasettingschange",
            name="before",
            field=models.JSONField(default=dict, verbose_name="before"),
        ),
        migrations.AlterField(
            model_name="slasettingschange",
            name="changes",
            field=models.JSONField(
                default=list, help_text="[{field, before, after}, …]", verbose_name="changes"
            ),
        ),
        migrations.AlterField(
            model_name="slasettingschange",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="slasettingschange",
            name="version",
            field=models.PositiveIntegerField(verbose_name="version"),
        ),
        migrations.AlterField(
            model_name="slasettingschange",
            name="via",
            field=models.CharField(
                choices=[
                    ("page", "Settings page"),
                    ("api", "API"),
                    ("admin", "Django admin"),
                    ("command", "Command"),
                ],
                max_length=10,
                verbose_name="via",
            ),
        ),
        migrations.AlterField(
            model_name="stage",
            name="is_closed",
            field=models.BooleanField(
                default=False,
                help_text="A ticket in a closed stage is closed.",
                verbose_name="is closed",
            ),
        ),
        migrations.AlterField(
            model_name="stage",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="stage",
            name="pipeline",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="stages",
                to="settings_app.pipeline",
                verbose_name="pipeline",
            ),
        ),
        migrations.AlterField(
            model_name="stage",
            name="position",
            field=models.PositiveIntegerField(default=0, verbose_name="position"),
        ),
        migrations.AlterField(
            model_name="stage",
            name="slug",
            field=models.SlugField(max_length=100, verbose_name="slug"),
        ),
        migrations.AlterField(
            model_name="team",
            name="members",
            field=models.ManyToManyField(
                blank=True,
                related_name="teams",
                to=settings.AUTH_USER_MODEL,
                verbose_name="members",
            ),
        ),
        migrations.AlterField(
            model_name="team",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="team",
            name="slug",
            field=models.SlugField(max_length=100, unique=True, verbose_name="slug"),
        ),
        migrations.AlterField(
            model_name="teamschedule",
            name="position",
            field=models.PositiveIntegerField(default=0, verbose_name="position"),
        ),
        migrations.AlterField(
            model_name="teamschedule",
            name="sla_settings",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="team_schedules",
                to="settings_app.slasettings",
                verbose_name="SLA settings",
            ),
        ),
        migrations.AlterField(
            model_name="teamschedule",
            name="timezone",
            field=models.CharField(default="UTC", max_length=64, verbose_name="timezone"),
        ),
        migrations.AlterField(
            model_name="teamscheduleholiday",
            name="date",
            field=models.DateField(verbose_name="date"),
        ),
        migrations.AlterField(
            model_name="teamscheduleholiday",
            name="name",
            field=models.CharField(blank=True, max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="teamscheduleholiday",
            name="recurring",
            field=models.BooleanField(default=False, verbose_name="recurring"),
        ),
        migrations.AlterField(
            model_name="teamscheduleholiday",
            name="schedule",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="holidays",
                to="settings_app.teamschedule",
                verbose_name="schedule",
            ),
        ),
        migrations.AlterField(
            model_name="teamschedulemember",
            name="position",
            field=models.PositiveIntegerField(default=0, verbose_name="position"),
        ),
        migrations.AlterField(
            model_name="teamschedulemember",
            name="schedule",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="members",
                to="settings_app.teamschedule",
                verbose_name="schedule",
            ),
        ),
        migrations.AlterField(
            model_name="teamschedulemember",
            name="team",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="schedule_member",
                to="settings_app.team",
                verbose_name="team",
            ),
        ),
        migrations.AlterField(
            model_name="teamscheduleperiod",
            name="end_minute",
            field=models.PositiveSmallIntegerField(verbose_name="end minute"),
        ),
        migrations.AlterField(
            model_name="teamscheduleperiod",
            name="schedule",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="periods",
                to="settings_app.teamschedule",
                verbose_name="schedule",
            ),
        ),
        migrations.AlterField(
            model_name="teamscheduleperiod",
            name="start_minute",
            field=models.PositiveSmallIntegerField(verbose_name="start minute"),
        ),
        migrations.AlterField(
            model_name="teamscheduleperiod",
            name="weekday",
            field=models.PositiveSmallIntegerField(
                help_text="0 = Monday … 6 = Sunday", verbose_name="weekday"
            ),
        ),
        migrations.AlterField(
            model_name="workingperiod",
            name="end_minute",
            field=models.PositiveSmallIntegerField(verbose_name="end minute"),
        ),
        migrations.AlterField(
            model_name="workingperiod",
            name="sla_settings",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="periods",
                to="settings_app.slasettings",
                verbose_name="SLA settings",
            ),
        ),
        migrations.AlterField(
            model_name="workingperiod",
            name="start_minute",
            field=models.PositiveSmallIntegerField(verbose_name="start minute"),
        ),
        migrations.AlterField(
            model_name="workingperiod",
            name="weekday",
            field=models.PositiveSmallIntegerField(
                help_text="0 = Monday … 6 = Sunday", verbose_name="weekday"
            ),
        ),
    ]
