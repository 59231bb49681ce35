"""The SLA settings and team schedules in the Django admin, in a real browser (SPEC §2.7): the
settings page's forms in the admin's frame, an error next to its row, a save for new tickets
only, at 1280 px and 390 px, in English and Swedish."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from settings_app.models import SlaSettingsChange, Team
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.conftest import PASSWORD
from tests.settings_app.pages.helpers import BY_PRIORITY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGE_URL = "/admin/settings_app/slasettings/1/change/"
ADD_SCHEDULE_URL = "/admin/settings_app/teamschedule/add/"
# What the browser asks for, the page's language, and the words the test reads.
LANGUAGES = {
    "en": {"locale": "en-GB", "sign_in": "Sign in", "saved": "Saved as version"},
    "sv": {"locale": "sv-SE", "sign_in": "Logga in", "saved": "Sparat som version"},
}


@pytest.fixture(params=sorted(LANGUAGES))
def language(request: Any) -> str:
    return str(request.param)


@pytest.fixture
def admin_page(browser: Any, live_server: Any, language: str) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        locale=LANGUAGES[language]["locale"],
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def sign_in(page: Any, language: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=LANGUAGES[language]["sign_in"]).click()
    page.wait_for_url(f"**{next_url}")


def no_sideways_scroll(page: Any) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_a_super_admin_edits_the_settings_and_a_team_schedule_in_the_admin(
    admin_page: Any, language: str, super_admin: Any, artifacts: Path
) -> None:
    page = admin_page
    configured = sla_settings_save(document=BY_PRIORITY, actor=None, via="command").document
    Team.objects.create(slug="billing", name="Billing")
    sign_in(page, language, CHANGE_URL)
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator(".breadcrumbs").is_visible()
    assert page.locator("a.historylink").is_visible()
    page.screenshot(path=str(artifacts / f"admin_sla_{language}_1280.png"), full_page=True)

    # Monday's first hours end before they start: the error is next to that row, nothing saved.
    page.fill("input[name='period-0-end']", "08:00")
    page.locator("input[name='_continue']").click()
    error = page.locator("#period-0-row .invalid-feedback")
    error.wait_for()
    if language == "en":
        assert "at or before it starts" in error.inner_text()
    assert page.locator("#form-errors").is_visible()
    assert page.locator("input[name='period-0-end']").input_value() == "08:00"  # kept to fix
    assert sla_settings_document() == configured
    page.screenshot(path=str(artifacts / f"admin_sla_error_{language}_1280.png"), full_page=True)

    # Fixed, and Saturday's blank row filled in: saved for new tickets, via the admin.
    page.fill("input[name='period-0-end']", "12:00")
    saturday = page.locator("#day-sat .time-input")
    saturday.nth(0).fill("10:00")
    saturday.nth(1).fill("14:00")
    page.locator("input[name='_continue']").click()
    page.locator(".messagelist .success").wait_for()
    assert LANGUAGES[language]["saved"] in page.locator(".messagelist").inner_text()
    assert sla_settings_document()["working_hours"]["sat"] == [["10:00", "14:00"]]
    entry = SlaSettingsChange.objects.first()
    assert (entry.via, entry.apply_to, entry.actor) == ("admin", "new", super_admin)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(CHANGE_URL)
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / f"admin_sla_{language}_390.png"), full_page=True)

    # A team schedule: the page's schedule form, starting from the default hours.
    page.goto(ADD_SCHEDULE_URL)
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / f"admin_schedule_{language}_390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(ADD_SCHEDULE_URL)
    page.locator("#ts-0-teams input[value='billing']").check()
    page.screenshot(path=str(artifacts / f"admin_schedule_{language}_1280.png"), full_page=True)
    page.locator("input[name='_save']").click()
    page.locator(".messagelist .success").wait_for()
    schedules = sla_settings_document()["team_schedules"]
    assert [(s["teams"], s["working_hours"]["sat"]) for s in schedules] == [
        (["billing"], [["10:00", "14:00"]])
    ]
