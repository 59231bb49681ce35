"""A ticket opened by email, in a real Chromium: the attachments download (never open in the
page), the original email opens as plain text, and a colleague's answer shows who wrote it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.tickets.inbound.conftest import corpus
from tickets.inbound.services import email_ingest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agent_downloads_attachments_and_reads_the_original(
    browser: Any, page: Any, live_server: Any, artifacts: Path, agent: Any
) -> None:
    result = email_ingest(raw=corpus("attachments"), via="pipe", now=timezone.now())
    ticket_id = result.ticket_id
    page.goto(f"/accounts/login/?next=/tickets/{ticket_id}/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket_id}/$"))
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

    with page.context.expect_page() as original_info:
        page.get_by_role("link", name="View original").click()
    original = original_info.value
    original.wait_for_load_state()
    text = original.locator("body").inner_text()
    assert text.startswith("From: Bo Berg <bo@shop.se>")
    assert "Content-Type: multipart/mixed" in text
    original.close()
