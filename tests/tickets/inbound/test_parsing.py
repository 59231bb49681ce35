"""Reading raw emails (tickets/inbound/parsing.py, pure): the corpus's shapes as the parser sees
them, and the rules for identities, quoted text, forwards, machine mail and bounces."""

from __future__ import annotations

import pytest

from tests.tickets.inbound.conftest import corpus
from tickets.inbound.parsing import (
    UnreadableEmail,
    content_identity,
    cut_quoted,
    email_parse,
    html_to_text,
    ticket_number_in_subject,
)


def test_gmail_reply_keeps_only_the_new_text_and_names_our_reply():
    parsed = email_parse(corpus("gmail_reply"))
    assert parsed.body == "Thanks, unplugging it worked. The smoke is gone.\n\nAna"
    assert "Please unplug the printer" in parsed.text  # the whole text is still there
    assert parsed.thread_ids[0] == "<reply-1@helpdesk.example.com>"
    assert (parsed.from_name, parsed.from_email) == ("Ana Ferreira", "ana.ferreira@gmail.com")
    assert parsed.identity == "<CAF3k9xW2pQe8Z+reply@mail.gmail.com>"
    assert parsed.automatic == "" and parsed.bounce is None


def test_outlook_reply_in_swedish_is_cut_at_its_header_block_and_keeps_its_cc():
    parsed = email_parse(corpus("outlook_reply"))
    assert parsed.body == (
        "Hej,\n\nSkrivaren i förrådet brinner också. Jag har kopierat Cy som sitter där.\n\n"
        "Med vänliga hälsningar\nBo Berg"
    )
    assert parsed.cc == ("cy@corp.com",)
    assert parsed.language == "sv"
    assert parsed.from_name == "Berg, Bo"


def test_html_only_mail_becomes_text_without_scripts_styles_or_remote_images():
    parsed = email_parse(corpus("html_only"))
    assert "I returned order 4471 on 20 November" in parsed.body
    assert "shows it delivered" in parsed.body and "* Amount: 1 299 kr" in parsed.body
    for leftover in ("document.cookie", "font-family", "tracker.example", "<", "onload"):
        assert leftover not in parsed.body


def test_charsets_and_encoded_words_are_decoded():
    latin = email_parse(corpus("iso_8859_1"))
    assert "Skrivaren på våning två är trasig. Åtgärda snarast" in latin.body
    encoded = email_parse(corpus("encoded_word_subject"))
    assert encoded.subject == "Drucker brennt 🔥 ärgerlich"
    assert encoded.from_name == "Jörg Müller"
    assert encoded.body.startswith("Der Drucker im Erdgeschoss brennt.")


def test_an_unknown_charset_label_still_gives_the_text():
    assert email_parse(corpus("unknown_charset")).body == "Printing fails with error 0x80070005."


def test_attachments_are_found_with_safe_names_and_the_body_is_not_one_of_them():
    parsed = email_parse(corpus("attachments"))
    assert parsed.body == "The invoice is attached; the screenshot shows the error."
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("screenshot.png", "image/png"),
        ("räkning december.pdf", "application/pdf"),
        ("invoice.html", "text/html"),  # "../../invoice.html": no folders
    ]
    assert parsed.attachments[1].content.startswith(b"%PDF-1.4")


def test_a_forwarded_message_is_kept_whole_inline_or_attached():
    inline = email_parse(corpus("forwarded"))
    assert inline.body.startswith("Could you help Cy with this?")
    assert "I cannot sign in to the portal since this morning." in inline.body
    attached = email_parse(corpus("forwarded_as_attachment"))
    assert attached.body == "Forwarding Cy's mail as an attachment."
    [eml] = attached.attachments
    assert (eml.filename, eml.content_type) == ("Password reset.eml", "message/rfc822")
    assert b"I cannot sign in to the portal" in eml.content


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("auto_reply", "Auto-Submitted: auto-replied"),
        ("auto_reply_unmatched", "Auto-Submitted: auto-generated"),
        ("bulk_newsletter", "Precedence: bulk"),
    ],
)
def test_machine_mail_is_recognised(name, why):
    assert email_parse(corpus(name)).automatic == why


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ("X-Autoreply: yes\n", "X-Autoreply header"),
        ("X-Autorespond: vacation\n", "X-Autorespond header"),
        ("Precedence: list\n", "Precedence: list"),
        ("Precedence: auto_reply\n", "Precedence: auto_reply"),
        ("Return-Path: <>\n", "null return path (a mail system's message)"),
        ("Auto-Submitted: no\n", ""),
        ("Precedence: first-class\n", ""),
    ],
)
def test_machine_mail_headers(headers, why):
    raw = f"From: a@example.com\n{headers}Subject: x\n\nHello".encode()
    assert email_parse(raw).automatic == why


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.com"])
def test_mail_systems_are_machines(sender):
    raw = f"From: {sender}\nSubject: Warning: delayed\n\nStill trying.".encode()
    assert email_parse(raw).automatic == f"sent by {sender}"


def test_a_bounce_names_our_email_and_the_receiving_servers_reason():
    parsed = email_parse(corpus("bounce_of_our_reply"))
    assert parsed.bounce is not None
    assert parsed.bounce.original_ids == ("<reply-1@helpdesk.example.com>",)
    assert parsed.bounce.reason == (
        "550 5.1.1 <nobody@shop.se>: Recipient address rejected: User unknown in local "
        "recipient table"
    )
    assert parsed.attachments == ()


def test_a_plain_text_bounce_with_the_original_quoted_is_a_bounce_too():
    raw = (
        b"From: MAILER-DAEMON@old.example\nSubject: failure notice\n\n"
        b"Sorry, I couldn't deliver your message.\n<x@old.example>:\n"
        b"550 5.7.1 mailbox disabled\n\n--- Below this line is a copy of the message.\n\n"
        b"Message-ID: <ours-7@helpdesk.example.com>\nSubject: [#7] Hi\n"
    )
    bounce = email_parse(raw).bounce
    assert bounce is not None
    assert bounce.original_ids == ("<ours-7@helpdesk.example.com>",)
    assert bounce.reason == "550 5.7.1 mailbox disabled"


def test_no_message_id_gets_a_stable_content_identity_that_ignores_trace_headers():
    raw = corpus("no_message_id")
    parsed = email_parse(raw)
    assert not parsed.has_message_id
    assert parsed.identity == content_identity(raw)
    assert parsed.identity.startswith("<sha256-") and parsed.identity.endswith(".invalid>")
    relayed = b"Received: from relay2.example by mx.example; Tue, 1 Dec 2026\r\n" + raw.replace(
        b"\n", b"\r\n"
    )
    assert content_identity(relayed) == parsed.identity
    changed = raw.replace(b"every second page", b"every third page")
    assert content_identity(changed) != parsed.identity


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("broken_mime", "Broken MIME structure: a multipart message without a boundary"),
        ("no_from", "The message has no From address: there is nobody to answer."),
    ],
)
def test_unreadable_messages_say_why(name, reason):
    with pytest.raises(UnreadableEmail) as caught:
        email_parse(corpus(name))
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "raw",
    [b"", b"   \r\n", b"From: nobody\n\nno address", b"From: <@>\n\nx", b"\xff\xfe\x00garbage"],
)
def test_nonsense_is_unreadable_not_an_error(raw):
    with pytest.raises(UnreadableEmail):
        email_parse(raw)


def test_8bit_headers_and_nul_characters_become_storable_text():
    raw = "From: Åsa <asa@example.se>\nSubject: Hjälp\x00!\n\nText\x00 här".encode()
    parsed = email_parse(raw)
    assert (parsed.from_name, parsed.subject, parsed.body) == ("Åsa", "Hjälp!", "Text här")
    latin = "From: asa@example.se\nSubject: Hjälp\n\nx".encode("latin-1")
    assert email_parse(latin).subject == "Hjälp"


def test_quoted_text_is_cut_at_our_reply_marker_and_original_indentation_is_kept():
    text = (
        "Yes, Tuesday works.\n    (indented on purpose)\n\n"
        "On Tue, 1 Dec 2026 at 11:20, Help Desk <help@example.com> wrote:\n"
        "> ##- Please type your reply above this line -##\n> Would Tuesday suit you?\n"
    )
    assert cut_quoted(text) == "Yes, Tuesday works.\n    (indented on purpose)"
    assert cut_quoted("> only a quote\n> of our mail") == "> only a quote\n> of our mail"


def test_html_to_text_drops_active_content():
    text = html_to_text('<p>Hi <a href="javascript:alert(1)">x</a></p><script>evil()</script>')
    assert "evil" not in text and "javascript" not in text and text.startswith("Hi")


@pytest.mark.parametrize(
    ("subject", "number"),
    [("Re: [#123] Printer", 123), ("SV: [#7]", 7), ("[# 5] no", None), ("#12 no", None)],
)
def test_ticket_number_in_subject(subject, number):
    assert ticket_number_in_subject(subject) == number
