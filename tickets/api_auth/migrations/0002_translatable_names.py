"""Models' and fields' names marked for translation (the Swedish admin): the English names are
the ones Django derived before, so only the model state changes (sqlmigrate: no SQL)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("apiauth", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="apitoken",
            options={"verbose_name": "API token", "verbose_name_plural": "API tokens"},
        ),
        migrations.AlterModelOptions(
            name="idempotencykey",
            options={"verbose_name": "idempotency key", "verbose_name_plural": "idempotency keys"},
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="created by",
            ),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="is_active",
            field=models.BooleanField(default=True, verbose_name="is active"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="key_hash",
            field=models.CharField(
                editable=False, max_length=64, unique=True, verbose_name="key hash"
            ),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="key_prefix",
            field=models.CharField(editable=False, max_length=8, verbose_name="key prefix"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="last_used_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last used at"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="name",
            field=models.CharField(blank=True, max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="created_at",
            field=models.DateTimeField(db_index=True, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="key",
            field=models.CharField(max_length=200, verbose_name="key"),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="path",
            field=models.CharField(max_length=200, verbose_name="path"),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="request_hash",
            field=models.CharField(
                blank=True, default="", max_length=64, verbose_name="request hash"
            ),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="response_body",
            field=models.JSONField(verbose_name="response body"),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="status_code",
            field=models.PositiveSmallIntegerField(verbose_name="status code"),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
    ]
