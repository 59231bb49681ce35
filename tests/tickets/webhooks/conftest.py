"""Fixtures of the webhook tests: a real HTTP receiver on loopback (so WEBHOOKS_ALLOW_PRIVATE is
on), an endpoint registered through the service, and a helper that runs the delivery task of
every pending delivery as the workers would after the commit."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator

import pytest
from django.utils import timezone

from tests.factories import sla_document
from tests.tickets.conftest import JsonApi, agent_token, api, freeze, sla_settings  # noqa: F401
from tests.tickets.webhooks.receiver import Receiver
from tickets.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint
from tickets.webhooks.services import webhook_deliver, webhook_endpoint_create

ALL_EVENTS = list(EventType.values)


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_TIMEOUT = 5
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(receiver, super_admin) -> Callable[..., WebhookEndpoint]:
    """``endpoint(events=[...])``: an active endpoint at the receiver, owned by the super admin."""

    def make(events: list[str] | None = None, path: str = "/hooks") -> WebhookEndpoint:
        return webhook_endpoint_create(
            actor=super_admin,
            url=receiver.url(path),
            events=events or ALL_EVENTS,
            now=timezone.now(),
        )

    return make


def deliver_pending(now: datetime.datetime | None = None) -> dict[int, str | None]:
    """Run the task's service for every pending delivery whose attempt is due at ``now``:
    delivery id -> the state it reached."""
    now = now or timezone.now()
    ids = (
        WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    return {i: webhook_deliver(delivery_id=i, now=now) for i in list(ids)}


@pytest.fixture
def always(sla_settings):  # noqa: F811
    """24/7 in UTC: first response 60 min (due soon at 45), close one day (due soon 4 h before)."""
    return sla_settings(sla_document(timezone="UTC"))
