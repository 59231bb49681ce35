"""The help desk in Swedish, in a real browser (issue 22): the source article's settings flow in
its own terms, the queue with Swedish relative times, and the request form chosen by the
browser's language. English stays the default (the other browser tests)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from settings_app.models import SlaSettingsChange
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.conftest import PASSWORD
from tickets.models import AgentProfile, Ticket
from tickets.services import ticket_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where the article names a thing, the page uses its words (seed/: "Sätta SLA-mål i helpdesk").
ARTICLE_TERMS = (
    "Hantera när SLA gäller",
    "Under arbetstid",
    "24/7",
    "Redigera teamets arbetstider",
    "Till alla ärenden i helpdesk",
    "Baserat på ärendeegenskap",
    "Redigera SLA-mål",
    "Spara",
    "Tid till första svar",
    "Tid till nästa svar",
    "Tid till stängning",
)


@pytest.fixture
def swedish_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A browser that asks for Swedish (Accept-Language: sv-SE)."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="sv-SE"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def sign_in(page: Any, username: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    assert page.locator("h1").inner_text() == "Logga in"
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"**{next_url}")


def test_the_articles_settings_flow_in_swedish(
    swedish_page: Any, super_admin: Any, artifacts: Path
) -> None:
    page = swedish_page
    ticket_create(subject="Öppet", body="Hej", requester_email="k@example.se", now=timezone.now())
    sign_in(page, "boss", "/settings/sla/")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator("h1").inner_text() == "Helpdeskinställningar"
    # All of them on the page (some in parts that open later: the flow below uses them).
    text = page.evaluate("document.querySelector('main').textContent")
    for term in ARTICLE_TERMS:
        assert term in text, term

    # "Hantera när SLA gäller" -> "Under arbetstid"; "Redigera teamets arbetstider".
    page.get_by_label("Under arbetstid").check()
    page.locator("#id_timezone").select_option("Europe/Stockholm")
    page.get_by_role("button", name="Redigera teamets arbetstider").click()
    modal = page.locator("#hours-modal")
    modal.wait_for(state="visible")
    assert "Måndag" in modal.inner_text()
    # "Lägg till timmar": Monday to Friday get 09:00–17:00.
    for day in ("mon", "tue", "wed", "thu", "fri"):
        modal.locator(f'.add-period[data-day="{day}"]').click()
    assert modal.get_by_role("button", name="Lägg till timmar").count() == 7
    modal.get_by_role("button", name="Klar").click()
    modal.wait_for(state="hidden")
    page.wait_for_function(
        "text => document.getElementById('hours-summary').textContent === text",
        arg="mån–fre 09:00–17:00 · lör, sön ledig",
    )
    assert (
        "med arbetstid 09:00–17:00 är det 3 arbetsdagar" in page.locator("#day-note").inner_text()
    )

    # Goals on, "Baserat på ärendeegenskap": priority; "Redigera SLA-mål" for Urgent.
    page.get_by_role("switch", name="SLA-mål för svarstid och stängningstid").check()
    page.get_by_label("Baserat på ärendeegenskap").check()
    page.locator("#id_property").select_option("priority")
    urgent = page.locator("#goals-priority-0-row")
    assert "Brådskande" in urgent.inner_text()
    urgent.get_by_role("button", name="Redigera SLA-mål").click()
    panel = page.locator("#panel-goals-priority-0")
    panel.wait_for(state="visible")
    assert "Tid till första svar" in panel.inner_text()
    page.locator('[name="goals-priority-0-first_response_minutes_number"]').fill("2")
    page.locator('[name="goals-priority-0-first_response_minutes_unit"]').select_option("days")
    page.screenshot(path=str(artifacts / "settings_sla_panel_sv.png"))
    panel.get_by_role("button", name="Klar").click()
    panel.wait_for(state="hidden")
    # The table's summary says it in Swedish (the JavaScript catalogue).
    assert urgent.locator('[data-summary="first_response_minutes"]').inner_text() == "2 dagar"

    # "Spara": the dialog asks where to apply it, in Swedish.
    page.get_by_role("button", name="Spara").first.click()
    dialog = page.locator("#apply-modal")
    dialog.wait_for(state="visible")
    assert "På nya ärenden och det 1 öppna ärendet" in dialog.inner_text()
    dialog.get_by_label("Endast på nya ärenden").check()
    page.screenshot(path=str(artifacts / "settings_sla_apply_sv.png"))
    dialog.get_by_role("button", name="Spara").click()
    page.wait_for_selector(".alert-success")
    assert re.search(
        r"SLA-inställningarna har sparats \(version \d+\)\.",
        page.locator(".alert-success").inner_text(),
    )
    page.screenshot(path=str(artifacts / "settings_sla_sv.png"), full_page=True)
    document = sla_settings_document()
    assert document["applies"] == "working_hours"
    assert document["working_hours"]["fri"] == [["09:00", "17:00"]]
    assert {row["value"]: row["first_response_minutes"] for row in document["goals"]}[
        "urgent"
    ] == 2880


DOCUMENT: dict[str, Any] = {
    "applies": "always",
    "timezone": "Europe/Stockholm",
    "working_hours": {},
    "holidays": [],
    "pause_statuses": [],
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


def _ticket(subject: str, minutes_ago: int) -> Ticket:
    return ticket_create(
        subject=subject,
        body="Det brinner.",
        requester_email="ana@example.se",
        priority="urgent",
        now=timezone.now() - datetime.timedelta(minutes=minutes_ago),
    )


def test_the_queue_in_swedish_with_swedish_relative_times(
    browser: Any, page: Any, agent: Any, artifacts: Path
) -> None:
    """An agent whose preference is Swedish sees Swedish, whatever the browser asks for (this
    browser asks for English); an agent without one gets the browser's English."""
    sla_settings_save(
        document=DOCUMENT, actor=None, via=SlaSettingsChange.Via.COMMAND, apply_to="new"
    )
    late = _ticket("Skrivaren brinner", minutes_ago=95)
    _ticket("Återbetalning", minutes_ago=5)
    AgentProfile.objects.create(user=agent, language="sv")

    page.goto("/accounts/login/?next=/tickets/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()  # signed out: the browser's English
    page.wait_for_url(re.compile(r"/tickets/$"))
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator("h1").inner_text() == "Kö"
    headers = page.locator("thead").text_content()
    for column in ("Ämne", "Beställare", "Prioritet", "Första svar", "Nästa svar", "Stängning"):
        assert column in headers
    row = page.locator(f'#queue-rows tr[data-ticket="{late.pk}"]')
    first_reply = row.locator('td[data-clock="first_response"]').inner_text()
    assert "Försenad" in first_reply
    assert re.search(r"försenad 3\d min", first_reply), first_reply
    close = row.locator('td[data-clock="close"]').inner_text()
    assert re.search(r"om 1 d 22 h", close), close
    assert "Brådskande" in row.inner_text()
    page.screenshot(path=str(artifacts / "queue_sv.png"), full_page=True)

    # The ticket page, and the timeline's events, in Swedish.
    row.get_by_role("link", name="Skrivaren brinner").click()
    page.wait_for_url(re.compile(rf"/tickets/{late.pk}/$"))
    panel = page.locator('.sla-clock[data-clock="first_response"]').inner_text()
    assert "Försenad" in panel and "Förföll" not in panel
    assert "Första svar startad" in page.locator(".timeline").last.inner_text()
    assert page.get_by_role("button", name="Skicka", exact=True).is_visible()
    page.screenshot(path=str(artifacts / "ticket_sv.png"), full_page=True)

    # Back to English in the preferences: the next page is English.
    page.goto("/tickets/profile/")
    page.locator("#id_language").select_option("en")
    page.get_by_role("button", name="Spara").click()
    page.wait_for_url(re.compile(r"/tickets/profile/$"))
    assert page.locator("h1").inner_text() == "Preferences"
    assert page.get_by_text("Preferences saved.").is_visible()


def test_the_request_form_follows_the_browsers_language(swedish_page: Any, artifacts: Path) -> None:
    page = swedish_page
    page.goto("/request/")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator("h1").inner_text() == "Kontakta supporten"
    page.get_by_label("Din e-postadress").fill("kund@example.se")
    page.get_by_label("Ämne").fill("Fakturan saknas")
    page.get_by_label("Hur kan vi hjälpa till?").fill("Jag har inte fått fakturan.")
    page.screenshot(path=str(artifacts / "request_sv.png"), full_page=True)
    page.get_by_role("button", name="Skicka ärendet").click()
    page.wait_for_url("**/request/thanks/")
    assert "Vi har tagit emot ditt ärende" in page.locator("main").inner_text()
    ticket = Ticket.objects.get(requester_email="kund@example.se")
    assert ticket.requester_language == "sv"

    # The footer's picker switches a signed-out visitor to English.
    page.goto("/request/")
    page.locator("#language-picker").select_option("en")
    page.wait_for_load_state()
    page.locator("h1", has_text="Contact support").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_guides_swedish_screenshots(swedish_page: Any) -> None:
    """The Swedish screenshots of docs/GUIDE.md ("På svenska"), on the demo data, by a super
    admin whose browser asks for Swedish (GUIDE_SCREENSHOTS=1 refreshes docs/images/)."""
    from settings_app.demo import DEMO_PASSWORD, demo_seed
    from tests.browser.test_guide_screenshots import VIEWPORT, settled, shoot
    from tickets.demo import demo_tickets_seed

    page = swedish_page
    demo_seed()
    assert demo_tickets_seed(count=60, now=timezone.now()) == 60
    page.set_viewport_size(VIEWPORT)
    page.goto("/accounts/login/?next=/tickets/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(re.compile(r"/tickets/$"))
    assert page.locator("h1").inner_text() == "Kö"
    shoot(page, "queue-sv.png")

    page.goto("/settings/sla/")
    assert page.get_by_label("Under arbetstid").is_checked()
    shoot(page, "settings-sla-sv.png")
    page.get_by_role("button", name="Redigera teamets arbetstider").click()
    settled(page, "#hours-modal")
    assert page.locator("#hours-modal").get_by_role("button", name="Lägg till timmar").count() == 7
    shoot(page, "settings-hours-sv.png")
    page.locator('#hours-modal [data-action="done"]').click()
    page.locator("#hours-modal").wait_for(state="hidden")
    page.locator("#goals-priority-0-row").get_by_role("button", name="Redigera SLA-mål").click()
    settled(page, "#panel-goals-priority-0")
    assert "Tid till första svar" in page.locator("#panel-goals-priority-0").inner_text()
    shoot(page, "settings-goals-sv.png")
