"""A faster reader of PostgreSQL's ``timestamptz`` values, the same datetimes as Django's.

Django (``django.db.backends.postgresql.psycopg_any``) reads every ``timestamptz`` through
psycopg's pure-Python loader (a regular expression, then a conversion to the connection's zone)
and replaces its zone: about 8 µs a value. A queue page reads some 900 of them (its tickets'
and clocks' moments), a fifth of its CPU. The session's zone is UTC (Django sets it), so
PostgreSQL writes each value as ``2026-12-05 05:45:07.123456+00``: read with
``datetime.fromisoformat`` (C) and given the same zone as Django's loader gives it, under 1 µs.
Anything else (another offset, ``infinity``, BC years) goes to Django's loader as before.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.backends.signals import connection_created

_loaders: dict[Any, type] = {}


def _fast_loader(zone: Any) -> type:
    """A loader class like Django's ``SpecificTzLoader`` for ``zone`` (its ``timezone``
    attribute too: Django's cursors compare it), with the fast path."""
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    found = _loaders.get(zone)
    if found is not None:
        return found
    from_iso = datetime.datetime.fromisoformat

    class FastTzLoader(BaseTzLoader):
        timezone = zone

        def load(self, data: Any) -> datetime.datetime:
            text = str(data, "ascii")
            if text[-3:] == "+00" and text[4] == "-" and len(text) <= 29:
                try:
                    return from_iso(text[:-3]).replace(tzinfo=zone)
                except ValueError:
                    pass
            return super().load(data)

    _loaders[zone] = FastTzLoader
    return FastTzLoader


def _register(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "postgresql" or not hasattr(connection.connection, "adapters"):
        return  # SQLite, or psycopg 2
    connection.connection.adapters.register_loader("timestamptz", _fast_loader(connection.timezone))


def fast_timestamps_register() -> None:
    """Every new PostgreSQL connection reads ``timestamptz`` with the fast loader."""
    connection_created.connect(_register, dispatch_uid="slaproject.pg_timestamps")
