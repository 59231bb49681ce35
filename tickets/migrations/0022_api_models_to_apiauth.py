"""The API tokens and idempotency keys now belong to the ``apiauth`` app (``tickets.api_auth``,
issue 20): the tickets app lets go of them in the migration state only. Their tables stay, under
their names, for ``apiauth`` 0001 took them over first."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0021_settings_preview_run"),
        ("apiauth", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ApiToken"),
                migrations.DeleteModel(name="IdempotencyKey"),
            ],
            database_operations=[],
        ),
    ]
