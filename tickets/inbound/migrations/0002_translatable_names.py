"""Models' and fields' names marked for translation (the Swedish admin): the English names are
the ones Django derived before, so only the model state changes (sqlmigrate: no SQL)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inbound", "0001_initial"),
        ("tickets", "0025_translatable_names"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="attachment",
            options={
                "ordering": ["message_id", "id"],
                "verbose_name": "attachment",
                "verbose_name_plural": "attachments",
            },
        ),
        migrations.AlterField(
            model_name="attachment",
            name="content",
            field=models.BinaryField(verbose_name="content"),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="content_type",
            field=models.CharField(max_length=100, verbose_name="content type"),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="filename",
            field=models.CharField(max_length=255, verbose_name="filename"),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="message",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attachments",
                to="tickets.message",
                verbose_name="message",
            ),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="size",
            field=models.PositiveIntegerField(verbose_name="size"),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="detail",
            field=models.TextField(blank=True, verbose_name="detail"),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="from_email",
            field=models.CharField(max_length=254, verbose_name="from email"),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="from_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="from name"),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="identity",
            field=models.CharField(max_length=255, unique=True, verbose_name="identity"),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="message",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="inbound_email",
                to="tickets.message",
                verbose_name="message",
            ),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("ticket_created", "Opened a ticket"),
                    ("message_added", "Added to a ticket"),
                    ("automatic", "Automatic message added to a ticket (no SLA effect)"),
                    ("ignored", "Ignored (automatic or bulk mail, no ticket)"),
                    ("bounce", "Delivery failure report"),
                ],
                max_length=20,
                verbose_name="outcome",
            ),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="raw",
            field=models.BinaryField(verbose_name="raw"),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="received_at",
            field=models.DateTimeField(db_index=True, verbose_name="received at"),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="size",
            field=models.PositiveIntegerField(verbose_name="size"),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="subject",
            field=models.CharField(blank=True, max_length=200, verbose_name="subject"),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="ticket",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="inbound_emails",
                to="tickets.ticket",
                verbose_name="ticket",
            ),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="via",
            field=models.CharField(
                choices=[
                    ("pipe", "Mail server pipe (ingest_email)"),
                    ("webhook", "Inbound webhook"),
                    ("imap", "IMAP mailbox"),
                ],
                max_length=10,
                verbose_name="via",
            ),
        ),
        migrations.AlterField(
            model_name="rejectedemail",
            name="digest",
            field=models.CharField(max_length=64, unique=True, verbose_name="digest"),
        ),
        migrations.AlterField(
            model_name="rejectedemail",
            name="from_header",
            field=models.CharField(blank=True, max_length=300, verbose_name="from header"),
        ),
        migrations.AlterField(
            model_name="rejectedemail",
            name="is_truncated",
            field=models.BooleanField(
                default=False,
                help_text="Only the first bytes (up to the size limit) were kept.",
                verbose_name="is truncated",
            ),
        ),
        migrations.AlterField(
            model_name="rejectedemail",
            name="kind",
            field=models.CharField(
                choices=[("unreadable", "Cannot be read"), ("too_large", "Over the size limit")],
                max_length=12,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="rejectedemail",
            name="raw",
            field=models.BinaryField(verbose_name="raw"),
        ),
        migrations.AlterField(
            model_name="rejectedemail",
            name="reason",
            field=models.TextField(verbose_name="reason"),
        ),
        migrations.AlterField(
            model_name="rejectedemail",
            name="received_at",
            field=models.DateTimeField(db_index=True, verbose_name="received at"),
        ),
        migrations.AlterField(
            model_name="rejectedemail",
            name="size",
            field=models.PositiveBigIntegerField(
                help_text="The size of the message as it arrived.", verbose_name="size"
            ),
        ),
        migrations.AlterField(
            model_name="rejectedemail",
            name="subject_header",
            field=models.CharField(blank=True, max_length=300, verbose_name="subject header"),
        ),
        migrations.AlterField(
            model_name="rejectedemail",
            name="via",
            field=models.CharField(
                choices=[
                    ("pipe", "Mail server pipe (ingest_email)"),
                    ("webhook", "Inbound webhook"),
                    ("imap", "IMAP mailbox"),
                ],
                max_length=10,
                verbose_name="via",
            ),
        ),
    ]
