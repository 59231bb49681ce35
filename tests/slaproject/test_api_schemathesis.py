"""The API against its own OpenAPI document (issue 21): schemathesis generates requests from the
document served at /api/schema/ (valid ones and broken ones: wrong types, missing fields, values
out of range) and sends them in-process through the WSGI application, as an agent and as a super
admin. Every answer must be no server error, carry a status the document lists for that
operation, be JSON, and match the document's schema for that status.

Fixed seed and 25 examples per operation: the same requests on every run, in well under two
minutes. POST /api/inbound-email/ takes a raw email, not JSON: its tests are in
tests/tickets/inbound."""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from settings_app.models import SlaSettingsChange
from settings_app.services import sla_settings_save
from slaproject.api_site import schema as api_schema
from tests.factories import ALWAYS_DOCUMENT, TeamFactory, sla_document
from tickets.models import ApiToken, Message
from tickets.services import ticket_create, ticket_message_add

SEED = 20261205
EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(api_schema())
schema.app = get_wsgi_application()
schema = schema.exclude(path="/api/inbound-email/")


@pytest.fixture
def in_process() -> Any:
    """Requests through the WSGI handler keep the test's database connection open (as Django's
    test client does): no closing of "old" connections at each request's start and end."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, agent, super_admin, in_process) -> dict[str, Any]:
    """Settings with goals, a team, a ticket with a reply and a note, and two tokens."""
    from django.utils import timezone

    sla_settings_save(
        document=sla_document(ALWAYS_DOCUMENT), actor=None, via=SlaSettingsChange.Via.COMMAND
    )
    TeamFactory(slug="billing")
    now = timezone.now()
    ticket = ticket_create(
        subject="Printer on fire", body="Help!", requester_email="ann@example.com", now=now
    )
    ticket_message_add(
        ticket_id=ticket.pk,
        body="On our way.",
        author_kind=Message.Author.AGENT,
        author=agent,
        is_internal=False,
        now=now,
    )
    return {
        "ticket": ticket.pk,
        "agent": ApiToken.objects.create(user=agent, key=ApiToken.generate_key()).key,
        "boss": ApiToken.objects.create(user=super_admin, key=ApiToken.generate_key()).key,
    }


@schema.parametrize()
@hypothesis.seed(SEED)
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_what_the_document_says(case: Any, world: dict[str, Any]) -> None:
    # As a super admin, as generated (ids mostly unknown: 404); as an agent, on the real ticket.
    case.call_and_validate(headers={"Authorization": f"Token {world['boss']}"}, checks=CHECKS)
    if "ticket_id" in (case.path_parameters or {}):
        case.path_parameters["ticket_id"] = world["ticket"]
    case.call_and_validate(headers={"Authorization": f"Token {world['agent']}"}, checks=CHECKS)
