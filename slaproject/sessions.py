"""Sessions in the database, as Django's ``db`` engine keeps them (``SESSION_ENGINE``).

Every signed-in request reads its session: Django's store builds and compiles that query through
the ORM each time, which cost more CPU than running it (a twentieth of the queue page's). Here
the read is written once (``_session_sql``) and runs with the same parameters; the rows, the
expiry test and everything else (saving, cycling, flushing, clearing expired sessions) are
Django's. ``tests/slaproject/test_sessions.py`` checks the reads against Django's store.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone


@functools.cache
def _session_sql(vendor: str) -> str:
    """The data of an unexpired session by its key (two parameters: the key, now)."""
    meta: Any = Session._meta

    def column(name: str) -> str:
        return str(connection.ops.quote_name(meta.get_field(name).column))

    return (
        f"SELECT {column('session_data')} FROM {connection.ops.quote_name(meta.db_table)}"
        f" WHERE {column('session_key')} = %s AND {column('expire_date')} > %s"
    )


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        """The session's data; an empty session (and no key) when there is no unexpired row,
        as Django's store."""
        if not self.session_key:  # (Django's store reads no row then either)
            self._session_key = None
            return {}
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_session_sql(connection.vendor), [self.session_key, now])
            found = cursor.fetchone()
        if found is None:
            self._session_key = None
            return {}
        return self.decode(found[0])
