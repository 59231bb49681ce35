"""The fast ``timestamptz`` reader (``slaproject.pg_timestamps``) gives what Django's gives."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
]

# As PostgreSQL writes them in a UTC session, and some it writes in other sessions or for
# values the fast path leaves to Django's loader.
TEXTS = [
    "2026-12-05 05:45:07.123456+00",
    "2026-12-05 05:45:07.1+00",
    "2026-12-05 05:45:07.12345+00",
    "2026-12-05 05:45:07+00",
    "2026-03-29 01:00:00+00",
    "2026-10-25 00:59:59.999999+00",
    "2024-02-29 23:59:59+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2026-12-05 06:45:07.5+01",
    "2026-12-05 11:15:07+05:30",
    "2026-12-04 23:45:07-06",
    "1900-01-01 00:00:00+00:09:21",
]


@pytest.mark.parametrize("zone", [datetime.UTC, zoneinfo.ZoneInfo("Europe/Stockholm")])
def test_the_fast_loader_reads_what_djangos_reads(zone) -> None:
    from slaproject.pg_timestamps import _fast_loader

    class DjangosLoader(BaseTzLoader):
        timezone = zone

    connection.ensure_connection()
    context = connection.connection
    fast = _fast_loader(zone)(1184, context)
    django = DjangosLoader(1184, context)
    for text in TEXTS:
        expected = django.load(text.encode())
        found = fast.load(text.encode())
        assert found == expected, text
        assert found.tzinfo is expected.tzinfo, text
        assert found.utcoffset() == expected.utcoffset(), text
        assert str(found) == str(expected), text
    for text in ("infinity", "-infinity"):
        with pytest.raises(Exception) as django_error:
            django.load(text.encode())
        with pytest.raises(type(django_error.value)):
            fast.load(text.encode())


def test_connections_read_timestamps_with_it() -> None:
    from slaproject.pg_timestamps import _fast_loader

    with connection.cursor() as cursor:
        cursor.execute("SELECT TIMESTAMPTZ '2026-12-05 05:45:07.25+00', now()")
        moment, now = cursor.fetchone()
    assert moment == datetime.datetime(2026, 12, 5, 5, 45, 7, 250000, tzinfo=datetime.UTC)
    assert moment.tzinfo is connection.timezone
    assert now.tzinfo is connection.timezone
    loader = connection.connection.adapters.get_loader(1184, 0)
    assert loader is _fast_loader(connection.timezone)
