"""The ingestion rules (SPEC §8 "In"): threading, who wrote, copied people, clocks at the moment we
received the mail, machine mail, loops, and nothing twice."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from settings_app.models import Stage
from tests.tickets.inbound.conftest import OUR_REPLY_ID, REQUESTER, Thread, email_bytes, ingest, utc
from tickets.inbound.models import InboundEmail, RejectedEmail
from tickets.inbound.services import email_ingest
from tickets.models import Message, SlaClock, Ticket
from tickets.outbound.models import OutboundEmail
from tickets.services import ticket_close, ticket_update

# The customer's mail client dates its mail a day early: no clock may use it.
WRONG_DATE = "Mon, 30 Nov 2026 08:00:00 +0000"


def answer(**overrides) -> bytes:
    """Ana answering our reply from her mail client."""
    fields = {
        "subject": "Re: [#1] Printer on fire",
        "body": "Unplugged. Still smoking.\n\nOn Tue, Help Desk wrote:\n> Please unplug it.",
        "message_id": "<answer-1@mail.gmail.com>",
        "date": WRONG_DATE,
        "In_Reply_To": OUR_REPLY_ID,
        "References": f"<first-1@mail.gmail.com> {OUR_REPLY_ID}",
    }
    fields.update(overrides)
    return email_bytes(**fields)


def clock(ticket: Ticket, kind: str, cycle: int = 1) -> SlaClock:
    return SlaClock.objects.get(ticket=ticket, kind=kind, cycle=cycle)


# --- Threading ---------------------------------------------------------------------------------


def test_a_new_mail_opens_a_ticket_with_the_requester_from_its_from_header(thread: Thread):
    ticket = thread.ticket
    assert (ticket.requester_name, ticket.requester_email) == ("Ana Ferreira", REQUESTER)
    assert (ticket.subject, ticket.source) == ("Printer on fire", "email")
    assert thread.first.message_id == "<first-1@mail.gmail.com>"
    assert thread.first.body == "It is on fire." and thread.first.author_kind == "customer"


def test_an_answer_to_our_reply_continues_its_ticket_by_in_reply_to(thread, freeze):
    freeze("2026-12-01T10:00:00Z")
    result = ingest(answer())
    assert (result.outcome, result.ticket_id) == ("message_added", thread.ticket.pk)
    message = Message.objects.get(pk=result.message_id)
    assert message.body == "Unplugged. Still smoking."
    assert message.created_at == utc("2026-12-01T10:00:00Z")  # received, not its Date


def test_references_alone_find_the_ticket_and_so_does_an_answer_to_the_acknowledgement(
    thread, freeze
):
    freeze("2026-12-01T10:00:00Z")
    by_references = answer(In_Reply_To="<unknown@elsewhere.example>")
    assert ingest(by_references).ticket_id == thread.ticket.pk
    ack = OutboundEmail.objects.get(ticket=thread.ticket, kind="acknowledgement")
    to_ack = answer(message_id="<answer-2@mail.gmail.com>", In_Reply_To=ack.message_id)
    del_refs = to_ack.replace(f"References: <first-1@mail.gmail.com> {OUR_REPLY_ID}".encode(), b"")
    assert ingest(del_refs).ticket_id == thread.ticket.pk


def test_the_ticket_number_in_the_subject_threads_only_mail_from_the_requester(thread, freeze):
    freeze("2026-12-01T10:00:00Z")
    number = thread.ticket.pk
    mine = email_bytes(subject=f"Re: [#{number}] Printer", message_id="<n1@mail.gmail.com>")
    assert ingest(mine).ticket_id == number
    stranger = email_bytes(
        sender="Mallory <mallory@evil.example>",
        subject=f"Re: [#{number}] Printer",
        message_id="<n2@evil.example>",
    )
    result = ingest(stranger)
    assert result.outcome == "ticket_created" and result.ticket_id != number
    shouting = email_bytes(
        sender="ANA.FERREIRA@GMAIL.COM", subject=f"[#{number}]", message_id="<n3@mail.gmail.com>"
    )
    assert ingest(shouting).ticket_id == number  # addresses compare without case


def test_a_subject_number_of_a_ticket_that_does_not_exist_opens_a_ticket(thread):
    result = ingest(email_bytes(subject="Re: [#999] Old ticket", message_id="<old@gmail.com>"))
    assert result.outcome == "ticket_created" and result.ticket_id != 999


def test_a_reply_to_the_customers_own_earlier_mail_threads_for_participants_only(thread):
    follow_up = email_bytes(
        subject="Forgot the photo",
        message_id="<follow-up@mail.gmail.com>",
        In_Reply_To="<first-1@mail.gmail.com>",
    )
    assert ingest(follow_up).ticket_id == thread.ticket.pk
    # Someone who learnt the customer's Message-ID (guessable, unlike ours) cannot join in.
    intruder = email_bytes(
        sender="mallory@evil.example",
        message_id="<intruder@evil.example>",
        In_Reply_To="<first-1@mail.gmail.com>",
    )
    assert ingest(intruder).ticket_id != thread.ticket.pk


def test_an_answer_from_someone_else_is_a_customer_message_with_its_sender_and_cc_kept(
    thread, freeze
):
    freeze("2026-12-01T10:00:00Z")
    colleague = answer(
        sender="Bo Berg <bo@acme.example>",
        message_id="<bo-1@acme.example>",
        Cc=f"Cy <cy@acme.example>, {REQUESTER}, Help Desk <support@helpdesk.example.com>",
        Delivered_To="support@helpdesk.example.com",
    )
    result = ingest(colleague)
    assert result.ticket_id == thread.ticket.pk
    message = Message.objects.get(pk=result.message_id)
    assert (message.author_kind, message.sender_email) == ("customer", "bo@acme.example")
    # Copied from now on: the one who wrote and the one in Cc; never the requester or us.
    assert thread.refresh().cc_emails == ["bo@acme.example", "cy@acme.example"]


def test_the_next_public_reply_is_copied_to_the_people_kept_on_the_ticket(thread, agent):
    from django.utils import timezone

    from tickets.services import ticket_message_add

    ingest(answer(message_id="<cc-1@mail.gmail.com>", Cc="Cy <cy@acme.example>"))
    reply = ticket_message_add(
        ticket_id=thread.ticket.pk,
        body="Cy, can you check it?",
        author_kind="agent",
        author=agent,
        now=timezone.now(),
    )
    email = OutboundEmail.objects.get(message_id=reply.message_id)
    assert (email.to, email.cc) == ([REQUESTER], ["cy@acme.example"])


def test_a_new_ticket_by_mail_keeps_its_cc_and_the_customers_language(db, sla_settings):
    raw = email_bytes(
        message_id="<sv-1@example.se>",
        Cc="Chefen <boss@example.se>",
        Content_Language="sv-SE",
    )
    result = ingest(raw)
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert (ticket.cc_emails, ticket.requester_language) == (["boss@example.se"], "sv")
    ack = OutboundEmail.objects.get(ticket=ticket, kind="acknowledgement")
    assert ack.cc == ["boss@example.se"] and ack.in_reply_to == "<sv-1@example.se>"


# --- Clocks (SPEC §3) --------------------------------------------------------------------------


def test_a_customer_answer_starts_a_next_response_cycle_when_we_received_it(thread, freeze):
    first = clock(thread.ticket, "first_response")
    assert first.completed_at == utc("2026-12-01T09:20:00Z")
    received = freeze("2026-12-01T10:00:00Z")
    ingest(answer())
    cycle = clock(thread.ticket, "next_response")
    assert cycle.started_at == received  # not the sender's Date (a day early)
    assert cycle.due_at == utc("2026-12-01T12:00:00Z") and cycle.completed_at is None
    # A second mail before our answer does not restart it.
    freeze("2026-12-01T10:30:00Z")
    ingest(answer(message_id="<answer-2@mail.gmail.com>", body="Now it is out."))
    assert SlaClock.objects.filter(ticket=thread.ticket, kind="next_response").count() == 1
    assert clock(thread.ticket, "next_response").started_at == received


def test_a_customer_answer_reopens_a_closed_ticket(thread, freeze):
    freeze("2026-12-01T10:00:00Z")
    ticket_close(ticket_id=thread.ticket.pk, now=utc("2026-12-01T10:00:00Z"))
    assert thread.refresh().closed_at is not None
    received = freeze("2026-12-01T11:00:00Z")
    result = ingest(answer())
    assert result.outcome == "message_added"
    ticket = thread.refresh()
    assert ticket.closed_at is None and ticket.stage.slug == "new"
    close = clock(ticket, "close")
    assert close.completed_at is None  # resumed, the hour closed excluded
    assert close.due_at == utc("2026-12-02T10:00:00Z")
    assert clock(ticket, "next_response").started_at == received


def test_a_customer_answer_moves_a_ticket_out_of_a_pause_stage(thread, freeze):
    waiting = Stage.objects.get(pipeline__slug="support", slug="waiting-on-customer")
    ticket_update(ticket_id=thread.ticket.pk, stage=waiting, now=utc("2026-12-01T09:30:00Z"))
    assert thread.refresh().paused_since is not None
    freeze("2026-12-01T10:30:00Z")
    ingest(answer())
    ticket = thread.refresh()
    assert ticket.paused_since is None and ticket.stage.slug == "new"
    assert clock(ticket, "close").due_at == utc("2026-12-02T10:00:00Z")  # one hour paused


def test_an_auto_reply_on_a_closed_ticket_neither_reopens_it_nor_starts_a_clock(thread, freeze):
    from tests.tickets.inbound.conftest import corpus

    ticket_close(ticket_id=thread.ticket.pk, now=utc("2026-12-01T10:00:00Z"))
    freeze("2026-12-01T11:00:00Z")
    assert ingest(corpus("auto_reply")).outcome == "automatic"
    ticket = thread.refresh()
    assert ticket.closed_at is not None
    assert not SlaClock.objects.filter(ticket=ticket, kind="next_response").exists()


# --- Machine mail and loops --------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"X_Autoreply": "yes"},
        {"Precedence": "bulk"},
        {"Precedence": "list"},
        {"Precedence": "auto_reply"},
    ],
)
def test_machine_mail_never_opens_a_ticket(db, sla_settings, headers):
    result = ingest(email_bytes(message_id="<machine@example.com>", **headers))
    assert result.outcome == "ignored"
    assert not Ticket.objects.exists() and not OutboundEmail.objects.exists()
    assert InboundEmail.objects.get().outcome == "ignored"  # kept, with why


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.com"])
def test_mail_from_mail_systems_never_opens_a_ticket(db, sla_settings, sender):
    result = ingest(email_bytes(sender=sender, message_id="<daemon@example.com>"))
    assert result.outcome in ("ignored", "bounce") and not Ticket.objects.exists()


def test_mail_from_our_own_address_is_a_loop_and_opens_nothing(db, settings):
    settings.DEFAULT_FROM_EMAIL = "Help Desk <support@helpdesk.example.com>"
    raw = email_bytes(sender="support@helpdesk.example.com", message_id="<loop@example.com>")
    result = ingest(raw)
    assert result.outcome == "ignored" and "loop" in result.detail
    assert not Ticket.objects.exists()


def test_our_own_email_coming_back_is_already_known(thread):
    ours = email_bytes(sender="support@helpdesk.example.com", message_id=OUR_REPLY_ID)
    assert ingest(ours).outcome == "duplicate"


def test_a_sender_asking_for_no_automatic_answers_gets_a_ticket_but_no_acknowledgement(
    db, sla_settings
):
    raw = email_bytes(message_id="<system@example.com>", X_Auto_Response_Suppress="All")
    result = ingest(raw)
    assert result.outcome == "ticket_created"
    assert not OutboundEmail.objects.filter(kind="acknowledgement").exists()


# --- Nothing lost, nothing twice ---------------------------------------------------------------


def test_the_same_message_through_every_entry_point_makes_one_message(thread, freeze):
    raw = answer()
    assert ingest(raw, via="pipe").outcome == "message_added"
    assert ingest(raw, via="webhook").outcome == "duplicate"
    assert ingest(raw.replace(b"\r\n", b"\n"), via="imap").outcome == "duplicate"
    assert len(thread.messages()) == 3


def test_a_message_without_message_id_is_known_by_its_content(db, sla_settings):
    raw = email_bytes(message_id=None)
    first = ingest(raw)
    relayed = b"Received: from relay.example by mx.example; Tue, 1 Dec 2026\r\n" + raw
    assert ingest(relayed).outcome == "duplicate"
    message = Message.objects.get(pk=first.message_id)
    assert message.message_id.startswith("<sha256-")
    assert Ticket.objects.count() == 1


def test_a_message_that_trips_an_error_is_kept_and_does_not_block_the_next(
    db, sla_settings, monkeypatch
):
    import tickets.inbound.services

    def broken(*args, **kwargs):
        raise ValueError("a bug in ticket creation")

    monkeypatch.setattr(tickets.inbound.services, "ticket_create", broken)
    result = ingest(email_bytes(message_id="<bug@example.com>"))
    assert result.outcome == "rejected" and "a bug in ticket creation" in result.detail
    assert not InboundEmail.objects.exists() and not Ticket.objects.exists()  # rolled back
    kept = RejectedEmail.objects.get()
    assert kept.kind == "unreadable" and b"<bug@example.com>" in bytes(kept.raw)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_message_arriving_twice_at_once_makes_one_message(sla_settings):
    from django.utils import timezone

    raw = email_bytes(message_id="<race@example.com>")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def take() -> None:
        barrier.wait()
        try:
            outcomes.append(email_ingest(raw=raw, via="imap", now=timezone.now()).outcome)
        finally:
            connection.close()

    workers = [threading.Thread(target=take) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(outcomes) == ["duplicate", "ticket_created"]
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1
