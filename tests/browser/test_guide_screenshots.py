"""The screenshots of ``docs/GUIDE.md``, taken in a real Chromium on the demo data.

Each page is opened as a person would (signed in, through the menu's URLs), checked for what the
guide says about it, and saved at 1280×800 (the viewport, not the whole page). A normal run saves
them to ``test-artifacts/guide/``; ``GUIDE_SCREENSHOTS=1 ./dev test tests/browser`` refreshes the
committed copies in ``docs/images/``, so each must stay small (under 300 KB).
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count
from django.utils import timezone

from settings_app.demo import DEMO_PASSWORD, demo_seed
from tickets.demo import demo_tickets_seed
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
IMAGES = (
    ROOT / "docs" / "images"
    if os.environ.get("GUIDE_SCREENSHOTS") == "1"
    else ROOT / "test-artifacts" / "guide"
)
VIEWPORT = {"width": 1280, "height": 800}
MAX_BYTES = 300 * 1024


def settled(page: Any, selector: str) -> None:
    """Wait until a Bootstrap modal or offcanvas has finished sliding or fading in."""
    page.locator(f"{selector}.show:not(.showing)").wait_for()
    page.wait_for_timeout(400)  # the backdrop's fade (0.15–0.3 s) has no class of its own


def shoot(page: Any, name: str) -> Path:
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / name
    page.screenshot(path=str(path))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"])
    assert len(data) < MAX_BYTES, f"{name} is {len(data) // 1024} KB"
    return path


def test_the_guides_screenshots(page: Any, live_server: Any) -> None:
    demo_seed()
    assert demo_tickets_seed(count=90, now=timezone.now()) == 90
    page.set_viewport_size(VIEWPORT)

    page.goto("/accounts/login/?next=/tickets/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/tickets/$"))

    # The queue: badges with text labels, nearest due first.
    assert page.locator("#queue-rows tr[data-ticket]").count() > 10
    assert page.locator("#queue-rows .sla-badge").count() > 10
    shoot(page, "queue.png")

    # The Next breach view: one badge a ticket, the three clocks when pointed at.
    page.get_by_role("link", name="Next breach").click()
    page.wait_for_url(re.compile(r"badges=next"))
    first = page.locator("#queue-rows tr[data-ticket] .next-breach").first
    first.hover()
    first.locator(".next-breach-clocks").wait_for(state="visible")
    shoot(page, "queue-next-breach.png")
    page.get_by_role("link", name="Three clocks").click()
    page.wait_for_url(re.compile(r"/tickets/$"))

    # A ticket with a conversation and a timeline: the one with the most SLA events.
    busy = (
        Ticket.objects.filter(closed_at__isnull=True)
        .annotate(events=Count("sla_events"))
        .order_by("-events", "id")
        .first()
    )
    assert busy is not None
    page.goto(f"/tickets/{busy.pk}/")
    assert page.locator(".sla-panel").is_visible()
    assert page.locator(".timeline li").count() >= 3
    shoot(page, "ticket.png")

    # Settings: when SLAs apply, pause stages, goals per priority.
    page.goto("/settings/sla/")
    assert page.locator("h1").inner_text() == "Help desk settings"
    assert page.get_by_label("During working hours").is_checked()
    shoot(page, "settings-sla.png")
    page.get_by_role("button", name="Edit working hours").click()
    settled(page, "#hours-modal")
    shoot(page, "settings-hours.png")
    page.locator('#hours-modal [data-action="done"]').click()
    page.locator("#hours-modal").wait_for(state="hidden")

    # A team's own hours, in the same kind of dialog: its teams, zone, week and holidays, with a
    # country's public holidays added in one step. Cancelled: a new schedule cancelled is gone.
    page.locator("#team-hours-it").get_by_role("button", name="Own hours").click()
    settled(page, "#ts-0-modal")
    dialog = page.locator("#ts-0-modal")
    assert dialog.get_by_label("IT").is_checked()
    dialog.locator("select.schedule-zone").select_option("America/New_York")
    dialog.locator("#ts-0-src-country").select_option("US")
    dialog.locator("#ts-0-src-add").click()
    page.wait_for_function(
        "() => document.querySelector('#ts-0-src-status')?.textContent.includes('holidays added')"
    )
    dialog.locator("#ts-0-src-status").scroll_into_view_if_needed()
    shoot(page, "settings-team-hours.png")
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="detached")
    assert page.locator("#team-hours-it").is_visible()
    assert page.locator("#unsaved-marker").is_hidden()
    page.locator("#goals-priority-0-row").get_by_role("button", name="Edit SLA goals").click()
    settled(page, "#panel-goals-priority-0")
    shoot(page, "settings-goals.png")

    # Save: checked first, then the dialog says what changes and asks where it applies.
    page.locator('[name="goals-priority-0-close_minutes_number"]').fill("5")
    page.locator("#panel-goals-priority-0").get_by_role("button", name="Done").click()
    page.locator("#panel-goals-priority-0").wait_for(state="hidden")
    assert page.locator("#unsaved-marker").is_visible()
    page.locator("#save-button").click()
    settled(page, "#apply-modal")
    assert (
        "Priority Urgent: time to close 4 hours → 5 hours"
        in page.locator("#apply-modal").inner_text()
    )
    page.locator("#dry-run:not([data-pending])").wait_for()  # it follows the dialog
    assert "What that would do now:" in page.locator("#dry-run").inner_text()
    shoot(page, "settings-apply.png")
    page.locator("#apply-modal").get_by_role("button", name="Cancel", exact=True).last.click()
    page.locator("#apply-modal").wait_for(state="hidden")
    page.get_by_role("link", name="Discard changes").click()  # asks first
    settled(page, "#leave-modal")
    with page.expect_navigation():  # the page loads again, with nothing changed
        page.get_by_role("button", name="Leave without saving").click()
    page.wait_for_function(
        "() => document.querySelector('#save-button .label')?.textContent === 'No changes'"
    )

    page.goto("/settings/sla/audit/")
    assert page.get_by_text("Audit log").first.is_visible()
    shoot(page, "audit.png")

    page.goto("/tickets/profile/")
    assert page.get_by_label("Time zone").is_visible()
    shoot(page, "profile.png")

    # The report: last 7 days by team, with the trend.
    page.goto("/reports/sla/")
    assert page.locator("#trend-chart").is_visible()
    assert page.locator('#breakdown-table tr[data-group="Total"]').count() == 3
    shoot(page, "report.png")
    page.locator("#breakdown-table").scroll_into_view_if_needed()
    shoot(page, "report-table.png")
