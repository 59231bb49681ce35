"""Autovacuum settings of the three hot tables (PostgreSQL only; issue 25, aged tables).

Measured on an aged copy (``bench/age.py``: three recomputes and a day of sweeps) beside a fresh
one (docs/BENCHMARKS.md, "Aged tables"; docs/SCALING.md, "Autovacuum for aged tables"):

- ``tickets_slaevent`` is an append-only log of rows of two sizes: a recompute's ``recomputed``
  events (about 240 bytes, with their detail) and the sweep's and services' transitions (about
  110). A page filled with large rows keeps a remainder in which one small row still fits, and a
  vacuum records that remainder in the free space map, so after a vacuum of the log each small
  event went to an old page of its own: the sweep's 1,000 events read and dirtied 930 old heap
  pages (each a full-page image in the WAL after a checkpoint) instead of appending to a dozen.
  No vacuum is triggered by inserts on it any more (``autovacuum_vacuum_insert_threshold = -1``):
  the log is read through its indexes and heap (the timeline, the notifications), never by an
  index-only scan, so the visibility map such a vacuum keeps current saves nothing. Vacuums
  triggered by dead rows (notified events) and against transaction-id wraparound still run.
- ``tickets_slaclock``: the sweep rewrites every clock that turns, never HOT (its next check
  moves), and at the default trigger (20 % of the table dead) a day's dead versions stay in
  ``clock_next_check_idx`` exactly where each sweep looks. Vacuum at 1 % (plus 1,000 rows).
- ``tickets_ticket``: every recompute rewrites each open ticket, never HOT (its sort key is
  indexed). Vacuum and analyze at 5 %.

Storage parameters only: nothing is rewritten, and they apply at once.
"""

from django.db import migrations

SETTINGS = {
    "tickets_slaevent": {"autovacuum_vacuum_insert_threshold": "-1"},
    "tickets_slaclock": {
        "autovacuum_vacuum_scale_factor": "0.01",
        "autovacuum_vacuum_threshold": "1000",
        "autovacuum_analyze_scale_factor": "0.02",
    },
    "tickets_ticket": {
        "autovacuum_vacuum_scale_factor": "0.05",
        "autovacuum_analyze_scale_factor": "0.05",
    },
}


def set_autovacuum(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, options in SETTINGS.items():
        pairs = ", ".join(f"{name} = {value}" for name, value in options.items())
        schema_editor.execute(f"ALTER TABLE {table} SET ({pairs})")


def reset_autovacuum(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, options in SETTINGS.items():
        schema_editor.execute(f"ALTER TABLE {table} RESET ({', '.join(options)})")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0022_api_models_to_apiauth")]

    operations = [migrations.RunPython(set_autovacuum, reset_autovacuum)]
