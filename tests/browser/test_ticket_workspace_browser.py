"""The ticket page as agents work it, in a real Chromium, with a second agent at the same time
(a second browser context, or the ticket API over HTTP with that agent's token): issue 16.

- A stale page saves only what its agent changed and shows what the other agent did.
- A customer message posted through the API appears on the open page without a reload, and a
  reply being written is not disturbed.
- The reply draft survives Save changes, Close and a reload; leaving with it asks first.
- "Send and close" completes each clock once, the response clock by "reply", the close clock by
  "close".
- Each agent sees the other viewing, then replying.
"""

from __future__ import annotations

import datetime
import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from settings_app.models import SlaSettingsChange, Stage, Team
from settings_app.services import sla_settings_save
from tests.conftest import PASSWORD
from tickets.api_auth.models import ApiToken
from tickets.models import SlaClock, SlaEvent, Ticket
from tickets.services import ticket_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
User = get_user_model()
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


@pytest.fixture(autouse=True)
def _workspace(settings, db) -> None:
    settings.TICKET_LIVE_SECONDS = 0.5
    settings.TICKET_PRESENCE_SECONDS = 3
    sla_settings_save(
        document=DOCUMENT, actor=None, via=SlaSettingsChange.Via.COMMAND, apply_to="new"
    )


@pytest.fixture
def lee(db) -> Any:
    return User.objects.create_user("lee", "lee@example.com", PASSWORD, is_staff=True)


@pytest.fixture
def ticket(db) -> Ticket:
    return ticket_create(
        subject="Printer on fire",
        body="It is on fire.",
        requester_email="ana@acme.com",
        priority="medium",
        now=timezone.now() - datetime.timedelta(minutes=20),
    )


class Api:
    """The ticket API over HTTP, as a channel or a script acting as one agent (their token)."""

    def __init__(self, base_url: str, user: Any) -> None:
        self.base_url = base_url
        self.key = ApiToken.objects.create(user=user, key=ApiToken.generate_key()).key

    def call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Token {self.key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status in (200, 201)
            return json.loads(response.read())


def sign_in(page: Any, user: Any, ticket: Ticket) -> None:
    page.goto(f"/accounts/login/?next=/tickets/{ticket.pk}/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))


@pytest.fixture
def second_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """Another agent's browser (its own context: its own session and storage)."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    other = context.new_page()
    errors: list[str] = []
    other.on("pageerror", lambda error: errors.append(str(error)))
    yield other
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def test_a_stale_page_keeps_the_other_agents_changes_and_shows_them(
    page: Any, live_server: Any, agent: Any, lee: Any, ticket: Ticket
) -> None:
    Team.objects.create(name="IT", slug="it")
    api = Api(live_server.url, lee)
    sign_in(page, agent, ticket)
    page.select_option("#id_stage", label="Waiting on us")  # the agent's one edit

    api.call(
        "PATCH", f"/api/tickets/{ticket.pk}/", {"priority": "urgent", "owner": "lee", "team": "it"}
    )

    notice = page.locator("#ticket-notice")
    notice.get_by_text("Priority Medium → Urgent").wait_for()
    assert "lee through the API" in notice.inner_text()
    assert notice.locator("[data-if-dirty]").is_visible()  # "your edits are kept"
    # The poll did not replace the form the agent is editing.
    assert page.locator("#id_stage option:checked").inner_text() == "Waiting on us"
    assert page.locator("#id_priority").input_value() == "medium"

    with page.expect_navigation():  # the save answers with the page again
        page.get_by_role("button", name="Save changes").click()
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.owner, ticket.team.slug, ticket.stage.slug) == (
        "urgent",
        lee,
        "it",
        "waiting-on-us",
    )
    alert = page.locator(".alert-warning").first
    assert "lee through the API changed" in alert.inner_text()
    assert "Nothing of theirs was overwritten." in alert.inner_text()
    assert page.locator("#id_priority").input_value() == "urgent"
    assert page.locator("#ticket-history").get_by_text("Priority Medium → Urgent").count() == 1


def test_a_clean_form_follows_the_other_agents_changes(
    page: Any, live_server: Any, agent: Any, lee: Any, ticket: Ticket
) -> None:
    api = Api(live_server.url, lee)
    sign_in(page, agent, ticket)
    api.call("PATCH", f"/api/tickets/{ticket.pk}/", {"priority": "high"})
    page.locator("#ticket-badges").get_by_text("High priority").wait_for()
    page.locator("#id_priority option[value=high][selected]").wait_for(state="attached")
    assert page.locator("#id_priority").input_value() == "high"


def test_a_customer_message_appears_without_a_reload_and_leaves_the_reply_alone(
    page: Any, live_server: Any, agent: Any, lee: Any, ticket: Ticket
) -> None:
    api = Api(live_server.url, lee)
    sign_in(page, agent, ticket)
    page.evaluate("window.__sameDocument = true")
    reply = page.locator("textarea[name=body]")
    reply.click()
    reply.type("Half-written answer")

    api.call(
        "POST",
        f"/api/tickets/{ticket.pk}/messages/",
        {"body": "Now the scanner is smoking too.", "author": "customer"},
    )

    page.locator("#conversation").get_by_text("Now the scanner is smoking too.").wait_for()
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert page.locator("#conversation [data-message]").count() == 2
    assert page.locator("#conversation .message-new").count() == 1
    assert reply.input_value() == "Half-written answer"
    assert page.evaluate("document.activeElement.name") == "body"


def test_the_draft_survives_save_close_and_a_reload(page: Any, agent: Any, ticket: Ticket) -> None:
    sign_in(page, agent, ticket)
    page.fill("textarea[name=body]", "Dear Ana,\nthe printer")
    page.locator("label[for=id_visibility_1]").click()  # internal note

    page.select_option("#id_priority", "high")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Updated priority.").wait_for()
    # The new page's flash shows while it is parsed, before its script puts the draft back.
    expect(page.locator("textarea[name=body]")).to_have_value("Dear Ana,\nthe printer")
    assert page.locator("#id_visibility_1").is_checked()

    page.get_by_role("button", name="Close ticket").click()
    page.get_by_text("Ticket closed.").wait_for()
    expect(page.locator("textarea[name=body]")).to_have_value("Dear Ana,\nthe printer")

    page.reload()
    assert page.locator("textarea[name=body]").input_value() == "Dear Ana,\nthe printer"
    assert page.locator("#draft-status").is_visible()

    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("Internal note added.").wait_for()
    assert page.locator("textarea[name=body]").input_value() == ""
    page.reload()
    assert page.locator("textarea[name=body]").input_value() == ""


def test_leaving_with_unsent_text_asks_first(page: Any, agent: Any, ticket: Ticket) -> None:
    sign_in(page, agent, ticket)
    page.fill("textarea[name=body]", "Unsent words")
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator(".breadcrumb a", has_text="Queue").click()
    page.wait_for_timeout(300)
    assert asked and "unsent reply" in asked[0]
    assert re.search(rf"/tickets/{ticket.pk}/$", page.url)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".breadcrumb a", has_text="Queue").click()
    page.wait_for_url(re.compile(r"/tickets/$"))


def test_send_and_close_completes_each_clock_once(page: Any, agent: Any, ticket: Ticket) -> None:
    sign_in(page, agent, ticket)
    page.fill("textarea[name=body]", "Replaced the toner; closing.")
    page.get_by_role("button", name="Send and close").click()
    page.get_by_text("Reply sent. The ticket is closed.").wait_for()

    ticket.refresh_from_db()
    assert ticket.is_closed
    clocks = {clock.kind: clock for clock in SlaClock.objects.filter(ticket=ticket)}
    assert clocks["first_response"].completed_by == "reply"
    assert clocks["close"].completed_by == "close"
    assert clocks["first_response"].completed_at == clocks["close"].completed_at
    completed = list(
        SlaEvent.objects.filter(ticket=ticket, kind__startswith="completed").values_list(
            "clock_kind", "detail__completed_by"
        )
    )
    assert sorted(completed) == [("close", "close"), ("first_response", "reply")]
    assert page.locator("textarea[name=body]").input_value() == ""


def test_each_agent_sees_the_other_viewing_then_replying(
    page: Any, second_page: Any, agent: Any, lee: Any, ticket: Ticket
) -> None:
    sign_in(page, agent, ticket)
    sign_in(second_page, lee, ticket)
    page.locator("#ticket-presence").get_by_text("lee is viewing").wait_for()
    second_page.locator("#ticket-presence").get_by_text("agent is viewing").wait_for()

    second_page.fill("textarea[name=body]", "I'll take this one")
    page.locator("#ticket-presence").get_by_text("lee is replying").wait_for()

    second_page.goto("/tickets/")
    page.locator("#ticket-presence [data-presence]").wait_for(state="detached")
    assert Stage.objects.exists()
