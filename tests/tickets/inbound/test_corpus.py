"""The corpus of message shapes (tests/tickets/inbound/corpus/), each with its expected outcome,
taken in as a mail server's pipe hands it over, on a help desk where Ana's ticket has our reply
``OUR_REPLY_ID`` (see ``thread`` in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import override_settings

from tests.tickets.inbound.conftest import REQUESTER, Thread, corpus, ingest
from tickets.inbound.models import Attachment, InboundEmail, RejectedEmail
from tickets.models import Message, Ticket
from tickets.outbound.models import OutboundEmail


@dataclass(frozen=True)
class Expected:
    outcome: str
    body: str | None = None  # the new message's body, exactly
    contains: tuple[str, ...] = ()  # … or parts of it
    on_thread: bool = False  # the message went to Ana's ticket (else a new ticket, if any)
    author: str = "customer"
    sender: str = ""  # shown as the message's sender (not the requester)
    subject: str = ""  # of the new ticket
    requester: tuple[str, str] = ("", "")  # (name, address) of the new ticket
    attachments: tuple[str, ...] = ()
    reason: str = ""  # why it was ignored / rejected / bounced (a part of it)


CORPUS_OUTCOMES: dict[str, Expected] = {
    "gmail_reply": Expected(
        "message_added",
        body="Thanks, unplugging it worked. The smoke is gone.\n\nAna",
        on_thread=True,
    ),
    "outlook_reply": Expected(
        "message_added",
        body=(
            "Hej,\n\nSkrivaren i förrådet brinner också. Jag har kopierat Cy som sitter där.\n\n"
            "Med vänliga hälsningar\nBo Berg"
        ),
        on_thread=True,
        sender="Bo.Berg@shop.se",
    ),
    "html_only": Expected(
        "ticket_created",
        contains=("I returned order 4471 on 20 November", "* Amount: 1 299 kr"),
        subject="Refund for order 4471",
        requester=("Shop Orders", "orders@shop.example"),
    ),
    "iso_8859_1": Expected(
        "ticket_created",
        body="Hej!\n\nSkrivaren på våning två är trasig. Åtgärda snarast, tack.\n\nÅsa Öberg",
        subject="Skrivaren",
        requester=("", "asa@example.se"),
    ),
    "encoded_word_subject": Expected(
        "ticket_created",
        body="Der Drucker im Erdgeschoss brennt. Bitte schnell helfen.\n\nGrüße,\nJörg",
        subject="Drucker brennt 🔥 ärgerlich",
        requester=("Jörg Müller", "joerg@example.de"),
    ),
    "attachments": Expected(
        "ticket_created",
        body="The invoice is attached; the screenshot shows the error.",
        subject="Invoice and screenshot",
        requester=("Bo Berg", "bo@shop.se"),
        attachments=("screenshot.png", "räkning december.pdf", "invoice.html"),
    ),
    "forwarded": Expected(
        "ticket_created",
        contains=("Could you help Cy", "I cannot sign in to the portal since this morning."),
        subject="Fwd: Password reset",
        requester=("Dana Lind", "dana@corp.com"),
    ),
    "forwarded_as_attachment": Expected(
        "ticket_created",
        body="Forwarding Cy's mail as an attachment.",
        subject="FW: Password reset",
        requester=("Dana Lind", "dana@corp.com"),
        attachments=("Password reset.eml",),
    ),
    "unknown_charset": Expected(
        "ticket_created",
        body="Printing fails with error 0x80070005.",
        subject="Cannot print",
        requester=("Far Away", "far@away.example"),
    ),
    "no_message_id": Expected(
        "ticket_created",
        body="The scanner in hall B jams on every second page.",
        subject="Scanner jams",
        requester=("Old Mailer", "legacy@factory.example"),
    ),
    # Machine mail: never a ticket, never an acknowledgement; on a ticket, an automatic message.
    "auto_reply": Expected(
        "automatic",
        body="I am away until 7 December with no access to email.",
        on_thread=True,
        author="system",
        sender=REQUESTER,
        reason="Auto-Submitted: auto-replied",
    ),
    "auto_reply_unmatched": Expected("ignored", reason="Auto-Submitted: auto-generated"),
    "bulk_newsletter": Expected("ignored", reason="Precedence: bulk"),
    "bounce_of_our_reply": Expected("bounce", reason="User unknown in local recipient table"),
    # Kept unread, with the reason, for support staff.
    "broken_mime": Expected("rejected", reason="a multipart message without a boundary"),
    "no_from": Expected("rejected", reason="no From address"),
}


def test_every_corpus_file_has_an_expected_outcome():
    from tests.tickets.inbound.conftest import CORPUS

    assert sorted(p.stem for p in CORPUS.glob("*.eml")) == sorted(CORPUS_OUTCOMES)


@pytest.mark.parametrize("name", sorted(CORPUS_OUTCOMES))
def test_corpus_message_outcome(name: str, thread: Thread):
    expected = CORPUS_OUTCOMES[name]
    raw = corpus(name)
    tickets_before = set(Ticket.objects.values_list("pk", flat=True))
    messages_before = Message.objects.count()
    emails_before = set(OutboundEmail.objects.values_list("pk", flat=True))

    result = ingest(raw)

    assert result.outcome == expected.outcome, result
    assert expected.reason in result.detail
    new_tickets = Ticket.objects.exclude(pk__in=tickets_before)
    new_emails = OutboundEmail.objects.exclude(pk__in=emails_before)
    if expected.outcome in ("message_added", "automatic", "ticket_created"):
        message = Message.objects.get(pk=result.message_id)
        assert message.author_kind == expected.author
        if expected.body is not None:
            assert message.body == expected.body
        for part in expected.contains:
            assert part in message.body
        assert message.sender_email == expected.sender
        assert [a.filename for a in Attachment.objects.filter(message=message)] == list(
            expected.attachments
        )
        assert bytes(InboundEmail.objects.get(message=message).raw) == raw  # the original
        if expected.on_thread:
            assert message.ticket_id == thread.ticket.pk and not new_tickets.exists()
        else:
            [ticket] = new_tickets
            assert message.ticket_id == ticket.pk and ticket.source == "email"
            assert ticket.subject == expected.subject
            assert (ticket.requester_name, ticket.requester_email) == expected.requester
            # A person's new ticket is acknowledged, threaded under their email.
            [ack] = new_emails.filter(ticket=ticket)
            assert ack.kind == "acknowledgement" and ack.to == [expected.requester[1]]
    else:
        assert not new_tickets.exists() and Message.objects.count() == messages_before
    if expected.outcome in ("automatic", "ignored", "bounce", "rejected"):
        assert not new_emails.exists()  # no acknowledgement, no notice: no mail loops
    if expected.outcome == "rejected":
        kept = RejectedEmail.objects.get()
        assert bytes(kept.raw) == raw and expected.reason in kept.reason
        assert not kept.is_truncated and kept.size == len(raw)
    else:
        assert not RejectedEmail.objects.exists()
    if expected.outcome == "bounce":
        email = OutboundEmail.objects.get(message_id=thread.reply.message_id)
        assert email.state == "failed" and expected.reason in email.detail
        assert result.ticket_id == thread.ticket.pk


@pytest.mark.parametrize("name", sorted(CORPUS_OUTCOMES))
def test_each_corpus_message_taken_twice_is_taken_once(name: str, thread: Thread):
    first = ingest(corpus(name))
    counts = (Ticket.objects.count(), Message.objects.count(), OutboundEmail.objects.count())
    second = ingest(corpus(name))
    assert second.outcome == ("rejected" if first.outcome == "rejected" else "duplicate")
    assert (Ticket.objects.count(), Message.objects.count(), OutboundEmail.objects.count()) == (
        counts
    )
    assert InboundEmail.objects.count() + RejectedEmail.objects.count() == 2  # thread's + this


@override_settings(INBOUND_EMAIL_MAX_BYTES=1024)
def test_a_kept_message_shows_its_encoded_sender_and_subject_as_text_in_the_admin(db, admin_client):
    raw = corpus("encoded_word_subject") + b"x" * 2048
    assert ingest(raw).outcome == "too_large"
    kept = RejectedEmail.objects.get()
    assert kept.from_header == "Jörg Müller <joerg@example.de>"
    assert kept.subject_header == "Drucker brennt 🔥 ärgerlich"
    listing = admin_client.get("/admin/inbound/rejectedemail/").content.decode()
    assert "Drucker brennt 🔥 ärgerlich" in listing and "=?UTF-8?" not in listing


@override_settings(INBOUND_EMAIL_MAX_BYTES=64 * 1024)
def test_an_oversized_message_generated_here_is_refused_and_kept_up_to_the_limit(thread):
    big = corpus("attachments").replace(
        b"--outer-boundary-1--",
        b"--outer-boundary-1\nContent-Type: application/octet-stream\n"
        b'Content-Disposition: attachment; filename="video.bin"\n'
        b"Content-Transfer-Encoding: base64\n\n" + b"QUFB" * 50_000 + b"\n--outer-boundary-1--",
    )
    assert len(big) > 64 * 1024
    result = ingest(big)
    assert result.outcome == "too_large"
    assert result.detail == (
        "The message is 197 kB; the help desk accepts messages up to 64 kB (attachments "
        "included). Send large files as a link."
    )
    kept = RejectedEmail.objects.get()
    assert kept.kind == "too_large" and kept.is_truncated and kept.size == len(big)
    assert bytes(kept.raw) == big[: 64 * 1024]
    assert kept.from_header == "Bo Berg <bo@shop.se>"
    assert kept.subject_header == "Invoice and screenshot"
    assert Ticket.objects.count() == 1  # only Ana's
