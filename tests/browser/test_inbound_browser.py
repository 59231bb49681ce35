"""A ticket opened by email, in a real Chromium: the attachments download (never open in the
page; served with ``Content-Disposition: attachment``, ``nosniff`` and a sandbox), the original
email opens as plain text, and a customer's answer shows only their new words, the quoted earlier
mail cut off but kept in the original."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.tickets.inbound.conftest import OUR_REPLY_ID, corpus, email_bytes
from tickets.inbound.services import email_ingest
from tickets.models import Message
from tickets.outbound.models import OutboundEmail
from tickets.services import ticket_message_add


def sign_in_to(page: Any, agent: Any, ticket_id: int) -> None:
    page.goto(f"/accounts/login/?next=/tickets/{ticket_id}/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket_id}/$"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agent_downloads_attachments_and_reads_the_original(
    browser: Any, page: Any, live_server: Any, artifacts: Path, agent: Any
) -> None:
    result = email_ingest(raw=corpus("attachments"), via="pipe", now=timezone.now())
    ticket_id = result.ticket_id
    sign_in_to(page, agent, ticket_id)
    assert page.get_by_text("Bo Berg <bo@shop.se>").is_visible()
    attachments = page.get_by_role("list", name="Attachments")
    assert attachments.get_by_role("link").count() == 3
    page.screenshot(path=str(artifacts / "ticket-email.png"), full_page=True)

    # An HTML attachment with a script in it is downloaded, never shown as a page of ours.
    with page.expect_download() as download_info:
        attachments.get_by_role("link", name=re.compile("invoice.html")).click()
    download = download_info.value
    assert download.suggested_filename == "invoice.html"
    assert b"<script>" in Path(download.path()).read_bytes()
    with page.expect_download() as download_info:
        attachments.get_by_role("link", name=re.compile("räkning")).click()
    assert download_info.value.suggested_filename == "räkning december.pdf"
    assert page.url.endswith(f"/tickets/{ticket_id}/")  # still on the ticket
    # What the browser is told about each download (the page's own session fetches it).
    for link in attachments.get_by_role("link").all():
        answer = page.request.get(link.get_attribute("href"))
        assert answer.status == 200
        assert answer.headers["content-disposition"].startswith("attachment; filename")
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in answer.headers["content-security-policy"]

    with page.context.expect_page() as original_info:
        page.get_by_role("link", name="View original").click()
    original = original_info.value
    original.wait_for_load_state()
    text = original.locator("body").inner_text()
    assert text.startswith("From: Bo Berg <bo@shop.se>")
    assert "Content-Type: multipart/mixed" in text
    original.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_email_reply_shows_only_the_new_words_and_the_original_keeps_the_quote(
    page: Any, live_server: Any, agent: Any
) -> None:
    opened = email_ingest(raw=email_bytes(), via="pipe", now=timezone.now())
    reply = ticket_message_add(
        ticket_id=opened.ticket_id,
        body="Please unplug the printer and keep the door closed.",
        author_kind=Message.Author.AGENT,
        author=agent,
        now=timezone.now(),
    )
    # The customer's mail client answers our reply (as tests/tickets/inbound/corpus has it).
    OutboundEmail.objects.filter(message_id=reply.message_id).update(message_id=OUR_REPLY_ID)
    Message.objects.filter(pk=reply.pk).update(message_id=OUR_REPLY_ID)
    answer = email_ingest(raw=corpus("gmail_reply"), via="pipe", now=timezone.now())
    assert answer.outcome == "message_added" and answer.ticket_id == opened.ticket_id

    sign_in_to(page, agent, opened.ticket_id)
    messages = page.locator("#conversation article.message")
    assert messages.count() == 3
    latest = messages.nth(2)
    body = latest.locator(".message-body").inner_text()
    assert body == "Thanks, unplugging it worked. The smoke is gone.\n\nAna"
    # The quoted earlier mail is cut: our reply's words are on the page once, in our reply.
    conversation = page.locator("#conversation").inner_text()
    assert conversation.count("Please unplug the printer and keep the door closed.") == 1
    assert "wrote:" not in conversation and "> " not in conversation
    # … and kept whole in the original, which opens as text, never as a page of ours.
    with page.context.expect_page() as original_info:
        latest.get_by_role("link", name="View original").click()
    original = original_info.value
    original.wait_for_load_state()
    text = original.locator("body").inner_text()
    assert "Subject: Re: [#1] Printer on fire" in text
    assert "> Please unplug the printer and keep the door closed." in text
    assert original.evaluate("() => document.contentType") == "text/plain"
    original.close()
    download = page.request.get(
        latest.get_by_role("link", name="Download .eml").get_attribute("href")
    )
    assert download.headers["content-type"] == "message/rfc822"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.body() == corpus("gmail_reply")
