"""The API against its own OpenAPI document (issues 21 and 24): schemathesis generates requests
from the document served at /api/schema/ (valid ones and broken ones: wrong types, missing
fields, values out of range) and sends them in-process through the WSGI application, as an agent
and as a super admin. Every answer must be no server error, carry a status the document lists for
that operation, be JSON, and match the document's schema for that status.

Each example is sent three ways: as the super admin with the ids as generated (mostly unknown:
404); as the agent with the world's real ids (the ticket, the webhook endpoint, the recompute);
and, when the agent is refused (403: the settings, the recomputes, the webhooks), as the super
admin with the real ids, so every operation also answers about a row that exists.

Lean by design (figures and the command in docs/BENCHMARKS.md, "API schema test"):
- 25 examples per operation (``EXAMPLES``), positive and negative, from a fixed seed: the same
  requests on every run. Schemathesis's "coverage" phase is off: it adds a deterministic boundary
  case per schema keyword (about 400 for the settings document alone) and was two thirds of the
  run's CPU time.
- The world (users, tokens, settings, a ticket with a reply, a webhook endpoint with a logged
  delivery, a recompute) is made once per module inside a transaction that is rolled back at the
  end; each operation runs in a savepoint on top of it (pytest-django's ``db``), so what one
  operation's examples change is gone before the next operation starts.
- No DNS lookups: addresses are "resolved" by a stub (webhook URLs to a public address).

POST /api/inbound-email/ takes a raw email, not JSON: its tests are in tests/tickets/inbound."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from settings_app.models import SlaSettingsChange, Team
from settings_app.services import sla_settings_save
from slaproject.api_site import schema as api_schema
from tests.factories import ALWAYS_DOCUMENT, sla_document
from tickets.api_auth.models import ApiToken
from tickets.models import Message, SlaRecompute
from tickets.services import ticket_create, ticket_message_add
from tickets.webhooks import targets
from tickets.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

SEED = 20261205
EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PUBLIC_ADDRESS = "93.184.216.34"

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "phases": {"coverage": {"enabled": False}},
        "generation": {"max-examples": EXAMPLES, "database": "none"},
    }
)
schema = schemathesis.openapi.from_dict(api_schema(), config=CONFIG)
schema.app = get_wsgi_application()
schema = schema.exclude(path="/api/inbound-email/")


@pytest.fixture(scope="module")
def in_process() -> Iterator[None]:
    """Requests through the WSGI handler keep the test's database connection open (as Django's
    test client does): no closing of "old" connections at each request's start and end."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def no_dns() -> Iterator[None]:
    """Webhook URLs resolve to a public address without asking a resolver (there is none here,
    and a lookup per generated URL would cost seconds)."""
    original = targets.resolve
    targets.resolve = lambda host, port: [PUBLIC_ADDRESS]
    yield
    targets.resolve = original


def _endpoint_new(owner: Any) -> WebhookEndpoint:
    now = timezone.now()
    return WebhookEndpoint.objects.create(
        url=f"https://{PUBLIC_ADDRESS}/hooks",
        events=["ticket.created", "sla.overdue"],
        secret="whsec_schemathesis",
        owner=owner,
        created_at=now,
        updated_at=now,
    )


def _world_make() -> dict[str, Any]:
    """Settings with goals, a team, a ticket with a reply, a webhook endpoint with one logged
    delivery, a recompute, and the tokens of an agent and a super admin."""
    users = get_user_model().objects
    agent = users.create_user("st-agent", "st-agent@example.com", is_staff=True)
    boss = users.create_user("st-boss", "st-boss@example.com", is_staff=True, is_superuser=True)
    sla_settings_save(
        document=sla_document(ALWAYS_DOCUMENT), actor=None, via=SlaSettingsChange.Via.COMMAND
    )
    Team.objects.create(name="Billing", slug="billing")
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
    endpoint = _endpoint_new(boss)
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id="evt_schemathesis",
        event_type="ticket.created",
        body="{}",
        ticket_id=ticket.pk,
        state=WebhookDelivery.State.PENDING,
        attempts=1,
        last_status_code=500,
        detail="HTTP 500",
        created_at=now,
        next_attempt_at=now + datetime.timedelta(minutes=1),
    )
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=1,
        started_at=now,
        duration_ms=12,
        status_code=500,
        response_excerpt="oops",
    )
    recompute = SlaRecompute.objects.create(settings_version=1, tickets=1, done=1)
    return {
        "boss_user": boss,
        "ids": {"ticket_id": ticket.pk, "endpoint_id": endpoint.pk, "pk": recompute.pk},
        "agent": ApiToken.objects.create(user=agent, key=ApiToken.generate_key()).key,
        "boss": ApiToken.objects.create(user=boss, key=ApiToken.generate_key()).key,
    }


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker, in_process, no_dns) -> Iterator[dict]:
    """The world, made once for every operation: inside a transaction rolled back at the end of
    the module (each operation's own changes are rolled back before the next, by ``db``)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _world_make()
        transaction.set_rollback(True)


@pytest.fixture
def world(shared_world: dict[str, Any], db: None) -> dict[str, Any]:
    """The shared world, with ids of its own (an endpoint re-made here is rolled back after)."""
    return {**shared_world, "ids": dict(shared_world["ids"])}


def _real_ids(case: Any, world: dict[str, Any]) -> None:
    """Put the world's rows into the case's path (the endpoint again if an example deleted it)."""
    parameters = case.path_parameters or {}
    if "endpoint_id" in parameters:
        ids = world["ids"]
        if not WebhookEndpoint.objects.filter(pk=ids["endpoint_id"]).exists():
            ids["endpoint_id"] = _endpoint_new(world["boss_user"]).pk
    for name in parameters:
        if name in world["ids"]:
            parameters[name] = world["ids"][name]


@schema.parametrize()
@hypothesis.seed(SEED)
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_what_the_document_says(case: Any, world: dict[str, Any]) -> None:
    boss = {"Authorization": f"Token {world['boss']}"}
    case.call_and_validate(headers=boss, checks=CHECKS)
    _real_ids(case, world)
    refused = case.call_and_validate(
        headers={"Authorization": f"Token {world['agent']}"}, checks=CHECKS
    )
    if refused.status_code == 403:  # the super admin's operations: on the real rows too
        case.call_and_validate(headers=boss, checks=CHECKS)
