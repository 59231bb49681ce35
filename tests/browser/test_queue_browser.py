"""The queue and a ticket in a real Chromium: sign in, filter Overdue, open a ticket, reply.

Uses the browser fixtures of ``tests/browser/conftest.py`` (Playwright's sync API on the system's
Chromium against the live server; skipped only when no Chromium is installed; a JavaScript error
on the page fails the test). Screenshots go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from settings_app.models import SlaSettingsChange
from settings_app.services import sla_settings_save
from tests.conftest import PASSWORD
from tickets.models import Ticket
from tickets.services import ticket_create

DOCUMENT: dict[str, Any] = {
    "applies": "always",
    "timezone": "Europe/Stockholm",
    "working_hours": {},
    "holidays": [],
    "pause_statuses": ["support/waiting-on-customer"],
    "goals_enabled": True,
    "scope": "all",
    "property": None,
    "goals": [
        {
            "value": None,
            "enabled": True,
            "first_response_minutes": 60,
            "first_response_due_soon_minutes": 15,
            "next_response_minutes": 240,
            "next_response_due_soon_minutes": 30,
            "close_minutes": 2880,
            "close_due_soon_minutes": 240,
        }
    ],
}


def open_ticket(subject: str, *, minutes_ago: int, requester: str) -> Ticket:
    return ticket_create(
        subject=subject,
        body="It is on fire.\nPlease hurry.",
        requester_email=requester,
        priority="urgent",
        now=timezone.now() - datetime.timedelta(minutes=minutes_ago),
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agent_filters_overdue_and_replies(
    browser: Any, page: Any, live_server: Any, artifacts: Path, agent: Any
) -> None:
    sla_settings_save(
        document=DOCUMENT, actor=None, via=SlaSettingsChange.Via.COMMAND, apply_to="new"
    )
    late = open_ticket("Printer on fire", minutes_ago=95, requester="ana@acme.com")
    fresh = open_ticket("Refund for order 4471", minutes_ago=5, requester="bo@shop.se")

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("/accounts/login/?next=/tickets/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/tickets/$"))
    rows = page.locator("#queue-rows tr[data-ticket]")
    assert rows.count() == 2
    assert page.evaluate("typeof window.htmx") == "object"  # the badges' auto-refresh is wired
    assert page.locator("#queue-rows").get_attribute("hx-trigger") == "every 60s"

    page.select_option("#id_sla_status", "overdue")  # applies at once, no button needed
    page.wait_for_url(re.compile(r"sla_status=overdue"))
    assert rows.count() == 1
    row = rows.first
    assert row.get_attribute("data-ticket") == str(late.pk)
    first_reply = row.locator('td[data-clock="first_response"]')
    assert "Overdue" in first_reply.inner_text()
    assert re.search(r"overdue by 3\d min", first_reply.inner_text())
    assert page.get_by_text("Refund for order 4471").count() == 0
    assert fresh.pk != late.pk
    page.screenshot(path=str(artifacts / "queue.png"), full_page=True)

    row.get_by_role("link", name="Printer on fire").click()
    page.wait_for_url(re.compile(rf"/tickets/{late.pk}/$"))
    panel = page.locator('.sla-clock[data-clock="first_response"]')
    assert "Overdue" in panel.inner_text()
    assert page.get_by_label("Public reply").is_checked()
    page.fill("#id_body", "We are on our way with an extinguisher.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(rf"/tickets/{late.pk}/$"))
    assert page.get_by_text("Reply sent.").is_visible()
    assert "Completed late" in panel.inner_text()
    assert "by reply" in panel.inner_text()
    timeline = page.locator(".timeline").last.inner_text()
    assert "First reply completed late (by reply)" in timeline
    assert page.get_by_text("We are on our way with an extinguisher.").is_visible()
    page.screenshot(path=str(artifacts / "ticket.png"), full_page=True)

    # The same queue on a phone: the filter bar folds away, secondary columns move under the
    # subject.
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    try:
        phone.add_cookies(page.context.cookies())
        small = phone.new_page()
        small.goto("/tickets/")
        assert small.locator("#id_sla_status").is_hidden()
        small.get_by_role("button", name="Filters").click()
        small.locator("#queue-filter-panel.collapse.show").wait_for()  # unfolded, not moving
        assert small.locator("#queue-rows tr[data-ticket]").count() == 2
        small.screenshot(path=str(artifacts / "queue-phone.png"))
    finally:
        phone.close()
