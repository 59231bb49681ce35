"""Models' and fields' names marked for translation (the Swedish admin): the English names are
the ones Django derived before, so only the model state changes (sqlmigrate: no SQL)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outbound", "0002_alter_outboundemail_kind"),
        ("tickets", "0025_translatable_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="emailsettings",
            name="updated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="updated at"),
        ),
        migrations.AlterField(
            model_name="emailsettings",
            name="updated_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="updated by",
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="body_html",
            field=models.TextField(blank=True, verbose_name="body html"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="body_text",
            field=models.TextField(verbose_name="body text"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="cc",
            field=models.JSONField(blank=True, default=list, verbose_name="cc"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="claimed at"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="created_at",
            field=models.DateTimeField(verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="detail",
            field=models.TextField(blank=True, verbose_name="detail"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="enqueued_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="enqueued at"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="failed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="failed at"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="from_email",
            field=models.CharField(max_length=320, verbose_name="from email"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="headers",
            field=models.JSONField(blank=True, default=dict, verbose_name="headers"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="in_reply_to",
            field=models.CharField(blank=True, max_length=255, verbose_name="in reply to"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="kind",
            field=models.CharField(
                choices=[
                    ("reply", "Reply"),
                    ("acknowledgement", "Acknowledgement"),
                    ("customer_replied", "Agent notice: customer replied"),
                    ("assigned", "Agent notice: ticket assigned"),
                    ("sla_alert", "SLA alert"),
                    ("test", "Test"),
                    ("webhook_disabled", "Webhook switched off"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="language",
            field=models.CharField(blank=True, max_length=10, verbose_name="language"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="message_id",
            field=models.CharField(max_length=255, unique=True, verbose_name="message id"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="next attempt at"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="recipient_user",
            field=models.ForeignKey(
                blank=True,
                help_text="The agent an agent notice or SLA alert is for.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="recipient user",
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="references",
            field=models.TextField(blank=True, verbose_name="references"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="reply_to",
            field=models.CharField(blank=True, max_length=254, verbose_name="reply to"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sent at"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="sla_event",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="tickets.slaevent",
                verbose_name="SLA event",
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="state",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                ],
                default="queued",
                max_length=10,
                verbose_name="state",
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="subject",
            field=models.CharField(max_length=300, verbose_name="subject"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="ticket",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outbound_emails",
                to="tickets.ticket",
                verbose_name="ticket",
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="ticket_message",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outbound_emails",
                to="tickets.message",
                verbose_name="ticket message",
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="to",
            field=models.JSONField(default=list, verbose_name="to"),
        ),
    ]
