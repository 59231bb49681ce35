"""Webhook deliveries against a real HTTP receiver on loopback: the body and the signature (checked
with the recipe of docs/API.md), the commit, retries with backoff, redirects, timeouts, the
switch-off after 24 hours of failures, and refused private targets."""

from __future__ import annotations

import datetime
import json
import re
import time
from pathlib import Path

import pytest
from django.db import transaction

from tests.factories import TicketFactory
from tests.tickets.conftest import utc
from tests.tickets.webhooks.conftest import deliver_pending
from tickets.outbound.models import OutboundEmail
from tickets.services import ticket_create
from tickets.webhooks import services, targets, transport
from tickets.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tickets.webhooks.services import (
    WebhookInputError,
    webhook_endpoint_create,
    webhook_endpoint_update,
    webhook_test_send,
)

pytestmark = pytest.mark.django_db
API_DOC = Path(__file__).resolve().parents[3] / "docs" / "API.md"
OPENED = "2026-12-01T08:00:00Z"


def documented_verify():
    """``verify_webhook`` exactly as docs/API.md shows it (its first Python block after the
    heading "Verifying a signature")."""
    text = API_DOC.read_text()
    section = text.split("### Verifying a signature", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(API_DOC), "exec"), namespace)
    return namespace["verify_webhook"]


def test_a_new_ticket_is_posted_signed_as_documented(api, receiver, endpoint) -> None:
    hook = endpoint(events=["ticket.created"])
    ticket = api.create(subject="Printer on fire")
    assert WebhookDelivery.objects.count() == 1
    shown = api.ticket(ticket["id"])

    assert list(deliver_pending().values()) == ["delivered"]

    [request] = receiver.received
    assert request.path == "/hooks"
    assert request.headers["Content-Type"] == "application/json"
    verify = documented_verify()
    signature = request.headers["Webhook-Signature"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", signature)
    assert verify(hook.secret, signature, request.body)
    # The recipe refuses a changed body, another secret and an old timestamp.
    assert not verify(hook.secret, signature, request.body.replace(b"Printer", b"Scanner"))
    assert not verify("whsec_other", signature, request.body)
    assert not verify(hook.secret, signature, request.body, tolerance=-1)

    body = json.loads(request.body)
    assert set(body) == {"id", "type", "created_at", "data"}
    assert body["type"] == "ticket.created"
    assert body["id"].startswith("evt_") and request.headers["Webhook-Id"] == body["id"]
    assert body["data"] == {"ticket": shown, "clock": None}
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    [attempt] = WebhookAttempt.objects.all()
    assert (attempt.status_code, attempt.response_excerpt, attempt.error) == (200, "ok", "")


def test_only_subscribed_active_endpoints_get_an_event(api, receiver, endpoint) -> None:
    wants = endpoint(events=["ticket.created"])
    endpoint(events=["sla.overdue"])
    off = endpoint(events=["ticket.created"])
    webhook_endpoint_update(endpoint_id=off.pk, now=utc(OPENED), active=False)
    api.create()
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [wants.pk]


def test_nothing_is_queued_before_the_commit_nor_after_a_rollback(
    receiver, endpoint, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    endpoint(events=["ticket.created"])
    queued: list[tuple] = []
    monkeypatch.setattr(services, "task_queue", lambda *args: queued.append(args))
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_create(subject="S", body="B", requester_email="c@example.com", now=utc(OPENED))
        raise RuntimeError("the change fails after the ticket was written")
    assert WebhookDelivery.objects.count() == 0 and queued == []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket_create(subject="S", body="B", requester_email="c@example.com", now=utc(OPENED))
    assert queued == []  # nothing while the transaction is open
    for callback in callbacks:
        callback()
    delivery = WebhookDelivery.objects.get()
    assert queued == [(services.SEND_TASK, delivery.pk)]


def test_a_failed_attempt_is_retried_with_backoff_and_the_same_body(
    receiver, endpoint, freeze
) -> None:
    endpoint(events=["ticket.created"])
    now = freeze(OPENED)
    receiver.answer((500, "database on fire"), (200, "thanks"))
    TicketFactory(now=now)

    assert list(deliver_pending(now).values()) == ["pending"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.next_attempt_at == now + datetime.timedelta(minutes=1)
    assert delivery.last_status_code == 500 and "500" in delivery.detail
    assert deliver_pending(now + datetime.timedelta(seconds=59)) == {}  # not due yet

    later = freeze("2026-12-01T08:01:00Z")
    assert list(deliver_pending(later).values()) == ["delivered"]
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"]
    log = list(delivery.attempt_log.values_list("number", "status_code", "response_excerpt"))
    assert log == [(1, 500, "database on fire"), (2, 200, "thanks")]
    hook = WebhookEndpoint.objects.get()
    assert hook.failing_since is None  # the success forgot the failure


def test_the_retry_delays_double_up_to_three_hours() -> None:
    delays = [services.retry_delay(n) for n in range(1, 11)]
    assert [d.total_seconds() / 60 for d in delays] == [1, 2, 4, 8, 16, 32, 64, 128, 180, 180]


def test_an_endpoint_failing_for_24_hours_is_switched_off_and_its_owner_told(
    receiver, endpoint, freeze, super_admin
) -> None:
    hook = endpoint(events=["ticket.created"])
    start = freeze(OPENED)
    receiver.answer((503, "maintenance"))
    TicketFactory(now=start)
    delivery = WebhookDelivery.objects.get()

    moments = []
    while True:
        delivery.refresh_from_db()
        if delivery.state != "pending":
            break
        now = delivery.next_attempt_at
        freeze(now.isoformat())
        moments.append(now)
        deliver_pending(now)
        if len(moments) < 15:
            hook.refresh_from_db()
            assert hook.is_active  # not before the 24 hours are up

    assert delivery.state == "failed" and "Gave up after 16 attempts" in delivery.detail
    assert len(receiver.received) == 16 == delivery.attempts
    assert moments[-1] == start + datetime.timedelta(hours=24)
    assert moments[-2] - moments[-3] == datetime.timedelta(hours=3)
    hook.refresh_from_db()
    assert not hook.is_active
    assert hook.disabled_at == start + datetime.timedelta(hours=24)
    assert hook.failing_since == start
    assert "503" in hook.disabled_reason
    [email] = OutboundEmail.objects.filter(kind="webhook_disabled")
    assert email.to == [super_admin.email]
    assert hook.url in email.subject and hook.url in email.body_text
    assert "/settings/webhooks/" in email.body_text

    # Switched off: new events are not delivered to it; switching it on forgets the failures.
    TicketFactory(now=start + datetime.timedelta(hours=25))
    assert WebhookDelivery.objects.count() == 1
    webhook_endpoint_update(endpoint_id=hook.pk, now=start, active=True)
    hook.refresh_from_db()
    assert hook.is_active and hook.failing_since is None and hook.disabled_at is None


def test_a_redirect_is_not_followed(receiver, endpoint) -> None:
    endpoint(events=["ticket.created"])
    receiver.answer((302, "", {"Location": "http://169.254.169.254/latest/meta-data/"}))
    TicketFactory()
    assert list(deliver_pending().values()) == ["pending"]
    assert len(receiver.received) == 1
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 302
    assert "redirects are not followed" in attempt.error
    assert "169.254.169.254" in attempt.error


def test_a_receiver_that_does_not_answer_fails_the_attempt_after_the_timeout(
    receiver, endpoint, settings
) -> None:
    settings.WEBHOOKS_TIMEOUT = 1
    receiver.delay = 3
    endpoint(events=["ticket.created"])
    TicketFactory()
    started = time.monotonic()
    assert list(deliver_pending().values()) == ["pending"]
    elapsed = time.monotonic() - started
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "No answer in time" in attempt.error
    assert 1.0 <= elapsed < 2.9  # waited for the timeout, not for the answer
    assert attempt.duration_ms >= 1000


def test_a_test_event_is_sent_once_even_to_an_inactive_endpoint(
    receiver, endpoint, super_admin
) -> None:
    hook = endpoint(events=["sla.overdue"])
    webhook_endpoint_update(endpoint_id=hook.pk, now=utc(OPENED), active=False)
    delivery = webhook_test_send(endpoint_id=hook.pk, now=utc(OPENED))
    assert list(deliver_pending().values()) == ["delivered"]
    [request] = receiver.received
    body = json.loads(request.body)
    assert body["type"] == "webhook.test" and body["id"] == delivery.event_id
    assert documented_verify()(hook.secret, request.headers["Webhook-Signature"], request.body)

    receiver.answer((500, "no"))
    webhook_test_send(endpoint_id=hook.pk, now=utc(OPENED))
    assert list(deliver_pending().values()) == ["failed"]  # tried once, no retries
    hook.refresh_from_db()
    assert hook.failing_since is None  # a test counts toward no switch-off


# --- Refused targets (this machine has no DNS: name resolution is stubbed) ---------------------


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """A stand-in resolver: host name -> addresses (a name not listed does not resolve)."""
    table: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return list(table[host])

    monkeypatch.setattr(targets, "resolve", resolve)
    return table


@pytest.mark.parametrize(
    "url, reason",
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://0.0.0.0/hook", "address"),
        ("https://localhost/hook", "this machine"),
        ("https://internal.example.com/hook", "private"),  # resolves to 10.0.0.7
        ("http://hooks.example.com/hook", "https://"),
        ("https://user:pw@hooks.example.com/hook", "password"),
        ("ftp://hooks.example.com/", "https://"),
        ("notaurl", "https://"),
        ("https://hooks.example.com/a b", "spaces"),
    ],
)
def test_private_and_malformed_targets_are_refused_when_saved(
    dns, super_admin, settings, url, reason
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    dns["internal.example.com"] = ["10.0.0.7"]
    dns["hooks.example.com"] = ["93.184.216.34"]
    with pytest.raises(WebhookInputError) as refused:
        webhook_endpoint_create(actor=super_admin, url=url, events=["sla.overdue"], now=utc(OPENED))
    assert reason in refused.value.errors["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_a_name_that_resolves_to_a_private_address_at_delivery_is_refused(
    dns, super_admin, settings, monkeypatch
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    dns["hooks.example.com"] = ["93.184.216.34"]
    hook = webhook_endpoint_create(
        actor=super_admin,
        url="https://hooks.example.com/in",
        events=["ticket.created"],
        now=utc(OPENED),
    )
    # Later the name answers with a loopback address (DNS rebinding): nothing is connected to.
    dns["hooks.example.com"] = ["93.184.216.34", "127.0.0.1"]
    posts: list = []
    monkeypatch.setattr(transport, "post", lambda *args, **kwargs: posts.append(args))
    TicketFactory()
    assert list(deliver_pending().values()) == ["pending"]
    assert posts == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "hooks.example.com resolves to 127.0.0.1, a loopback address" in attempt.error
    hook.refresh_from_db()
    assert hook.failing_since is not None


def test_a_checked_address_is_the_one_connected_to(dns, receiver, super_admin) -> None:
    """With private targets allowed (tests), a name is still resolved once and its checked
    address connected to, the name going in the Host header."""
    dns["receiver.test"] = ["127.0.0.1"]
    webhook_endpoint_create(
        actor=super_admin,
        url=f"http://receiver.test:{receiver.port}/in",
        events=["ticket.created"],
        now=utc(OPENED),
    )
    TicketFactory()
    assert list(deliver_pending().values()) == ["delivered"]
    [request] = receiver.received
    assert request.headers["Host"] == f"receiver.test:{receiver.port}"


def test_the_periodic_job_queues_lost_and_due_deliveries_again(
    receiver, endpoint, freeze, monkeypatch
) -> None:
    from tickets.sweep import sla_sweep_and_notify

    endpoint(events=["ticket.created"])
    now = freeze(OPENED)
    queued: list[tuple] = []
    monkeypatch.setattr(services, "task_queue", lambda *args: queued.append(args))
    TicketFactory(now=now)  # its task was queued on commit (here: never committed, so lost)
    delivery = WebhookDelivery.objects.get()
    assert sla_sweep_and_notify(now=now)["webhooks_requeued"] == 0  # just queued
    two_minutes = now + datetime.timedelta(minutes=2)
    assert sla_sweep_and_notify(now=two_minutes)["webhooks_requeued"] == 1
    assert queued == [(services.SEND_TASK, delivery.pk)]
    assert sla_sweep_and_notify(now=two_minutes)["webhooks_requeued"] == 0  # once per loss

    receiver.answer((500, "no"))
    assert list(deliver_pending(two_minutes).values()) == ["pending"]  # retry at +1 min
    retry_at = two_minutes + datetime.timedelta(minutes=1)
    assert services.webhooks_requeue(now=retry_at - datetime.timedelta(seconds=1)) == 0
    assert services.webhooks_requeue(now=retry_at) == 1  # the retry is due

    # A worker that died mid-send: after ten minutes the delivery is pending again.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="sending", claimed_at=retry_at)
    assert services.webhooks_requeue(now=retry_at + datetime.timedelta(minutes=9)) == 0
    assert services.webhooks_requeue(now=retry_at + datetime.timedelta(minutes=10)) == 1
    delivery.refresh_from_db()
    assert delivery.state == "pending"


def test_an_event_for_many_endpoints_costs_the_change_one_message_to_the_broker(
    receiver, endpoint, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    first, second = endpoint(events=["ticket.created"]), endpoint(events=["ticket.created"])
    queued: list[tuple] = []
    monkeypatch.setattr(services, "task_queue", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        TicketFactory()
    ids = sorted(WebhookDelivery.objects.values_list("id", flat=True))
    assert len(ids) == 2 and queued == [(services.FAN_OUT_TASK, ids)]
    # The fan-out task (on a worker) queues each delivery's own send task.
    queued.clear()
    assert services.webhooks_fan_out(delivery_ids=ids) == 2
    assert queued == [(services.SEND_TASK, ids[0]), (services.SEND_TASK, ids[1])]
    assert set(deliver_pending().values()) == {"delivered"}
    assert sorted(r.path for r in receiver.received) == ["/hooks", "/hooks"]
    assert {first.pk, second.pk} == set(WebhookDelivery.objects.values_list("endpoint", flat=True))
