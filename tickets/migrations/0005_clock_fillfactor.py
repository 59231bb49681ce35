"""Leave half of each clock page free (PostgreSQL only).

A recompute rewrites every running clock of a chunk in one transaction, and the sweep rewrites
each clock that changes status. Those updates change indexed columns, so they are never HOT,
but with room on the page the new row version stays beside the old one: no row lock record
written first, no new page at the table's end (the relation extension lock is what two workers
queue on), fewer full-page images. Measured: recompute of 1M open tickets with two workers 50.5 s
at the default fill factor, 44.3 s at 50 (docs/BENCHMARKS.md). The price is twice the table's
size on disk. Rows already stored keep their pages until the table is rewritten (VACUUM FULL,
or pg_repack without a long lock; docs/SCALING.md).
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE tickets_slaclock SET (fillfactor = 50)")


def reset_fillfactor(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE tickets_slaclock RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_drop_open_and_pipeline_indexes")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
