"""Settings fixtures of the SPEC scenario tests, saved through the real service."""

from __future__ import annotations

import pytest

from tests.factories import ALWAYS_DOCUMENT, WORKING_HOURS_DOCUMENT, sla_document
from tests.tickets.scenarios.helpers import BY_PRIORITY


@pytest.fixture
def always(sla_settings):
    return sla_settings(sla_document(ALWAYS_DOCUMENT))


@pytest.fixture
def office_hours(sla_settings):
    return sla_settings(sla_document(WORKING_HOURS_DOCUMENT))


@pytest.fixture
def by_priority(sla_settings):
    return sla_settings(BY_PRIORITY)
