"""The event log without its index on the clock (issue 25, aged tables).

Every event inserted went into a random page of the ``clock_id`` index Django creates for a
foreign key: 9.3 MB at an aged 100k database, 91 MB at 1M, and on an aged log those pages are
rarely cached (dropping it took the aged sweep of 1,000 due clocks from 1.24× to 1.19× of a fresh
copy's time; docs/BENCHMARKS.md, "Aged tables"). Its only reader was Django's ``SET_NULL`` when a
clock was deleted; the key is now ``DO_NOTHING`` and whatever deletes clocks detaches their events
by ticket (``tickets.bulk.clocks_delete``), through ``event_by_ticket_idx``.
``event_unique_transition`` (clock, kind, at) stays: the sweep's backstop.

On PostgreSQL the index is dropped ``CONCURRENTLY`` (so not in a transaction: ``atomic = False``):
a plain ``DROP INDEX`` takes an exclusive lock on the log, and while it waits for running readers
every event write (the sweep's, each reply's) queues behind it. Its name is Django's hashed one,
looked up rather than spelt. Backwards it is built ``CONCURRENTLY`` again (an invalid one left by an
interrupted build dropped first). SQLite drops and creates it plainly. The change of
``on_delete`` is Django's alone: the key has no database constraint.
"""

from django.db import migrations, models

COLUMN = "clock_id"


def forward(apps, schema_editor) -> None:
    model = apps.get_model("tickets", "SlaEvent")
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    # The index on the clock alone (not event_unique_transition, which leads with it).
    names = schema_editor._constraint_names(model, [COLUMN], index=True, unique=False)
    for name in names:
        schema_editor.execute(
            f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(name)}"
        )


def backward(apps, schema_editor) -> None:
    model = apps.get_model("tickets", "SlaEvent")
    table = model._meta.db_table
    name = schema_editor._create_index_name(table, [COLUMN])
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({COLUMN})")
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s",
            [name],
        )
        row = cursor.fetchone()
        if row is not None and not row[0]:
            cursor.execute(f"DROP INDEX CONCURRENTLY {name}")
        cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({COLUMN})")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("tickets", "0025_translatable_names")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)],
            state_operations=[
                migrations.AlterField(
                    model_name="slaevent",
                    name="clock",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=models.DO_NOTHING,
                        related_name="events",
                        to="tickets.slaclock",
                        verbose_name="clock",
                    ),
                )
            ],
        )
    ]
