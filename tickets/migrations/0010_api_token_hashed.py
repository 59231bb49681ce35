"""API tokens stored hashed: the SHA-256 of each key and its first eight characters replace the
key itself, and a token records who minted it.

Existing tokens keep working: their hashes are computed from the stored keys before the keys are
dropped. Going back cannot recover a key from its hash, so it deletes every token (they must be
minted again).
"""

import hashlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PREFIX_LENGTH = 8


def hash_keys(apps, schema_editor):
    ApiToken = apps.get_model("tickets", "ApiToken")
    for token in ApiToken.objects.only("pk", "key").iterator():
        ApiToken.objects.filter(pk=token.pk).update(
            key_hash=hashlib.sha256(token.key.encode()).hexdigest(),
            key_prefix=token.key[:PREFIX_LENGTH],
        )


def forget_tokens(apps, schema_editor):
    apps.get_model("tickets", "ApiToken").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("tickets", "0009_ticket_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="key_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="key_prefix",
            field=models.CharField(default="", editable=False, max_length=PREFIX_LENGTH),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="apitoken",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(hash_keys, migrations.RunPython.noop),
        migrations.RemoveField(model_name="apitoken", name="key"),
        # Backwards this runs before the key column comes back (empty, as it must).
        migrations.RunPython(migrations.RunPython.noop, forget_tokens),
        migrations.AlterField(
            model_name="apitoken",
            name="key_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]
