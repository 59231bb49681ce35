"""Content-Security-Policy in a real Chromium: every page type, as the person who uses it, runs
without one violation of the policy (issue "Security, second round").

Chromium reports each blocked inline script, style attribute or injected <style> as a console
error naming the Content Security Policy; the test collects those while it opens the pages and
uses what runs on them (htmx swaps, Bootstrap's dialogs), and requires none.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone

from settings_app.models import SlaSettingsChange
from settings_app.services import sla_settings_save
from tests.conftest import PASSWORD
from tests.factories import sla_document
from tickets.models import SlaRecompute
from tickets.services import ticket_close, ticket_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOALS: dict[str, Any] = {
    "applies": "working_hours",
    "timezone": "Europe/Stockholm",
    "working_hours": {day: [["08:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "goals_enabled": True,
    "goals": [
        {
            "value": None,
            "enabled": True,
            "first_response_minutes": 60,
            "first_response_due_soon_minutes": 15,
            "close_minutes": 2880,
        }
    ],
}


def _violations(page: Any) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    return found


def _sign_in(page: Any, username: str, *, path: str = "/accounts/login/") -> None:
    page.goto(path)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()
    page.wait_for_load_state()


def _visit(page: Any, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    assert response.headers.get("content-security-policy"), path
    page.wait_for_load_state("networkidle")


def test_no_page_breaks_the_content_security_policy(page: Any, super_admin: Any) -> None:
    sla_settings_save(document=sla_document(GOALS), actor=None, via=SlaSettingsChange.Via.COMMAND)
    now = timezone.now()
    ticket = ticket_create(
        subject="Printer on fire",
        body="It is on fire.",
        requester_email="ana@example.com",
        priority="urgent",
        now=now - datetime.timedelta(hours=3),
    )
    done = ticket_create(
        subject="Refund", body="Please.", requester_email="bo@example.com", now=now
    )
    ticket_close(ticket_id=done.pk, now=now)
    recompute = SlaRecompute.objects.create(settings_version=1, tickets=10, done=4)
    violations = _violations(page)

    # Customers and visitors.
    _visit(page, "/request/")
    _visit(page, "/accounts/login/")
    _visit(page, "/admin/login/")

    _sign_in(page, super_admin.username)
    _visit(page, "/tickets/")
    page.evaluate("htmx.ajax('GET', '/tickets/rows/', '#queue-rows')")  # the badges' refresh
    page.wait_for_load_state("networkidle")
    _visit(page, f"/tickets/{ticket.pk}/")
    _visit(page, "/tickets/profile/")
    _visit(page, "/reports/sla/")
    _visit(page, "/settings/sla/")
    page.locator("#edit-hours-button").click()
    page.wait_for_timeout(400)  # the dialog's fade-in
    _visit(page, f"/settings/sla/recomputes/{recompute.pk}/")
    _visit(page, "/settings/sla/audit/")
    _visit(page, "/settings/email/")
    for path in (
        "/admin/",
        "/admin/tickets/ticket/",
        f"/admin/tickets/ticket/{ticket.pk}/change/",
        "/admin/apiauth/apitoken/add/",
        f"/admin/auth/user/{super_admin.pk}/change/",
        "/admin/settings_app/slasettings/1/change/",
        "/admin/settings_app/pipeline/add/",
        "/admin/outbound/outboundemail/",
    ):
        _visit(page, path)
    assert re.search(r"/admin/", page.url)
    assert violations == [], "\n".join(violations)
