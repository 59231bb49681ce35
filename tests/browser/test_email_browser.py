"""Email out in a real Chromium, as ``./dev run`` has it: each email written as an ``.eml`` file by
its own Celery task after the commit (Celery runs tasks inline here), read back as a mail client
would; the delivery state on the ticket page; the customer's email itself rendered in Chromium.

A customer opens a ticket on the request form (acknowledgement), a super admin assigns it to an
agent (the agent's notice) and answers it (the reply), and the customer answers through a mail
channel (the owner's notice). ``GUIDE_SCREENSHOTS=1`` saves the email's picture for the guide.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from settings_app.models import SlaSettingsChange
from settings_app.services import sla_settings_save
from slaproject.celery import app
from tests.conftest import PASSWORD
from tests.factories import AgentFactory, ApiTokenFactory, sla_document
from tickets.models import Message, Ticket
from tickets.outbound.services import email_settings_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
IMAGES = (
    ROOT / "docs" / "images"
    if os.environ.get("GUIDE_SCREENSHOTS") == "1"
    else ROOT / "test-artifacts" / "guide"
)
MAX_BYTES = 300 * 1024


@pytest.fixture
def mailbox(settings, tmp_path: Path) -> Iterator[Path]:
    """Emails go to ``.eml`` files, sent by their tasks inline (as a worker would, at once)."""
    settings.EMAIL_BACKEND = "tickets.outbound.backends.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SITE_URL = "http://127.0.0.1:8765"
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield tmp_path / "mail"
    app.conf.task_always_eager = saved


def read_mail(folder: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for path in sorted(folder.glob("*.eml"))
    ]


def text_of(message: Any) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_of(message: Any) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_a_customer_gets_an_acknowledgement_and_the_reply_and_agents_their_notices(
    page: Any, live_server: Any, mailbox: Path
) -> None:
    sla_settings_save(
        document=sla_document(timezone="Europe/Stockholm"),
        actor=None,
        via=SlaSettingsChange.Via.COMMAND,
    )
    email_settings_save(
        actor=None,
        now=timezone.now(),
        from_name="Acme Support",
        from_address="support@acme.example",
        reply_to_address="",
        acknowledge_new_tickets=True,
    )
    AgentFactory(username="boss", email="boss@acme.example", is_superuser=True, first_name="Kim")
    lee = AgentFactory(username="lee", email="lee@acme.example")

    # The customer writes through the request form.
    page.goto("/request/")
    page.get_by_label("Your email").fill("ana@customer.example")
    page.get_by_label("Subject").fill("Printer offline")
    page.get_by_label("How can we help?").fill("It shows error 42 since this morning.")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(re.compile(r"/request/thanks/"))
    ticket = Ticket.objects.get()
    (acknowledgement,) = read_mail(mailbox)
    assert acknowledgement["To"] == "ana@customer.example"
    assert acknowledgement["Subject"] == f"[#{ticket.pk}] Printer offline"
    assert f"We received your request #{ticket.pk}" in text_of(acknowledgement)

    # A super admin signs in, gives the ticket to Lee and answers the customer.
    page.goto(f"/accounts/login/?next=/tickets/{ticket.pk}/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    first = page.locator("article.message").first
    assert first.locator('[data-delivery="sent"]').is_visible()  # the acknowledgement went out
    page.locator('select[name="owner"]').select_option(label="lee")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    assigned = read_mail(mailbox)[-1]
    assert assigned["To"] == "lee@acme.example"
    assert assigned["Subject"] == f"[Assigned to you] #{ticket.pk} Printer offline"
    assert "Kim assigned this ticket to you." in text_of(assigned)
    assert f"http://127.0.0.1:8765/tickets/{ticket.pk}/" in text_of(assigned)

    page.locator('textarea[name="body"]').fill("Please switch it off and on again.\nThen tell us.")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    reply = read_mail(mailbox)[-1]
    assert reply["To"] == "ana@customer.example"
    assert reply["Subject"] == f"[#{ticket.pk}] Printer offline"
    assert reply["Message-ID"] == Message.objects.get(author_kind="agent").message_id
    assert reply["In-Reply-To"] == acknowledgement["Message-ID"]
    assert "Please switch it off and on again.\nThen tell us." in text_of(reply)
    # The ticket page shows the reply's delivery next to it.
    answer = page.locator("article.message-agent").last
    answer.locator('[data-delivery="sent"]').wait_for()
    assert "Sent" in answer.locator(".delivery").inner_text()

    # The email settings page, for the guide.
    page.goto("/settings/email/")
    assert page.get_by_label("Acknowledge new tickets").is_checked()
    page.set_viewport_size({"width": 1280, "height": 800})
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "settings-email.png"))
    assert (IMAGES / "settings-email.png").stat().st_size < MAX_BYTES

    # The customer answers through a mail channel (the API): Lee, the owner, hears of it.
    channel = Client(headers={"Authorization": f"Token {ApiTokenFactory(user=lee).key}"})
    response = channel.post(
        f"/api/tickets/{ticket.pk}/messages/",
        {"body": "Done, it works again. Thanks!", "author": "customer"},
        content_type="application/json",
    )
    assert response.status_code == 201
    replied = read_mail(mailbox)[-1]
    assert replied["To"] == "lee@acme.example"
    assert replied["Subject"] == f"[Customer replied] #{ticket.pk} Printer offline"
    assert "Done, it works again. Thanks!" in text_of(replied)
    assert len(read_mail(mailbox)) == 4

    # What the customer sees: the reply's HTML part in a browser (a blank page: not under the
    # app's Content-Security-Policy, as in a mail client), nothing loaded from anywhere.
    viewer = page.context.new_page()
    requests: list[str] = []
    viewer.on("request", lambda request: requests.append(request.url))
    viewer.set_viewport_size({"width": 720, "height": 640})
    viewer.set_content(html_of(reply))
    assert viewer.get_by_text("Please switch it off and on again.").is_visible()
    assert viewer.get_by_text("It shows error 42 since this morning.").is_visible()
    card = viewer.locator("table[role=presentation] table[role=presentation]").first
    assert card.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
    assert requests == []
    IMAGES.mkdir(parents=True, exist_ok=True)
    picture = IMAGES / "email-reply.png"
    viewer.screenshot(path=str(picture), full_page=True)
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert picture.stat().st_size < MAX_BYTES
