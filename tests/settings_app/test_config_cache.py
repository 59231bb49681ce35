"""``sla_config_get`` reads the settings once and again only when they change: every page asks
for them, at the cost of one small query that compares the settings' version and save stamp."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from settings_app.models import SlaSettings, SlaSettingsChange
from settings_app.selectors import sla_config_get
from settings_app.services import sla_settings_save
from tests.factories import sla_document

pytestmark = pytest.mark.django_db


def save(**changes) -> None:
    sla_settings_save(
        document=sla_document(**changes), actor=None, via=SlaSettingsChange.Via.COMMAND
    )


def test_the_config_is_read_again_only_when_the_settings_change() -> None:
    save(timezone="Europe/Stockholm")
    first = sla_config_get()
    with CaptureQueriesContext(connection) as queries:
        assert sla_config_get() is first
    assert len(queries) == 1
    save(timezone="Asia/Tokyo")
    changed = sla_config_get()
    assert changed is not first and changed.stamp[0] == first.stamp[0] + 1
    assert sla_config_get() is changed
    # A save that leaves the version but stamps the row (a team or pipeline saved).
    SlaSettings.objects.filter(pk=1).update(updated_at=SlaSettings.objects.get(pk=1).updated_at)
    assert sla_config_get() is changed
    SlaSettings.objects.filter(pk=1).update(updated_at="2030-01-01T00:00:00Z")
    assert sla_config_get() is not changed
