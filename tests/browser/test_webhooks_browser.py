"""The webhooks page in a real Chromium: a super admin adds an endpoint pointing at a real local
receiver, copies the secret shown once, sends a test event (Celery runs it inline here, as a
worker would at once) and sees its delivery, then reads the delivery log; also at phone width."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from slaproject.celery import app
from tests.conftest import PASSWORD
from tests.tickets.webhooks.receiver import Receiver
from tickets.webhooks.models import WebhookEndpoint
from tickets.webhooks.services import webhook_endpoint_create
from tickets.webhooks.signing import signature_verify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
# The guide's picture: refreshed in docs/images/ with GUIDE_SCREENSHOTS=1 (as the other guide
# screenshots), else saved beside the test artifacts.
IMAGES = (
    ROOT / "docs" / "images"
    if os.environ.get("GUIDE_SCREENSHOTS") == "1"
    else ROOT / "test-artifacts" / "guide"
)


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    server = Receiver().start()
    yield server
    server.stop()
    app.conf.task_always_eager = saved


def test_a_super_admin_adds_an_endpoint_and_sends_a_test_event(
    page: Any, receiver: Receiver, artifacts: Path
) -> None:
    get_user_model().objects.create_user(
        "boss", "boss@example.com", PASSWORD, is_staff=True, is_superuser=True
    )
    page.goto("/accounts/login/?next=/settings/webhooks/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/settings/webhooks/$"))
    assert page.locator("#no-endpoints").is_visible()

    page.get_by_label("URL").fill(receiver.url("/chat"))
    page.get_by_label("SLA overdue").check()
    page.get_by_label("Ticket created").check()
    page.get_by_role("button", name="Add endpoint").click()
    page.wait_for_url(re.compile(r"/settings/webhooks/$"))
    secret = page.locator("[data-secret]").inner_text().strip()
    endpoint = WebhookEndpoint.objects.get()
    assert secret == endpoint.secret and secret.startswith("whsec_")
    assert endpoint.events == ["ticket.created", "sla.overdue"]
    row = page.locator(f'[data-endpoint="{endpoint.pk}"]')
    assert "Nothing delivered yet" in row.inner_text()
    page.screenshot(path=str(artifacts / "webhooks-added.png"), full_page=True)

    row.get_by_role("button", name="Send test event").click()
    page.wait_for_url(re.compile(r"/settings/webhooks/$"))
    deadline = time.monotonic() + 5
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    [request] = receiver.received
    assert signature_verify(
        secret=secret,
        header=request.headers["Webhook-Signature"],
        body=request.body,
        now=int(time.time()),
    )
    assert json.loads(request.body)["type"] == "webhook.test"
    assert page.locator("[data-secret]").count() == 0  # shown once
    page.reload()
    row = page.locator(f'[data-endpoint="{endpoint.pk}"]')
    assert row.locator('[data-state="delivered"]').inner_text().strip() == "Delivered · 200"

    # The guide's picture, with a second endpoint as a team would have it.
    webhook_endpoint_create(
        actor=None,
        url="https://oncall.example.com/hooks/helpdesk",
        events=["sla.due_soon", "sla.overdue"],
        now=timezone.now(),
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    IMAGES.mkdir(parents=True, exist_ok=True)
    picture = IMAGES / "settings-webhooks.png"
    page.screenshot(path=str(picture))
    assert picture.stat().st_size < 300 * 1024

    row = page.locator(f'[data-endpoint="{endpoint.pk}"]')
    row.get_by_role("link", name="Delivery log").click()
    page.wait_for_url(re.compile(rf"/settings/webhooks/{endpoint.pk}/$"))
    attempt = page.locator("[data-attempt]").first
    assert attempt.locator("[data-status]").inner_text() == "200"
    assert "webhook.test" in page.locator("#deliveries").inner_text()
    page.screenshot(path=str(artifacts / "webhooks-log.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/settings/webhooks/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at phone width ({width} px)"
    page.screenshot(path=str(artifacts / "webhooks-phone.png"), full_page=True)

    # Deleting asks first, then takes the endpoint and its log.
    row = page.locator(f'[data-endpoint="{endpoint.pk}"]')
    row.locator("[data-delete] summary").click()
    row.get_by_role("button", name="Delete for good").click()
    page.wait_for_url(re.compile(r"/settings/webhooks/$"))
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert page.locator(f'[data-endpoint="{endpoint.pk}"]').count() == 0
