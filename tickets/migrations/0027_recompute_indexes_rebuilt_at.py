"""When the ticket and clock indexes were rebuilt after a recompute run (``tickets.index_rebuild``;
issue 25, aged tables): a rebuild task delivered twice finds it set and does nothing."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0026_event_clock_no_index")]

    operations = [
        migrations.AddField(
            model_name="slarecompute",
            name="indexes_rebuilt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="indexes rebuilt at"),
        ),
    ]
