"""Fixtures of the SLA settings page tests."""

from __future__ import annotations

import pytest

from settings_app.services import sla_settings_save
from tests.settings_app.pages.helpers import BY_PRIORITY


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Plain static files (pages use {% static %}; tests collect no manifest), fast hashing.

    Both belong in tests/conftest.py for every test; see the hand-over notes.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def configured(db) -> dict:
    """The settings of the wireframe, saved through the service; returns the saved document."""
    return sla_settings_save(document=BY_PRIORITY, actor=None, via="command").document
