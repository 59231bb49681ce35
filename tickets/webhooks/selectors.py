"""Reads of webhooks: endpoints with their last delivery, an endpoint's delivery log, and their
JSON shapes (SPEC §7, docs/API.md). Each list runs the same queries for 1 or 1,000 rows."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from tickets.sla import iso
from tickets.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

DELIVERY_LOG_SIZE = 50  # deliveries an endpoint's page shows


def endpoints_list() -> QuerySet[WebhookEndpoint]:
    """Every endpoint, oldest first, with its newest delivery's state, moment and status code
    (``last_state``, ``last_at``, ``last_status_code``, ``last_type``) annotated."""
    newest = WebhookDelivery.objects.filter(endpoint_id=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    return (
        WebhookEndpoint.objects.select_related("owner")
        .annotate(
            last_state=Subquery(newest.values("state")[:1]),
            last_at=Subquery(newest.values("created_at")[:1]),
            last_status_code=Subquery(newest.values("last_status_code")[:1]),
            last_type=Subquery(newest.values("event_type")[:1]),
        )
        .order_by("id")
    )


def endpoint_get(*, endpoint_id: int) -> WebhookEndpoint | None:
    return endpoints_list().filter(pk=endpoint_id).first()


def endpoint_deliveries(*, endpoint_id: int) -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries, newest first, each with its attempts (oldest first)."""
    return (
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
        .order_by("-created_at", "-id")
        .prefetch_related(
            Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number"))
        )
    )


def endpoint_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """An endpoint as the API shows it (no secret: that is shown once, at creation)."""
    last_at = getattr(endpoint, "last_at", None)
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": list(endpoint.events or []),
        "active": endpoint.is_active,
        "created_at": iso(endpoint.created_at),
        "failing_since": iso(endpoint.failing_since),
        "disabled_at": iso(endpoint.disabled_at),
        "disabled_reason": endpoint.disabled_reason or None,
        "last_delivery": (
            {
                "type": getattr(endpoint, "last_type", None),
                "state": getattr(endpoint, "last_state", None),
                "status_code": getattr(endpoint, "last_status_code", None),
                "created_at": iso(last_at),
            }
            if last_at is not None
            else None
        ),
    }


def attempt_json(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "at": iso(attempt.started_at),
        "duration_ms": attempt.duration_ms,
        "status_code": attempt.status_code,
        "response_excerpt": attempt.response_excerpt,
        "error": attempt.error or None,
    }


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    """A delivery with its attempts (``attempt_log`` prefetched)."""
    return {
        "id": delivery.pk,
        "event_id": delivery.event_id,
        "type": delivery.event_type,
        "ticket": delivery.ticket_id,
        "created_at": iso(delivery.created_at),
        "state": delivery.state,
        "attempts": delivery.attempts,
        "next_attempt_at": (
            iso(delivery.next_attempt_at)
            if delivery.state == WebhookDelivery.State.PENDING
            else None
        ),
        "status_code": delivery.last_status_code,
        "detail": delivery.detail or None,
        "attempt_log": [attempt_json(a) for a in delivery.attempt_log.all()],
    }
