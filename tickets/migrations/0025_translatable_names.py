"""Models' and fields' names marked for translation (the Swedish admin): the English names are
the ones Django derived before, so only the model state changes (sqlmigrate: no SQL)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("settings_app", "0008_translatable_names"),
        ("tickets", "0024_event_index_by_ticket"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="agentprofile",
            options={"verbose_name": "agent profile", "verbose_name_plural": "agent profiles"},
        ),
        migrations.AlterModelOptions(
            name="message",
            options={
                "ordering": ["created_at", "id"],
                "verbose_name": "message",
                "verbose_name_plural": "messages",
            },
        ),
        migrations.AlterModelOptions(
            name="settingspreviewrun",
            options={
                "ordering": ["-id"],
                "verbose_name": "settings dry run",
                "verbose_name_plural": "settings dry runs",
            },
        ),
        migrations.AlterModelOptions(
            name="slaclock",
            options={
                "ordering": ["ticket_id", "kind", "cycle"],
                "verbose_name": "SLA clock",
                "verbose_name_plural": "SLA clocks",
            },
        ),
        migrations.AlterModelOptions(
            name="slaevent",
            options={
                "ordering": ["at", "id"],
                "verbose_name": "SLA event",
                "verbose_name_plural": "SLA events",
            },
        ),
        migrations.AlterModelOptions(
            name="slarecompute",
            options={
                "ordering": ["-id"],
                "verbose_name": "SLA recompute",
                "verbose_name_plural": "SLA recomputes",
            },
        ),
        migrations.AlterModelOptions(
            name="slarecomputepart",
            options={
                "ordering": ["recompute_id", "after_id"],
                "verbose_name": "SLA recompute part",
                "verbose_name_plural": "SLA recompute parts",
            },
        ),
        migrations.AlterModelOptions(
            name="ticket",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "ticket",
                "verbose_name_plural": "tickets",
            },
        ),
        migrations.AlterModelOptions(
            name="ticketchange",
            options={
                "ordering": ["at", "id"],
                "verbose_name": "ticket change",
                "verbose_name_plural": "ticket changes",
            },
        ),
        migrations.AlterModelOptions(
            name="ticketpresence",
            options={"verbose_name": "ticket presence", "verbose_name_plural": "ticket presences"},
        ),
        migrations.AlterField(
            model_name="agentprofile",
            name="email_notifications",
            field=models.BooleanField(
                default=True,
                help_text="Email me when a clock of my tickets turns Due soon or Overdue.",
                verbose_name="email notifications",
            ),
        ),
        migrations.AlterField(
            model_name="agentprofile",
            name="timezone",
            field=models.CharField(
                blank=True,
                help_text="Blank: the SLA schedule's time zone.",
                max_length=64,
                verbose_name="timezone",
            ),
        ),
        migrations.AlterField(
            model_name="agentprofile",
            name="user",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="agent_profile",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="author",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="author",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="author_kind",
            field=models.CharField(
                choices=[("customer", "Customer"), ("agent", "Agent"), ("system", "Automatic")],
                max_length=10,
                verbose_name="author kind",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="body",
            field=models.TextField(max_length=50000, verbose_name="body"),
        ),
        migrations.AlterField(
            model_name="message",
            name="created_at",
            field=models.DateTimeField(verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="message",
            name="is_internal",
            field=models.BooleanField(default=False, verbose_name="is internal"),
        ),
        migrations.AlterField(
            model_name="message",
            name="message_id",
            field=models.CharField(
                blank=True, max_length=255, null=True, unique=True, verbose_name="message id"
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="sender_email",
            field=models.EmailField(blank=True, max_length=254, verbose_name="sender email"),
        ),
        migrations.AlterField(
            model_name="message",
            name="ticket",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="tickets.ticket",
                verbose_name="ticket",
            ),
        ),
        migrations.AlterField(
            model_name="settingspreviewrun",
            name="changes",
            field=models.JSONField(default=list, verbose_name="changes"),
        ),
        migrations.AlterField(
            model_name="settingspreviewrun",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="settingspreviewrun",
            name="document",
            field=models.JSONField(verbose_name="document"),
        ),
        migrations.AlterField(
            model_name="settingspreviewrun",
            name="done",
            field=models.PositiveIntegerField(default=0, verbose_name="done"),
        ),
        migrations.AlterField(
            model_name="settingspreviewrun",
            name="error",
            field=models.TextField(blank=True, verbose_name="error"),
        ),
        migrations.AlterField(
            model_name="settingspreviewrun",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
        ),
        migrations.AlterField(
            model_name="settingspreviewrun",
            name="requested_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="requested by",
            ),
        ),
        migrations.AlterField(
            model_name="settingspreviewrun",
            name="result",
            field=models.JSONField(blank=True, null=True, verbose_name="result"),
        ),
        migrations.AlterField(
            model_name="settingspreviewrun",
            name="settings_version",
            field=models.PositiveIntegerField(verbose_name="settings version"),
        ),
        migrations.AlterField(
            model_name="settingspreviewrun",
            name="state",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("done", "Done"),
                    ("failed", "Failed"),
                ],
                default="queued",
                max_length=12,
                verbose_name="state",
            ),
        ),
        migrations.AlterField(
            model_name="settingspreviewrun",
            name="tickets",
            field=models.PositiveIntegerField(default=0, verbose_name="tickets"),
        ),
        migrations.AlterField(
            model_name="settingspreviewrun",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="updated at"),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="completed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="completed at"),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="completed_by",
            field=models.CharField(
                blank=True, default="", max_length=10, verbose_name="completed by"
            ),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="cycle",
            field=models.PositiveIntegerField(default=1, verbose_name="cycle"),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="due_at",
            field=models.DateTimeField(verbose_name="due at"),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="due_soon_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="due soon at"),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="due_soon_minutes",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="due soon minutes"
            ),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="goal_minutes",
            field=models.PositiveIntegerField(verbose_name="goal minutes"),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="kind",
            field=models.CharField(
                choices=[
                    ("first_response", "First reply"),
                    ("next_response", "Next reply"),
                    ("close", "Close"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="next_check_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="next check at"),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="paused_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="paused at"),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="settings_version",
            field=models.PositiveIntegerField(verbose_name="settings version"),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="started_at",
            field=models.DateTimeField(verbose_name="started at"),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="status",
            field=models.CharField(
                choices=[
                    ("active", "Active"),
                    ("due_soon", "Due soon"),
                    ("overdue", "Overdue"),
                    ("completed_on_time", "Completed on time"),
                    ("completed_late", "Completed late"),
                ],
                default="active",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="slaclock",
            name="ticket",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="clocks",
                to="tickets.ticket",
                verbose_name="ticket",
            ),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="at",
            field=models.DateTimeField(verbose_name="at"),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="clock",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="events",
                to="tickets.slaclock",
                verbose_name="clock",
            ),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="clock_kind",
            field=models.CharField(
                choices=[
                    ("first_response", "First reply"),
                    ("next_response", "Next reply"),
                    ("close", "Close"),
                ],
                max_length=20,
                verbose_name="clock kind",
            ),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="cycle",
            field=models.PositiveIntegerField(default=1, verbose_name="cycle"),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="detail",
            field=models.JSONField(blank=True, default=dict, verbose_name="detail"),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("applied", "Applied"),
                    ("due_soon", "Due soon"),
                    ("overdue", "Overdue"),
                    ("paused", "Paused"),
                    ("resumed", "Resumed"),
                    ("completed_on_time", "Completed on time"),
                    ("completed_late", "Completed late"),
                    ("reopened", "Reopened"),
                    ("recomputed", "Recomputed"),
                    ("removed", "Removed"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="notified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="notified at"),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="recorded_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="recorded at"),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="should_notify",
            field=models.BooleanField(default=False, verbose_name="should notify"),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="ticket",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="sla_events",
                to="tickets.ticket",
                verbose_name="ticket",
            ),
        ),
        migrations.AlterField(
            model_name="slarecompute",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="slarecompute",
            name="done",
            field=models.PositiveIntegerField(default=0, verbose_name="done"),
        ),
        migrations.AlterField(
            model_name="slarecompute",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
        ),
        migrations.AlterField(
            model_name="slarecompute",
            name="requested_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="requested by",
            ),
        ),
        migrations.AlterField(
            model_name="slarecompute",
            name="settings_version",
            field=models.PositiveIntegerField(verbose_name="settings version"),
        ),
        migrations.AlterField(
            model_name="slarecompute",
            name="state",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("done", "Done"),
                    ("superseded", "Superseded by a newer change"),
                ],
                default="queued",
                max_length=12,
                verbose_name="state",
            ),
        ),
        migrations.AlterField(
            model_name="slarecompute",
            name="tickets",
            field=models.PositiveIntegerField(default=0, verbose_name="tickets"),
        ),
        migrations.AlterField(
            model_name="slarecompute",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="updated at"),
        ),
        migrations.AlterField(
            model_name="slarecomputepart",
            name="after_id",
            field=models.BigIntegerField(verbose_name="after id"),
        ),
        migrations.AlterField(
            model_name="slarecomputepart",
            name="is_finished",
            field=models.BooleanField(default=False, verbose_name="is finished"),
        ),
        migrations.AlterField(
            model_name="slarecomputepart",
            name="last_id",
            field=models.BigIntegerField(verbose_name="last id"),
        ),
        migrations.AlterField(
            model_name="slarecomputepart",
            name="recompute",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="parts",
                to="tickets.slarecompute",
                verbose_name="recompute",
            ),
        ),
        migrations.AlterField(
            model_name="slarecomputepart",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="updated at"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="awaiting_reply_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="awaiting reply since"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="cc_emails",
            field=models.JSONField(blank=True, default=list, verbose_name="cc emails"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="closed at"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="created_at",
            field=models.DateTimeField(verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="excluded_periods",
            field=models.JSONField(blank=True, default=list, verbose_name="excluded periods"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="first_replied_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="first replied at"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="last_replied_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last replied at"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="owned_tickets",
                to=settings.AUTH_USER_MODEL,
                verbose_name="owner",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="paused_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="paused since"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="pipeline",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tickets",
                to="settings_app.pipeline",
                verbose_name="pipeline",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="priority",
            field=models.CharField(
                blank=True,
                choices=[
                    ("low", "Low"),
                    ("medium", "Medium"),
                    ("high", "High"),
                    ("urgent", "Urgent"),
                ],
                default="",
                max_length=10,
                verbose_name="priority",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="requester_email",
            field=models.EmailField(max_length=254, verbose_name="requester email"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="requester_language",
            field=models.CharField(blank=True, max_length=10, verbose_name="requester language"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="requester_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="requester name"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="sla_active_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="SLA active until"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="sla_due_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="SLA due at"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="sla_goal_value",
            field=models.CharField(
                blank=True, max_length=100, null=True, verbose_name="SLA goal value"
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="sla_overdue_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="SLA overdue at"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="sla_settings_version",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="SLA settings version"
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="source",
            field=models.CharField(
                choices=[
                    ("email", "Email"),
                    ("chat", "Chat"),
                    ("form", "Form"),
                    ("phone", "Phone"),
                    ("api", "API"),
                ],
                default="email",
                max_length=10,
                verbose_name="source",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="stage",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tickets",
                to="settings_app.stage",
                verbose_name="stage",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="subject",
            field=models.CharField(max_length=200, verbose_name="subject"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="team",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                to="settings_app.team",
                verbose_name="team",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="updated at"),
        ),
        migrations.AlterField(
            model_name="ticketchange",
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
            model_name="ticketchange",
            name="at",
            field=models.DateTimeField(verbose_name="at"),
        ),
        migrations.AlterField(
            model_name="ticketchange",
            name="field",
            field=models.CharField(
                choices=[
                    ("owner", "Owner"),
                    ("priority", "Priority"),
                    ("team", "Team"),
                    ("source", "Source"),
                    ("pipeline", "Pipeline"),
                    ("stage", "Stage"),
                ],
                max_length=10,
                verbose_name="field",
            ),
        ),
        migrations.AlterField(
            model_name="ticketchange",
            name="new_label",
            field=models.CharField(blank=True, max_length=200, verbose_name="new label"),
        ),
        migrations.AlterField(
            model_name="ticketchange",
            name="new_value",
            field=models.CharField(blank=True, max_length=200, verbose_name="new value"),
        ),
        migrations.AlterField(
            model_name="ticketchange",
            name="old_label",
            field=models.CharField(blank=True, max_length=200, verbose_name="old label"),
        ),
        migrations.AlterField(
            model_name="ticketchange",
            name="old_value",
            field=models.CharField(blank=True, max_length=200, verbose_name="old value"),
        ),
        migrations.AlterField(
            model_name="ticketchange",
            name="state",
            field=models.CharField(
                blank=True,
                choices=[("", "—"), ("closed", "Closed"), ("reopened", "Reopened")],
                default="",
                max_length=10,
                verbose_name="state",
            ),
        ),
        migrations.AlterField(
            model_name="ticketchange",
            name="ticket",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="changes",
                to="tickets.ticket",
                verbose_name="ticket",
            ),
        ),
        migrations.AlterField(
            model_name="ticketchange",
            name="via",
            field=models.CharField(
                choices=[
                    ("page", "ticket page"),
                    ("api", "API"),
                    ("admin", "admin"),
                    ("email", "email"),
                    ("customer", "customer message"),
                    ("system", "automatic"),
                ],
                default="system",
                max_length=10,
                verbose_name="via",
            ),
        ),
        migrations.AlterField(
            model_name="ticketpresence",
            name="seen_at",
            field=models.DateTimeField(verbose_name="seen at"),
        ),
        migrations.AlterField(
            model_name="ticketpresence",
            name="state",
            field=models.CharField(
                choices=[("viewing", "Viewing"), ("replying", "Replying")],
                default="viewing",
                max_length=10,
                verbose_name="state",
            ),
        ),
        migrations.AlterField(
            model_name="ticketpresence",
            name="ticket",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tickets.ticket",
                verbose_name="ticket",
            ),
        ),
        migrations.AlterField(
            model_name="ticketpresence",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
    ]
