"""The event log's ticket index on the ticket alone (issue 25, aged tables).

``event_ticket_idx`` was on (ticket, at): one entry per event, 14 MB for the 442k events of an
aged 100k database. Its only readers take a ticket's whole timeline (a handful of rows, sorted
after reading), so ``at`` in the key bought nothing, while every new event goes to its ticket's
place in the index, a random page: on an aged copy that page was rarely cached, a third of the
sweep's extra cost against a fresh copy. On the ticket alone, B-tree deduplication keeps one
entry per ticket with the events' row pointers listed in it: the index is about a third of the
size (docs/BENCHMARKS.md, "Aged tables").

On PostgreSQL the new index is built ``CONCURRENTLY`` (so not in a transaction: ``atomic =
False``) before the old one is dropped the same way, so that neither event writes wait on the
build nor the timeline goes without an index on a big log; an invalid index left by an
interrupted build is dropped and built again. SQLite swaps them plainly.
"""

from django.db import migrations, models

OLD = models.Index(fields=["ticket", "at"], name="event_ticket_idx")
NEW = models.Index(fields=["ticket"], name="event_by_ticket_idx")


def _build(schema_editor, *, create: models.Index, drop: models.Index, model) -> None:
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(model, create)
        schema_editor.remove_index(model, drop)
        return
    columns = ", ".join(f"{field}_id" if field == "ticket" else field for field in create.fields)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s",
            [create.name],
        )
        row = cursor.fetchone()
        if row is not None and not row[0]:
            cursor.execute(f"DROP INDEX CONCURRENTLY {create.name}")
        cursor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {create.name} ON tickets_slaevent ({columns})"
        )
        cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {drop.name}")


def forward(apps, schema_editor) -> None:
    model = apps.get_model("tickets", "SlaEvent")
    _build(schema_editor, create=NEW, drop=OLD, model=model)


def backward(apps, schema_editor) -> None:
    model = apps.get_model("tickets", "SlaEvent")
    _build(schema_editor, create=OLD, drop=NEW, model=model)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("tickets", "0023_autovacuum_settings")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)],
            state_operations=[
                migrations.RemoveIndex(model_name="slaevent", name="event_ticket_idx"),
                migrations.AddIndex(model_name="slaevent", index=NEW),
            ],
        )
    ]
