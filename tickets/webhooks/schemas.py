"""The webhooks API's shapes (SPEC §7) as schemas: what the OpenAPI document says and what the
answers are checked against (tests/slaproject/test_api_schemathesis.py). Bodies are read by
``tickets.webhooks.api`` and checked by the services (the contract's messages); these schemas
describe them."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

DATE_TIME: dict[str, Any] = {"format": "date-time"}
# The events an endpoint subscribes to (tickets.webhooks.models.EventType, in its order; a test
# keeps the two the same) and, for deliveries, the test event too.
EVENTS = Literal[
    "ticket.created", "message.created", "sla.due_soon", "sla.overdue", "sla.completed_late"
]
DELIVERY_TYPES = Literal[
    "ticket.created",
    "message.created",
    "sla.due_soon",
    "sla.overdue",
    "sla.completed_late",
    "webhook.test",
]
STATES = Literal["pending", "sending", "delivered", "failed"]


def _time(description: str) -> Any:
    return Field(..., description=description, json_schema_extra=DATE_TIME)


def _no_default(schema: dict) -> None:
    schema.pop("default", None)


def _may_leave_out(**constraints: Any) -> Any:
    """A body field that may be left out (it then stays as it is) but not sent as null."""
    return Field(None, json_schema_extra=_no_default, **constraints)


class WebhookLastDelivery(Schema):
    type: DELIVERY_TYPES
    state: STATES
    status_code: int | None = Field(..., description="The last attempt's HTTP status, if any.")
    created_at: str = Field(..., json_schema_extra=DATE_TIME)


class WebhookEndpoint(Schema):
    id: int
    url: str
    events: list[EVENTS]
    active: bool
    created_at: str = Field(..., json_schema_extra=DATE_TIME)
    failing_since: str | None = _time("Since when every attempt has failed; null when fine.")
    disabled_at: str | None = _time("When it was switched off after 24 hours of failures.")
    disabled_reason: str | None
    last_delivery: WebhookLastDelivery | None


class WebhookEndpointCreated(WebhookEndpoint):
    secret: str = Field(
        ...,
        description="Signs every delivery (Webhook-Signature); shown in this answer only.",
    )


class WebhookEndpointPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[WebhookEndpoint]


class WebhookAttempt(Schema):
    number: int
    at: str = Field(..., json_schema_extra=DATE_TIME)
    duration_ms: int
    status_code: int | None
    response_excerpt: str = Field(..., description="The answer's first 500 characters.")
    error: str | None = Field(..., description="Why no answer came (timeout, refused, …).")


class WebhookDelivery(Schema):
    id: int
    event_id: str = Field(..., description='The body\'s "id"; the same for every endpoint.')
    type: DELIVERY_TYPES
    ticket: int | None
    created_at: str = Field(..., json_schema_extra=DATE_TIME)
    state: STATES
    attempts: int
    next_attempt_at: str | None = _time("When it is tried again (pending deliveries only).")
    status_code: int | None = Field(..., description="The last attempt's HTTP status, if any.")
    detail: str | None = Field(..., description="Why the last attempt failed.")
    attempt_log: list[WebhookAttempt] = Field(..., description="Every attempt, oldest first.")


class WebhookDeliveryPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[WebhookDelivery]


class WebhookTestQueued(Schema):
    delivery: int = Field(..., description="The delivery's id (its log: …/deliveries/).")
    event_id: str


# --- Bodies (documentation of what tickets.webhooks.api accepts) -----------------------------


class WebhookEndpointCreate(Schema):
    model_config = ConfigDict(extra="forbid", title="WebhookEndpointCreate")

    url: str = Field(
        ...,
        max_length=2000,
        description="An https:// URL of a public address (private, loopback and link-local "
        "addresses are refused).",
    )
    events: list[EVENTS] = Field(..., min_length=1)
    active: bool = True


class WebhookEndpointUpdate(Schema):
    model_config = ConfigDict(extra="forbid", title="WebhookEndpointUpdate")

    url: str = _may_leave_out(max_length=2000)
    events: list[EVENTS] = _may_leave_out(min_length=1)
    active: bool = _may_leave_out(description="Switching it on again forgets its failures.")
