"""Models' and fields' names marked for translation (the Swedish admin): the English names are
the ones Django derived before, so only the model state changes (sqlmigrate: no SQL)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0025_translatable_names"),
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookattempt",
            name="delivery",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attempt_log",
                to="webhooks.webhookdelivery",
                verbose_name="delivery",
            ),
        ),
        migrations.AlterField(
            model_name="webhookattempt",
            name="duration_ms",
            field=models.PositiveIntegerField(verbose_name="duration ms"),
        ),
        migrations.AlterField(
            model_name="webhookattempt",
            name="error",
            field=models.TextField(blank=True, verbose_name="error"),
        ),
        migrations.AlterField(
            model_name="webhookattempt",
            name="number",
            field=models.PositiveSmallIntegerField(verbose_name="number"),
        ),
        migrations.AlterField(
            model_name="webhookattempt",
            name="response_excerpt",
            field=models.TextField(blank=True, verbose_name="response excerpt"),
        ),
        migrations.AlterField(
            model_name="webhookattempt",
            name="started_at",
            field=models.DateTimeField(verbose_name="started at"),
        ),
        migrations.AlterField(
            model_name="webhookattempt",
            name="status_code",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="status code"
            ),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="body",
            field=models.TextField(verbose_name="body"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="claimed at"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="created_at",
            field=models.DateTimeField(verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="delivered_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="delivered at"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="detail",
            field=models.TextField(blank=True, verbose_name="detail"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="endpoint",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="webhooks.webhookendpoint",
                verbose_name="endpoint",
            ),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="enqueued_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="enqueued at"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="event_id",
            field=models.CharField(max_length=60, verbose_name="event id"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="event_type",
            field=models.CharField(max_length=30, verbose_name="event type"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="failed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="failed at"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="last_status_code",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="last status code"
            ),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="next attempt at"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sending", "Sending"),
                    ("delivered", "Delivered"),
                    ("failed", "Failed"),
                ],
                default="pending",
                max_length=10,
                verbose_name="state",
            ),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="ticket",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="tickets.ticket",
                verbose_name="ticket",
            ),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="created_at",
            field=models.DateTimeField(verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="disabled_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="disabled at"),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="disabled_reason",
            field=models.TextField(blank=True, verbose_name="disabled reason"),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="failing_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="failing since"),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=models.CharField(max_length=100, verbose_name="secret"),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="updated_at",
            field=models.DateTimeField(verbose_name="updated at"),
        ),
    ]
