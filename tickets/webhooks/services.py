"""Writes of webhooks: endpoints, the deliveries of each event, and sending them.

Emission (``webhooks_emit``, ``webhooks_sla_events_emit``) runs inside the transaction of the
change that causes the event: it renders the body once, inserts one ``WebhookDelivery`` per
subscribed active endpoint and registers their Celery tasks with ``transaction.on_commit`` — so a
change that rolls back tells nobody, and nothing is sent while locks are held. Due soon and
overdue are emitted by the periodic job's notification step, in the same locked batch that marks
each transition notified, so a transition is told once even with two sweeps running at once;
settings recomputes emit nothing (as they send no email).

``webhook_deliver`` (the task's service) claims one delivery with a compare-and-swap, posts it
outside any transaction with ``WEBHOOKS_TIMEOUT``, logs the attempt and schedules the next one with
exponential backoff for 24 hours. An endpoint whose deliveries have all failed for 24 hours is
switched off and its owner emailed. ``webhooks_requeue`` (a step of the periodic job) queues again
the deliveries whose retry is due or whose task was lost.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from slaproject.celery import task_queue
from tickets.outbound.services import outbound_webhook_disabled_queue
from tickets.selectors import ClockJson, clock_json, message_json, ticket_json
from tickets.sla import iso
from tickets.webhooks import signing, targets, transport
from tickets.webhooks.models import (
    TEST_EVENT,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)

SEND_TASK = "webhooks.tasks.webhook_deliver_task"
# Queues the send tasks of many deliveries from a worker: an event told to many endpoints, or
# the notification step's batch of transitions, costs the change (and the periodic job) one
# message to the broker, not one per delivery (bench/webhooks.py).
FAN_OUT_TASK = "webhooks.tasks.webhooks_fan_out_task"
# Retries: 1, 2, 4, 8 … minutes after each failure, at most 3 hours apart, the last one 24 hours
# after the event (16 attempts in all); then the delivery is marked failed.
FIRST_RETRY = datetime.timedelta(minutes=1)
MAX_RETRY = datetime.timedelta(hours=3)
RETRY_WINDOW = datetime.timedelta(hours=24)
# An endpoint whose every attempt has failed for this long is switched off.
DISABLE_AFTER = datetime.timedelta(hours=24)
# A pending delivery whose task has not run this long after it was queued is queued again.
REQUEUE_AFTER = datetime.timedelta(minutes=2)
# "sending" this long: the worker died mid-send (the task's hard limit is five minutes).
STALE_SENDING = datetime.timedelta(minutes=10)
REQUEUE_BATCH = 1000  # deliveries the re-queue step handles per run
EXCERPT_CHARS = 500  # of each answer's body, in the log
MAX_EVENTS = 20  # a URL and its subscriptions; endpoints per help desk stay few
# A fixed namespace: the id of an event derived from what caused it is the same however often
# it is emitted, so the (endpoint, event id) constraint keeps one delivery per endpoint.
_EVENT_NAMESPACE = uuid.UUID("5b0ad7c2-4f0e-4d55-9a55-5f3e0f4b7c11")


class WebhookInputError(Exception):
    """Refused input; ``errors`` maps field names to messages. Nothing was saved."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


def allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False))


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait after the ``attempts``-th failed attempt (1 minute, doubling, at most 3 hours)."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


# --- Endpoints ------------------------------------------------------------------------------------


def _clean_url(url: Any, errors: dict[str, list[str]]) -> str:
    if not isinstance(url, str) or not url.strip():
        errors["url"] = [_("Give the URL to send to.")]
        return ""
    url = url.strip()
    try:
        targets.url_check_on_save(url, allow_private=allow_private())
    except targets.TargetRefused as exc:
        errors["url"] = [str(exc)]
    return url


def _clean_events(events: Any, errors: dict[str, list[str]]) -> list[str]:
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        errors["events"] = [_("A list of event names.")]
        return []
    unknown = [e for e in events if e not in EventType.values]
    if unknown:
        errors["events"] = [
            _("Unknown event %(name)s; known: %(known)s.")
            % {"name": repr(unknown[0][:50]), "known": ", ".join(EventType.values)}
        ]
        return []
    if not events:
        errors["events"] = [_("Choose at least one event.")]
        return []
    return [e for e in EventType.values if e in events]  # choice order, no repeats


def webhook_endpoint_create(
    *, actor: Any, url: Any, events: Any, active: Any = True, now: datetime.datetime
) -> WebhookEndpoint:
    """Register an endpoint owned by ``actor`` (told when it is switched off). Its secret is on
    the returned instance; show it once. ``WebhookInputError`` for a refused URL (not https, a
    private address) or unknown events."""
    errors: dict[str, list[str]] = {}
    url = _clean_url(url, errors)
    events = _clean_events(events, errors)
    if not isinstance(active, bool):
        errors["active"] = [_("Must be true or false.")]
    if errors:
        raise WebhookInputError(errors)
    return WebhookEndpoint.objects.create(
        url=url,
        events=events,
        is_active=active,
        secret=signing.secret_new(),
        owner=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        updated_at=now,
    )


_ABSENT: Any = object()


def webhook_endpoint_update(
    *,
    endpoint_id: int,
    now: datetime.datetime,
    url: Any = _ABSENT,
    events: Any = _ABSENT,
    active: Any = _ABSENT,
) -> WebhookEndpoint:
    """Change an endpoint's URL, events or switch (what is passed). Switching it on again
    forgets its failures (it gets a fresh 24 hours). ``WebhookInputError`` for refused input;
    ``WebhookEndpoint.DoesNotExist`` when there is no such endpoint."""
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    if url is not _ABSENT:
        changes["url"] = _clean_url(url, errors)
    if events is not _ABSENT:
        changes["events"] = _clean_events(events, errors)
    if active is not _ABSENT:
        if isinstance(active, bool):
            changes["is_active"] = active
        else:
            errors["active"] = [_("Must be true or false.")]
    if errors:
        raise WebhookInputError(errors)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        if changes.get("is_active") and not endpoint.is_active:
            endpoint.failing_since = None
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
        for name, value in changes.items():
            setattr(endpoint, name, value)
        endpoint.updated_at = now
        endpoint.save()
    return endpoint


def webhook_endpoint_delete(*, endpoint_id: int) -> bool:
    """Delete an endpoint and its delivery log. False when there was none."""
    deleted, _rows = WebhookEndpoint.objects.filter(pk=endpoint_id).delete()
    return bool(deleted)


# --- Emission -------------------------------------------------------------------------------------


def _enqueue_many(delivery_ids: Sequence[int]) -> None:
    """One fan-out task that queues a send task per delivery (one alone is queued directly).
    A broker that is down is logged; the sweep queues them later."""
    if len(delivery_ids) == 1:
        _enqueue(delivery_ids)
        return
    try:
        task_queue(FAN_OUT_TASK, list(delivery_ids))
    except Exception:
        logger.exception(
            "Could not queue %s webhook deliveries; the sweep will queue them", len(delivery_ids)
        )


def webhooks_fan_out(*, delivery_ids: Sequence[int]) -> int:
    """Queue the send task of each delivery (the fan-out task's service). Returns how many."""
    _enqueue(delivery_ids)
    return len(delivery_ids)


def _enqueue(delivery_ids: Sequence[int]) -> None:
    """One task per delivery. A broker that is down is logged; the sweep queues them later."""
    for delivery_id in delivery_ids:
        try:
            task_queue(SEND_TASK, delivery_id)
        except Exception:
            logger.exception(
                "Could not queue webhook delivery %s (and any after it); the sweep will queue it",
                delivery_id,
            )
            return


def _subscribed(event_types: Iterable[str]) -> dict[str, list[WebhookEndpoint]]:
    """Active endpoints by the event types (of ``event_types``) they subscribe to. One small
    query (a help desk has a handful of endpoints)."""
    wanted = set(event_types)
    found: dict[str, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(is_active=True).only("id", "events"):
        for event_type in endpoint.events or []:
            if event_type in wanted:
                found.setdefault(event_type, []).append(endpoint)
    return found


def event_id_for(cause: str) -> str:
    """The event id for what caused it (``"ticket.created:42"``): stable, unguessable-looking."""
    return "evt_" + uuid.uuid5(_EVENT_NAMESPACE, cause).hex


def _body(*, event_id: str, event_type: str, now: datetime.datetime, data: dict[str, Any]) -> str:
    return json.dumps(
        {"id": event_id, "type": event_type, "created_at": iso(now), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _insert(rows: list[WebhookDelivery]) -> list[int]:
    """Insert deliveries (one already there for its endpoint and event is skipped) and queue
    them after the commit. Returns their ids."""
    if not rows:
        return []
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        WebhookDelivery.objects.filter(
            event_id__in={row.event_id for row in rows},
            endpoint_id__in={row.endpoint_id for row in rows},
            state=WebhookDelivery.State.PENDING,
            attempts=0,
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    if ids:
        transaction.on_commit(lambda: _enqueue_many(ids))
    return ids


def _delivery(
    endpoint: WebhookEndpoint,
    *,
    event_id: str,
    event_type: str,
    body: str,
    ticket_id: int | None,
    now: datetime.datetime,
) -> WebhookDelivery:
    return WebhookDelivery(
        endpoint_id=endpoint.pk,
        event_id=event_id,
        event_type=event_type,
        body=body,
        ticket_id=ticket_id,
        created_at=now,
        next_attempt_at=now,
        enqueued_at=now,
    )


class ClockData(ClockJson):
    """The CLOCK of SPEC §7, plus its ``kind`` (which of the ticket's clocks it is)."""

    kind: str


def _clock_data(clock: Any, *, now: datetime.datetime) -> ClockData | None:
    data = clock_json(clock, now=now)
    if data is None:
        return None
    return {"kind": clock.kind, **data}


def _tickets(ticket_ids: Iterable[int]) -> dict[int, Any]:
    from tickets.models import Ticket

    queryset = (
        Ticket.objects.filter(pk__in=set(ticket_ids))
        .select_related("team", "pipeline", "owner", "stage")
        .prefetch_related("clocks")
    )
    return {ticket.pk: ticket for ticket in queryset}


def webhooks_emit(
    *,
    event_type: str,
    cause: str,
    ticket_id: int,
    now: datetime.datetime,
    clock_id: int | None = None,
    message: Any = None,
) -> int:
    """Emit one event about a ticket to every active endpoint subscribed to ``event_type``.

    Call inside the transaction of the change (after it is written: the body shows the ticket
    as it is now). ``cause`` names what caused the event (``"ticket.created:42"``), from which its
    id is derived, so emitting it twice delivers it once. ``message``: the message of
    ``message.created`` (also sent as ``data.message``). Returns the deliveries queued.
    """
    endpoints = _subscribed([event_type]).get(event_type, [])
    if not endpoints:
        return 0
    ticket = _tickets([ticket_id])[ticket_id]
    clock = None
    if clock_id is not None:
        clock = next((c for c in ticket.clocks.all() if c.pk == clock_id), None)
    data: dict[str, Any] = {
        "ticket": ticket_json(ticket, now=now),
        "clock": _clock_data(clock, now=now),
    }
    if message is not None:
        data["message"] = message_json(
            message, requester_email=ticket.requester_email, delivery=None
        )
    event_id = event_id_for(cause)
    body = _body(event_id=event_id, event_type=event_type, now=now, data=data)
    rows = [
        _delivery(
            e, event_id=event_id, event_type=event_type, body=body, ticket_id=ticket_id, now=now
        )
        for e in endpoints
    ]
    return len(_insert(rows))


SLA_EVENT_TYPES = {
    "due_soon": EventType.SLA_DUE_SOON,
    "overdue": EventType.SLA_OVERDUE,
    "completed_late": EventType.SLA_COMPLETED_LATE,
}


def webhooks_sla_events_emit(*, events: Sequence[Any], now: datetime.datetime) -> int:
    """Emit ``sla.due_soon`` / ``sla.overdue`` / ``sla.completed_late`` for SLA events (rows of
    ``SlaEvent``, each once: the caller holds them locked and marks them done in the same
    transaction). One query when no endpoint subscribes; else one more for the tickets and one
    insert. Returns the deliveries queued."""
    types = {SLA_EVENT_TYPES[e.kind] for e in events if e.kind in SLA_EVENT_TYPES}
    if not types:
        return 0
    subscribed = _subscribed(types)
    wanted = [e for e in events if subscribed.get(SLA_EVENT_TYPES.get(e.kind, ""))]
    if not wanted:
        return 0
    tickets = _tickets(e.ticket_id for e in wanted)
    rows = []
    for event in wanted:
        ticket = tickets.get(event.ticket_id)
        if ticket is None:
            continue
        event_type = SLA_EVENT_TYPES[event.kind]
        clock = next((c for c in ticket.clocks.all() if c.pk == event.clock_id), None)
        event_id = event_id_for(f"sla-event:{event.pk}")
        body = _body(
            event_id=event_id,
            event_type=event_type,
            now=now,
            data={"ticket": ticket_json(ticket, now=now), "clock": _clock_data(clock, now=now)},
        )
        for endpoint in subscribed[event_type]:
            rows.append(
                _delivery(
                    endpoint,
                    event_id=event_id,
                    event_type=event_type,
                    body=body,
                    ticket_id=ticket.pk,
                    now=now,
                )
            )
    return len(_insert(rows))


def webhook_test_send(*, endpoint_id: int, now: datetime.datetime) -> WebhookDelivery:
    """Queue a test event (``webhook.test``) to one endpoint, active or not: signed and logged as
    any delivery, tried once (no retries; it counts toward no switch-off). Its ``data`` holds the
    newest ticket when there is one (``null`` otherwise), so a receiver sees the real shape."""
    from tickets.models import Ticket

    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
        newest = Ticket.objects.order_by("-id").values_list("id", flat=True).first()
        ticket = _tickets([newest])[newest] if newest is not None else None
        event_id = "evt_" + uuid.uuid4().hex
        data = {"ticket": ticket_json(ticket, now=now) if ticket else None, "clock": None}
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=event_id,
            event_type=TEST_EVENT,
            body=_body(event_id=event_id, event_type=TEST_EVENT, now=now, data=data),
            ticket_id=None,
            created_at=now,
            next_attempt_at=now,
            enqueued_at=now,
        )
        transaction.on_commit(lambda: _enqueue([delivery.pk]))
    return delivery


# --- Delivery -------------------------------------------------------------------------------------


def _post(
    endpoint: WebhookEndpoint, body: bytes, *, event_id: str, now: datetime.datetime
) -> tuple[transport.Answer | None, int, str]:
    """(answer or None, duration ms, failure reason or "") of one POST."""
    private = allow_private()
    try:
        target = targets.target_parse(endpoint.url, allow_private=private)
        addresses = targets.target_addresses(target, allow_private=private)
    except targets.TargetRefused as exc:
        return None, 0, str(exc)
    timestamp = int(now.timestamp())
    headers = {
        signing.SIGNATURE_HEADER: signing.signature_header(
            secret=endpoint.secret, timestamp=timestamp, body=body
        ),
        "Webhook-Id": event_id,
    }
    timeout = float(getattr(settings, "WEBHOOKS_TIMEOUT", 10))
    try:
        answer = transport.post(target, addresses, body=body, headers=headers, timeout=timeout)
    except transport.PostFailed as exc:
        return None, exc.duration_ms, str(exc)
    if 200 <= answer.status < 300:
        return answer, answer.duration_ms, ""
    if 300 <= answer.status < 400:
        reason = _("Answered %(status)s, a redirect (to %(location)s): redirects are not followed.")
        return (
            answer,
            answer.duration_ms,
            reason
            % {
                "status": answer.status,
                "location": answer.location[:200] or "?",
            },
        )
    return answer, answer.duration_ms, _("Answered %(status)s.") % {"status": answer.status}


def webhook_deliver(*, delivery_id: int, now: datetime.datetime) -> str | None:
    """Claim one pending delivery whose attempt is due, post it, log the attempt.

    Must run outside any transaction (the Celery task's service): the POST holds no locks and
    ``WEBHOOKS_TIMEOUT`` (seconds) bounds each step of it. Returns the delivery's new state, or
    None when there was nothing to do (delivered or claimed already, its retry not yet due, its
    endpoint switched off) — so a task delivered twice posts once. A 2xx answer delivers it;
    anything else (no answer, another status, a redirect, a refused address) is retried after
    ``retry_delay`` until 24 hours after the event, then it is failed. An endpoint failing for
    ``DISABLE_AFTER`` is switched off and its owner emailed.
    """
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        state=WebhookDelivery.State.PENDING,
        next_attempt_at__lte=now,
    ).update(state=WebhookDelivery.State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    is_test = delivery.event_type == TEST_EVENT
    if not endpoint.is_active and not is_test:
        WebhookDelivery.objects.filter(pk=delivery.pk, state=WebhookDelivery.State.SENDING).update(
            state=WebhookDelivery.State.FAILED,
            failed_at=now,
            detail=_("Not sent: the endpoint is switched off."),
        )
        return WebhookDelivery.State.FAILED
    answer, duration_ms, reason = _post(
        endpoint, delivery.body.encode("utf-8"), event_id=delivery.event_id, now=now
    )
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=now,
        duration_ms=duration_ms,
        status_code=answer.status if answer is not None else None,
        response_excerpt=answer.body[:EXCERPT_CHARS] if answer is not None else "",
        error=reason[:2000],
    )
    status_code = answer.status if answer is not None else None
    mine = WebhookDelivery.objects.filter(
        pk=delivery.pk, state=WebhookDelivery.State.SENDING, claimed_at=now
    )
    if not reason:
        mine.update(
            state=WebhookDelivery.State.DELIVERED,
            delivered_at=now,
            last_status_code=status_code,
            detail="",
        )
        if not is_test:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).exclude(failing_since=None).update(
                failing_since=None
            )
        return WebhookDelivery.State.DELIVERED
    logger.warning(
        "Webhook delivery %s (%s) to %s: attempt %s failed: %s",
        delivery.pk,
        delivery.event_type,
        endpoint.url,
        delivery.attempts,
        reason,
    )
    # The last retry comes at the end of the 24 hours, so that an endpoint down all along has
    # failed for the whole of them (and is switched off) by then.
    deadline = delivery.created_at + RETRY_WINDOW
    retry_at = min(now + retry_delay(delivery.attempts), deadline)
    if is_test or now >= deadline:
        changes: dict[str, Any] = {"state": WebhookDelivery.State.FAILED, "failed_at": now}
        if not is_test:
            reason = _("Gave up after %(n)s attempts in 24 hours. %(reason)s") % {
                "n": delivery.attempts,
                "reason": reason,
            }
    else:
        changes = {"state": WebhookDelivery.State.PENDING, "next_attempt_at": retry_at}
    mine.update(detail=reason[:2000], last_status_code=status_code, **changes)
    if not is_test:
        _endpoint_failed(endpoint_id=endpoint.pk, reason=reason, now=now)
    return changes["state"]


def _endpoint_failed(*, endpoint_id: int, reason: str, now: datetime.datetime) -> None:
    """Note a failed attempt; switch the endpoint off when it has failed for ``DISABLE_AFTER``
    (its pending deliveries fail with it) and email its owner, once."""
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since=None).update(failing_since=now)
    with transaction.atomic():
        switched = WebhookEndpoint.objects.filter(
            pk=endpoint_id, is_active=True, failing_since__lte=now - DISABLE_AFTER
        ).update(
            is_active=False,
            disabled_at=now,
            disabled_reason=reason[:2000],
            updated_at=now,
        )
        if not switched:
            return
        endpoint = WebhookEndpoint.objects.select_related("owner").get(pk=endpoint_id)
        WebhookDelivery.objects.filter(
            endpoint_id=endpoint_id, state=WebhookDelivery.State.PENDING
        ).update(
            state=WebhookDelivery.State.FAILED,
            failed_at=now,
            detail=_("Not sent: the endpoint was switched off after failing for 24 hours."),
        )
        logger.warning(
            "Webhook endpoint %s (%s) switched off: failing since %s",
            endpoint.pk,
            endpoint.url,
            endpoint.failing_since,
        )
        if endpoint.owner is not None and endpoint.failing_since is not None:
            outbound_webhook_disabled_queue(
                user=endpoint.owner,
                url=endpoint.url,
                reason=reason,
                failing_since=endpoint.failing_since,
                settings_url=settings.SITE_URL.rstrip("/") + reverse("webhooks:settings"),
                now=now,
            )


def webhooks_requeue(*, now: datetime.datetime, batch_size: int = REQUEUE_BATCH) -> int:
    """The periodic job's step: queue again the deliveries whose retry is due, whose task was
    lost (pending ``REQUEUE_AFTER`` after it was queued) or whose worker died mid-send
    (``sending`` for ``STALE_SENDING``). Returns how many were queued. Safe to run concurrently:
    a task claims its delivery before posting, so one queued twice is posted once."""
    WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.SENDING, claimed_at__lte=now - STALE_SENDING
    ).update(
        state=WebhookDelivery.State.PENDING,
        next_attempt_at=now,
        enqueued_at=None,
        detail=_("The worker stopped while sending; queued again."),
    )
    due = WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now
    ).filter(
        Q(enqueued_at=None)
        | Q(enqueued_at__lt=F("next_attempt_at"))
        | Q(enqueued_at__lte=now - REQUEUE_AFTER)
    )
    ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:batch_size])
    if ids:
        WebhookDelivery.objects.filter(pk__in=ids).update(enqueued_at=now)
        _enqueue_many(ids)
    return len(ids)
