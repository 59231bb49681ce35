"""The API tokens and idempotency keys move here from the tickets app (issue 20).

Nothing changes in the database: the tables keep their names (``tickets_apitoken``,
``tickets_idempotencykey``), so these models take them over in the migration state only, and
``tickets`` 0022 lets go of them after this one. The content types are relabelled
(``tickets`` -> ``apiauth``) in place, so their ids, the permissions that point at them (and the
groups and users holding those) and the admin's history stay as they were. On a new database
there are no content types yet: Django makes them after migrating, under the new label.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ("apitoken", "idempotencykey")


def _relabel(apps, schema_editor, *, old: str, new: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias
    )
    for model in MODELS:
        if not content_types.filter(app_label=new, model=model).exists():
            content_types.filter(app_label=old, model=model).update(app_label=new)


def content_types_to_apiauth(apps, schema_editor) -> None:
    _relabel(apps, schema_editor, old="tickets", new="apiauth")


def content_types_to_tickets(apps, schema_editor) -> None:
    _relabel(apps, schema_editor, old="apiauth", new="tickets")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tickets", "0021_settings_preview_run"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiToken",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key_hash", models.CharField(editable=False, max_length=64, unique=True)),
                        ("key_prefix", models.CharField(editable=False, max_length=8)),
                        ("name", models.CharField(blank=True, max_length=100)),
                        ("is_active", models.BooleanField(default=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("last_used_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "API token",
                        "db_table": "tickets_apitoken",
                    },
                ),
                migrations.CreateModel(
                    name="IdempotencyKey",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key", models.CharField(max_length=200)),
                        ("path", models.CharField(max_length=200)),
                        ("request_hash", models.CharField(blank=True, default="", max_length=64)),
                        ("status_code", models.PositiveSmallIntegerField()),
                        ("response_body", models.JSONField()),
                        ("created_at", models.DateTimeField(db_index=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "tickets_idempotencykey",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "key", "path"), name="idempotency_unique"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_apiauth, content_types_to_tickets),
    ]
