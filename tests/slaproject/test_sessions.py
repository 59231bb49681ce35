"""The sessions engine (``slaproject.sessions``) reads what Django's database store reads: the
data of an unexpired session, nothing for an expired, unknown or deleted one (its key dropped),
and a sign-out or a session deleted from the table ends the session."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from slaproject.sessions import SessionStore

pytestmark = pytest.mark.django_db


def read(store_class: type, key: str | None) -> tuple[dict, str | None]:
    store = store_class(key)
    return dict(store.items()), store.session_key


def test_a_session_reads_as_djangos_store_reads_it() -> None:
    saved = SessionStore()
    saved.update({"name": "Ana", "n": 3, "when": "2026-12-05"})
    saved.save()
    key = saved.session_key
    expired = SessionStore()
    expired["x"] = 1
    expired.set_expiry(datetime.timedelta(seconds=60))
    expired.save()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    for case in (key, expired.session_key, "no-such-session-key-at-all", None):
        assert read(SessionStore, case) == read(DjangoStore, case)
    assert read(SessionStore, key) == ({"name": "Ana", "n": 3, "when": "2026-12-05"}, key)
    assert read(SessionStore, expired.session_key) == ({}, None)


def test_signing_out_or_deleting_the_row_ends_the_session(agent) -> None:
    client = Client()
    client.force_login(agent)
    assert client.get("/tickets/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/tickets/").status_code == 302
    client.force_login(agent)
    assert client.get("/tickets/").status_code == 200
    Session.objects.all().delete()
    assert client.get("/tickets/").status_code == 302
