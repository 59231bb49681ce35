"""The test database behaves as the product's does: a page reads while a worker writes.

The web process reads clocks while a Celery worker's sweep holds a write transaction on them. In
production (PostgreSQL, or the embedded default's SQLite file in WAL mode) the read sees the last
committed state at once. Django's default SQLite test database (in memory, shared cache) locks per
table and answers such a read with "database table is locked" at once: the cause of the flaky
``tests/test_celery.py::test_worker_and_beat_sweep_turn_a_ticket_overdue``, fixed in
``tests/conftest.py`` (the test database is a WAL file, as in production).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from settings_app.models import SlaSettingsChange
from settings_app.services import sla_settings_save
from tests.factories import ALWAYS_DOCUMENT, TicketFactory, sla_document
from tickets.models import SlaClock


@pytest.mark.django_db(transaction=True)
def test_a_read_goes_on_while_another_connection_writes_the_same_rows() -> None:
    sla_settings_save(
        document=sla_document(ALWAYS_DOCUMENT), actor=None, via=SlaSettingsChange.Via.COMMAND
    )
    clock = SlaClock.objects.filter(ticket=TicketFactory()).first()
    assert clock is not None and clock.status == "active"
    writing, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def sweep_like_writer() -> None:  # what the worker's sweep does: update, hold, commit
        try:
            with transaction.atomic():
                SlaClock.objects.filter(pk=clock.pk).update(status="overdue")
                writing.set()
                done.wait(timeout=20)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    writer = threading.Thread(target=sweep_like_writer)
    writer.start()
    try:
        assert writing.wait(timeout=20)
        clock.refresh_from_db()  # the page's read, during the worker's write
        assert clock.status == "active"  # the committed state, never the write in progress
    finally:
        done.set()
        writer.join(timeout=20)
    assert errors == []
    clock.refresh_from_db()
    assert clock.status == "overdue"
