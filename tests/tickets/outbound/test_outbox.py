"""The outbox's life cycle without a mail server: queued on commit (never on rollback), one task
per email, re-queued when a task is lost or a worker dies, sent once however often it is queued;
the messages API and the ticket page show each reply's delivery."""

from __future__ import annotations

import datetime
import logging
import threading
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from tests.factories import AgentFactory, TicketFactory
from tests.tickets.outbound.mailserver import deliver_queued
from tickets.models import Message
from tickets.outbound.models import OutboundEmail
from tickets.outbound.services import (
    REQUEUE_AFTER,
    STALE_SENDING,
    outbound_email_deliver,
    outbound_emails_requeue,
)
from tickets.outbound.tasks import outbound_email_send_task
from tickets.services import ticket_create, ticket_message_add

pytestmark = pytest.mark.usefixtures("stockholm", "help_desk")
OPENED = "2026-03-03T10:00:00Z"


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """The ids the code puts on the Celery queue (``outbound_email_send_task.delay``)."""
    ids: list[int] = []
    monkeypatch.setattr(outbound_email_send_task, "delay", ids.append)
    return ids


def test_an_email_is_queued_only_when_the_change_commits(
    queued, agent, freeze, django_capture_on_commit_callbacks
):
    now = freeze(OPENED)
    ticket = ticket_create(
        subject="Hi", body="Hi", requester_email="c@customer.example", now=now, acknowledge=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_message_add(
            ticket_id=ticket.pk, body="Answer", author_kind="agent", author=agent, now=now
        )
        email = OutboundEmail.objects.get(ticket_message=message)
        assert email.state == "queued" and queued == []  # not before the commit
    assert queued == [email.pk]

    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_message_add(
            ticket_id=ticket.pk, body="Rolled back", author_kind="agent", author=agent, now=now
        )
        raise RuntimeError("the view failed after the service")
    assert not OutboundEmail.objects.filter(body_text__contains="Rolled back").exists()
    assert queued == [email.pk]


def test_internal_notes_and_automatic_messages_are_never_emailed(agent, freeze):
    now = freeze(OPENED)
    ticket = TicketFactory(now=now, acknowledge=False)
    ticket_message_add(
        ticket_id=ticket.pk,
        body="Note",
        author_kind="agent",
        author=agent,
        now=now,
        is_internal=True,
    )
    ticket_message_add(ticket_id=ticket.pk, body="Auto", author_kind="system", now=now)
    assert not OutboundEmail.objects.exists()


def test_the_acknowledgement_follows_the_switch_and_the_caller(freeze, help_desk):
    from tickets.outbound.services import email_settings_save

    now = freeze(OPENED)
    TicketFactory(now=now)
    TicketFactory(now=now, acknowledge=False)  # e.g. an auto-reply that opened a ticket
    assert OutboundEmail.objects.filter(kind="acknowledgement").count() == 1
    email_settings_save(
        actor=None,
        now=now,
        from_name="Acme Support",
        from_address="support@acme.example",
        reply_to_address="",
        acknowledge_new_tickets=False,
    )
    TicketFactory(now=now)
    assert OutboundEmail.objects.filter(kind="acknowledgement").count() == 1


def test_a_broker_that_is_down_is_logged_and_the_sweep_queues_the_email_later(
    monkeypatch, freeze, caplog, django_capture_on_commit_callbacks
):
    now = freeze(OPENED)

    def broker_down(email_id: int) -> None:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(outbound_email_send_task, "delay", broker_down)
    with (
        caplog.at_level(logging.ERROR, logger="tickets.outbound.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = TicketFactory(now=now)  # the change itself commits
    email = OutboundEmail.objects.get(ticket=ticket)
    assert email.state == "queued"
    assert any(f"Could not queue email {email.pk}" in r.getMessage() for r in caplog.records)

    ids: list[int] = []
    monkeypatch.setattr(outbound_email_send_task, "delay", ids.append)
    assert outbound_emails_requeue(now=now + datetime.timedelta(minutes=1)) == 0  # its task may
    assert outbound_emails_requeue(now=now + REQUEUE_AFTER) == 1  # …still come; now it is lost
    assert ids == [email.pk]
    assert outbound_emails_requeue(now=now + REQUEUE_AFTER) == 0  # queued once a period


def test_an_email_whose_worker_died_mid_send_is_queued_again(queued, freeze):
    now = freeze(OPENED)
    email = OutboundEmail.objects.get(ticket=TicketFactory(now=now))
    OutboundEmail.objects.filter(pk=email.pk).update(state="sending", claimed_at=now, attempts=1)
    assert outbound_emails_requeue(now=now + STALE_SENDING - datetime.timedelta(seconds=1)) == 0
    assert outbound_emails_requeue(now=now + STALE_SENDING) == 1
    email.refresh_from_db()
    assert email.state == "queued" and queued == [email.pk]
    assert "worker stopped" in email.detail
    assert outbound_email_deliver(email_id=email.pk, now=now + STALE_SENDING) == "sent"
    assert len(mail.outbox) == 1


def test_a_task_delivered_twice_sends_once(freeze):
    now = freeze(OPENED)
    email = OutboundEmail.objects.get(ticket=TicketFactory(now=now))
    assert outbound_email_deliver(email_id=email.pk, now=now) == "sent"
    assert outbound_email_deliver(email_id=email.pk, now=now) is None
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_the_same_emails_send_each_once(freeze) -> None:
    now = freeze(OPENED)
    for n in range(20):
        TicketFactory(now=now, requester_email=f"c{n}@customer.example")
    ids = list(OutboundEmail.objects.values_list("id", flat=True))
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for email_id in ids:
                outbound_email_deliver(email_id=email_id, now=now)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"c{n}@customer.example" for n in range(20)
    )
    assert set(OutboundEmail.objects.values_list("state", flat=True)) == {"sent"}


def test_the_eml_backend_writes_one_file_per_email(settings, tmp_path: Path, freeze):
    settings.EMAIL_BACKEND = "tickets.outbound.backends.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    now = freeze(OPENED)
    TicketFactory(now=now, requester_email="ana@customer.example")
    TicketFactory(now=now, requester_email="bo@customer.example")
    deliver_queued()
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    assert not list((tmp_path / "mail").glob(".*"))  # no half-written file left
    import email as email_lib
    import email.policy

    parsed = email_lib.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["To"] in ("ana@customer.example", "bo@customer.example")
    assert parsed.get_body(preferencelist=("html",)) is not None


def test_eml_url_configures_the_file_backend(monkeypatch) -> None:
    import importlib

    import slaproject.settings as project_settings

    monkeypatch.setenv("EMAIL_URL", "eml:///tmp/helpdesk-mail")
    reloaded = importlib.reload(project_settings)
    try:
        assert reloaded.EMAIL_BACKEND == "tickets.outbound.backends.EmlFileBackend"
        assert reloaded.EMAIL_FILE_PATH == "/tmp/helpdesk-mail"
        assert reloaded.EMAIL_TIMEOUT == 20
    finally:
        monkeypatch.delenv("EMAIL_URL")
        importlib.reload(project_settings)


# --- Delivery in the API and on the ticket page ------------------------------------------------


def test_the_messages_api_lists_oldest_first_with_each_replys_delivery(api, agent, freeze):
    now = freeze(OPENED)
    ticket_id = api.create(subject="Hi", body="First", requester_email="ana@customer.example")["id"]
    Message.objects.filter(ticket_id=ticket_id).update(sender_email="")
    freeze("2026-03-03T10:01:00Z")
    api.message(ticket_id, author="agent", body="Note", internal=True)
    freeze("2026-03-03T10:02:00Z")
    api.message(ticket_id, author="agent", body="Answer")
    freeze("2026-03-03T10:03:00Z")
    api.message(ticket_id, author="customer", body="Thanks")
    Message.objects.filter(body="Thanks").update(sender_email="bo@customer.example")

    body = api.get(f"/api/tickets/{ticket_id}/messages/").json()
    assert body["count"] == 4 and body["next"] is None and body["previous"] is None
    first, note, answer, thanks = body["results"]
    assert first == {
        "id": first["id"],
        "author": "customer",
        "internal": False,
        "body": "First",
        "created_at": "2026-03-03T10:00:00Z",
        "sender_email": "ana@customer.example",
        "delivery": None,
    }
    assert note["internal"] is True and note["delivery"] is None and note["sender_email"] is None
    assert answer["author"] == "agent"
    assert answer["delivery"] == {"state": "queued", "detail": "", "at": "2026-03-03T10:02:00Z"}
    assert thanks["sender_email"] == "bo@customer.example" and thanks["delivery"] is None

    deliver_queued(now=now + datetime.timedelta(minutes=5))
    answer = api.get(f"/api/tickets/{ticket_id}/messages/").json()["results"][2]
    assert answer["delivery"] == {"state": "sent", "detail": "", "at": "2026-03-03T10:05:00Z"}

    paged = api.get(f"/api/tickets/{ticket_id}/messages/", {"page_size": 3, "page": 2}).json()
    assert [m["body"] for m in paged["results"]] == ["Thanks"]
    assert paged["previous"].endswith("page=1") and paged["next"] is None


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"page": "0"}, 400, "page"),  # SPEC section 7: 0 is malformed, not a page past the end
        ({"page": "x"}, 400, "page"),
        ({"page": "9"}, 404, "page"),
        ({"page_size": "many"}, 400, "page_size"),
    ],
)
def test_the_messages_api_refuses_bad_paging(api, freeze, params, status, field):
    freeze(OPENED)
    ticket_id = api.create()["id"]
    response = api.get(f"/api/tickets/{ticket_id}/messages/", params)
    assert response.status_code == status
    assert field in response.json()["errors"]


def test_the_messages_api_of_an_unknown_ticket_is_a_json_404(api, client, db):
    response = api.get("/api/tickets/999/messages/")
    assert response.status_code == 404 and "errors" in response.json()
    assert client.get("/api/tickets/999/messages/").status_code == 401


def test_the_messages_api_runs_the_same_queries_for_2_or_40_messages(
    api, agent, freeze, django_assert_max_num_queries, django_assert_num_queries
):
    now = freeze(OPENED)

    def ticket_with(replies: int) -> int:
        ticket = TicketFactory(now=now)
        for n in range(replies):
            ticket_message_add(
                ticket_id=ticket.pk, body=f"R{n}", author_kind="agent", author=agent, now=now
            )
        return ticket.pk

    small, large = ticket_with(1), ticket_with(39)
    api.get(f"/api/tickets/{small}/messages/")  # the token's first use is recorded once
    counts = []
    for ticket_id in (small, large):
        with django_assert_max_num_queries(20) as captured:
            assert (
                api.get(f"/api/tickets/{ticket_id}/messages/", {"page_size": 100}).status_code
                == 200
            )
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_ticket_page_shows_each_replys_delivery_and_the_acknowledgement(
    agent_client, agent, freeze, smtp
):
    now = freeze(OPENED)
    ticket = TicketFactory(now=now, requester_email="ana@customer.example")
    for body in ("Sent fine", "Will bounce"):
        ticket_message_add(
            ticket_id=ticket.pk, body=body, author_kind="agent", author=agent, now=now
        )
    smtp.refuse("ana@customer.example")
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert page.count('data-delivery="queued"') == 3  # the acknowledgement and both replies
    smtp.handler.refuse.clear()
    deliver_queued(kinds=("acknowledgement",))
    first_reply = OutboundEmail.objects.filter(kind="reply").order_by("id").first()
    outbound_email_deliver(email_id=first_reply.pk, now=now)
    smtp.refuse("ana@customer.example")
    deliver_queued()
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert page.count('data-delivery="sent"') == 2
    assert page.count('data-delivery="failed"') == 1
    assert "550 5.1.1 No such mailbox here" in page
    assert "Acknowledgement:" in page


def test_an_owner_assigned_at_creation_by_a_channel_is_told(freeze):
    now = freeze(OPENED)
    owner = AgentFactory(email="lee@acme.example")
    ticket_create(subject="Hi", body="Hi", requester_email="c@x.example", now=now, owner=owner)
    assert OutboundEmail.objects.filter(kind="assigned", to=["lee@acme.example"]).exists()


def test_delivery_at_is_timezone_aware(freeze) -> None:
    now = freeze(OPENED)
    email = OutboundEmail.objects.get(ticket=TicketFactory(now=now))
    assert email.state_at == now and timezone.is_aware(email.state_at)


def test_demo_data_records_its_emails_as_sent_and_queues_none(
    queued, agent, django_capture_on_commit_callbacks
):
    from tickets.demo import demo_tickets_seed

    with django_capture_on_commit_callbacks(execute=True):
        assert demo_tickets_seed(count=12, now=timezone.now()) == 12
        TicketFactory()  # outside the demo: queued as usual
    states = OutboundEmail.objects.values_list("state", flat=True)
    assert len(queued) == 1 and states.filter(state="queued").count() == 1
    assert states.filter(state="sent").count() >= 12


def test_a_long_conversations_references_keep_its_first_and_latest_ids(agent, freeze):
    now = freeze(OPENED)
    ticket = TicketFactory(now=now)
    Message.objects.filter(ticket=ticket).update(message_id="<m0@customer.example>")
    for n in range(1, 30):
        ticket_message_add(ticket_id=ticket.pk, body=f"M{n}", author_kind="customer", now=now)
        Message.objects.filter(body=f"M{n}").update(message_id=f"<m{n}@customer.example>")
    message = ticket_message_add(
        ticket_id=ticket.pk, body="Answer", author_kind="agent", author=agent, now=now
    )
    email = OutboundEmail.objects.get(ticket_message=message)
    references = email.references.split()
    assert len(references) == 20
    assert references[0] == "<m0@customer.example>"
    assert references[1:] == [f"<m{n}@customer.example>" for n in range(11, 30)]
    assert email.in_reply_to == "<m29@customer.example>"
    assert email.body_text.count(" wrote on ") == 5  # the last five messages are quoted


def test_support_staff_send_failed_emails_again_from_the_admin(
    queued, freeze, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Permission
    from django.test import Client

    now = freeze(OPENED)
    failed, sent = (OutboundEmail.objects.get(ticket=TicketFactory(now=now)) for _ in range(2))
    OutboundEmail.objects.filter(pk=failed.pk).update(
        state="failed", attempts=8, failed_at=now, detail="Gave up after 8 attempts."
    )
    OutboundEmail.objects.filter(pk=sent.pk).update(state="sent", sent_at=now)
    support = AgentFactory(username="support")
    support.user_permissions.add(Permission.objects.get(codename="view_outboundemail"))
    client = Client()
    client.force_login(support)
    data = {"action": "send_again", "_selected_action": [failed.pk, sent.pk]}
    client.post("/admin/outbound/outboundemail/", data)  # may only look: nothing happens
    assert OutboundEmail.objects.get(pk=failed.pk).state == "failed"

    support.user_permissions.add(Permission.objects.get(codename="change_outboundemail"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/outbound/outboundemail/", data, follow=True)
    assert "1 email queued again." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.detail) == ("queued", 0, "")
    assert queued == [failed.pk]
    assert OutboundEmail.objects.get(pk=sent.pk).state == "sent"  # only failed ones
    assert outbound_email_deliver(email_id=failed.pk, now=now) == "sent"
