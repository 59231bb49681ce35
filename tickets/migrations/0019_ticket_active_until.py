"""``Ticket.sla_active_until``: the "Active" filter as one index range (issue 25).

"Active" (a running clock is Active) probed each ticket's clocks along the queue's sort index:
585 ms for the first page at 1M open tickets, and its exact count probed all of them. With the
moment until which the ticket is Active stored on it (``tickets.sla.ticket_active_until``, kept
by every writer of the clocks, as ``sla_overdue_at``), the filter is ``sla_active_until > now``:

* ``ticket_active_idx`` (partial: open tickets that have one) answers the count from the index
  alone;
* on PostgreSQL ``ticket_sla_due_idx`` carries it and ``closed_at`` (``INCLUDE``), so the page
  walks the sort index and tests both without a heap fetch, stopping after a page (15,000 index
  entries, about 1 ms, for the first page of the generated 1M). SQLite has no covering indexes:
  the index there stays as the model declares it.

The backfill derives the column from the running clocks (one statement on PostgreSQL; about a
minute at 1M open tickets, holding the tickets' rows).
"""

import datetime

from django.db import migrations, models

ACTIVE_WHILE_PAUSED = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)
ONE_MICROSECOND = datetime.timedelta(microseconds=1)

BACKFILL_SQL = """
UPDATE tickets_ticket AS t SET sla_active_until = v.active_until
FROM (
    SELECT c.ticket_id, max(CASE
        WHEN c.paused_at IS NULL THEN least(c.due_soon_at, c.due_at + interval '1 microsecond')
        WHEN c.paused_at <= c.due_at AND (c.due_soon_at IS NULL OR c.paused_at < c.due_soon_at)
        THEN '9999-01-01T00:00:00+00:00'::timestamptz END) AS active_until
    FROM tickets_slaclock c WHERE c.completed_at IS NULL GROUP BY c.ticket_id
) AS v
WHERE t.id = v.ticket_id AND v.active_until IS NOT NULL
"""


def backfill(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKFILL_SQL)
        return
    ticket_model = apps.get_model("tickets", "Ticket")
    clock_model = apps.get_model("tickets", "SlaClock")
    until: dict[int, datetime.datetime] = {}
    for ticket_id, due_at, due_soon_at, paused_at in clock_model.objects.filter(
        completed_at__isnull=True
    ).values_list("ticket_id", "due_at", "due_soon_at", "paused_at"):
        if paused_at is None:
            end = due_at + ONE_MICROSECOND
            end = end if due_soon_at is None else min(end, due_soon_at)
        elif paused_at <= due_at and (due_soon_at is None or paused_at < due_soon_at):
            end = ACTIVE_WHILE_PAUSED
        else:
            continue
        until[ticket_id] = max(end, until.get(ticket_id, end))
    for ticket_id, end in until.items():
        ticket_model.objects.filter(pk=ticket_id).update(sla_active_until=end)


def sort_index_with_active_until(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS ticket_sla_due_idx")
        schema_editor.execute(
            "CREATE INDEX ticket_sla_due_idx ON tickets_ticket (sla_due_at, id) "
            "INCLUDE (sla_active_until, closed_at)"
        )


def sort_index_plain(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS ticket_sla_due_idx")
        schema_editor.execute("CREATE INDEX ticket_sla_due_idx ON tickets_ticket (sla_due_at, id)")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0018_agent_language")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="sla_active_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(
                    ("closed_at__isnull", True), ("sla_active_until__isnull", False)
                ),
                fields=["sla_active_until"],
                name="ticket_active_idx",
            ),
        ),
        migrations.RunPython(sort_index_with_active_until, sort_index_plain),
    ]
