"""A super admin sets up SLAs in a real browser: working hours, per-priority goals, Save, reload."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import timezone

from settings_app.models import SlaSettingsChange
from settings_app.selectors import sla_settings_document
from tests.conftest import PASSWORD
from tickets.services import ticket_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARY = "Mon 09:00–12:00, 13:00–17:00 · Tue–Fri 09:00–17:00 · Sat, Sun off"
# value -> (first reply, next reply, close, due soon before each), as (number, unit)
GOALS = {
    "urgent": [("15", "minutes"), ("1", "hours"), ("4", "hours")],
    "high": [("1", "hours"), ("4", "hours"), ("1", "days")],
    "medium": [("4", "hours"), ("8", "hours"), ("3", "days")],
}
DUE_SOON = {
    "urgent": [("5", "minutes"), ("10", "minutes"), ("1", "hours")],
    "high": [("15", "minutes"), ("30", "minutes"), ("4", "hours")],
    "medium": [("30", "minutes"), ("1", "hours"), ("8", "hours")],
}
KINDS = ("first_response", "next_response", "close")
PRIORITY_ROWS = {"urgent": 0, "high": 1, "medium": 2, "low": 3}


def sign_in(page, username: str = "boss") -> None:
    page.goto("/accounts/login/?next=/settings/sla/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/settings/sla/")


def period_row(page, day: str, index: int):
    return page.locator(f'#hours-modal .periods[data-day="{day}"] .period-row').nth(index)


def add_hours(page, day: str, start: str, end: str) -> None:
    before = page.locator(f'#hours-modal .periods[data-day="{day}"] .period-row').count()
    page.locator(f'#hours-modal .add-period[data-day="{day}"]').click()
    row = period_row(page, day, before)
    row.locator('input[name$="-start"]').fill(start)
    row.locator('input[name$="-end"]').fill(end)


def field(page, name: str):
    return page.locator(f'[name="{name}"]')


def test_a_super_admin_sets_working_hours_and_goals_by_priority(
    page, live_server, super_admin, artifacts: Path
) -> None:
    ticket_create(subject="Open", body="Hi", requester_email="c@example.com", now=timezone.now())
    sign_in(page)
    assert page.locator("h1").inner_text() == "Help desk settings"

    # When SLAs apply: during working hours, in Stockholm.
    page.get_by_label("During working hours").check()
    page.locator("#id_timezone").select_option("Europe/Stockholm")
    assert page.locator("#working-hours-block").is_visible()

    # Edit working hours: Monday 09:00–12:00 and 13:00–17:00, Tuesday to Friday 09:00–17:00.
    page.get_by_role("button", name="Edit working hours").click()
    page.locator("#hours-modal").wait_for(state="visible")
    assert page.locator("#hours-zone").inner_text() == "Europe/Stockholm"
    add_hours(page, "mon", "09:00", "12:00")
    add_hours(page, "mon", "13:00", "17:00")
    for day in ("tue", "wed", "thu", "fri"):
        page.locator(f'#hours-modal .add-period[data-day="{day}"]').click()  # 09:00–17:00
        assert period_row(page, day, 0).locator('input[name$="-end"]').input_value() == "17:00"
    # A row added by mistake goes with its trash button.
    add_hours(page, "sat", "10:00", "11:00")
    period_row(page, "sat", 0).get_by_role("button", name="Remove these hours").click()
    assert page.locator("#day-sat .off-label").is_visible()
    page.screenshot(path=str(artifacts / "settings_sla_hours.png"))
    page.locator('#hours-modal [data-action="done"]').click()
    page.locator("#hours-modal").wait_for(state="hidden")
    page.wait_for_function(
        "text => document.getElementById('hours-summary').textContent === text", arg=SUMMARY
    )
    assert (
        "with 09:00–17:00 hours, that is 3 working days" in page.locator("#day-note").inner_text()
    )

    # A holiday.
    page.locator("#holidays-button").click()
    page.locator("#holidays-modal").wait_for(state="visible")
    page.locator("#add-holiday").click()
    page.locator('[name="holiday-0-date"]').fill("2026-12-24")
    page.locator('[name="holiday-0-name"]').fill("Christmas Eve")
    page.locator('[name="holiday-0-recurring"]').check()
    page.locator('#holidays-modal [data-action="done"]').click()
    page.locator("#holidays-modal").wait_for(state="hidden")
    assert page.locator("#holidays-button").inner_text().strip() == "Holidays (1)"

    # Pause while waiting on the customer.
    page.get_by_label("Support › Waiting on customer").check()

    # Goals on, based on priority; urgent, high and medium get goals, low is off.
    page.get_by_role("switch", name="Response time and close time goals").check()
    page.get_by_label("Based on a ticket property").check()
    page.locator("#id_property").select_option("priority")
    assert page.locator("#goals-priority").is_visible()
    assert not page.locator("#goals-all").is_visible()
    for value, goals in GOALS.items():
        prefix = f"goals-priority-{PRIORITY_ROWS[value]}"
        page.locator(f"#{prefix}-row").get_by_role("button", name="Edit SLA goals").click()
        panel = page.locator(f"#panel-{prefix}")
        panel.wait_for(state="visible")
        for kind, (number, unit), (soon, soon_unit) in zip(
            KINDS, goals, DUE_SOON[value], strict=True
        ):
            field(page, f"{prefix}-{kind}_minutes_number").fill(number)
            field(page, f"{prefix}-{kind}_minutes_unit").select_option(unit)
            field(page, f"{prefix}-{kind}_due_soon_minutes_number").fill(soon)
            field(page, f"{prefix}-{kind}_due_soon_minutes_unit").select_option(soon_unit)
        if value == "urgent":
            page.screenshot(path=str(artifacts / "settings_sla_panel.png"))
        panel.get_by_role("button", name="Done").click()
        panel.wait_for(state="hidden")
    low = page.locator("#panel-goals-priority-3")
    page.locator("#goals-priority-3-row").get_by_role("button", name="Edit SLA goals").click()
    low.wait_for(state="visible")
    low.get_by_label("SLA goals for Low").uncheck()
    low.get_by_role("button", name="Done").click()
    low.wait_for(state="hidden")
    # The table follows the side panels.
    urgent_row = page.locator("#goals-priority-0-row")
    assert urgent_row.locator('[data-summary="close_minutes"]').inner_text() == "4 h"
    assert urgent_row.locator('[data-summary="due_soon"]').inner_text() == "5 min / 10 min / 1 h"
    assert page.locator("#goals-priority-3-row .no-sla").is_visible()
    assert not field(page, "goals-priority-3-enabled").is_checked()

    # Save: one open ticket, so the dialog asks; new tickets only.
    page.locator("#save-button").click()
    dialog = page.locator("#apply-modal")
    dialog.wait_for(state="visible")
    assert "To new tickets and the 1 open ticket" in dialog.inner_text()
    dialog.get_by_label("To new tickets only").check()
    dialog.get_by_role("button", name="Save").click()
    page.wait_for_selector(".alert-success")
    assert re.search(
        r"SLA settings saved \(version \d+\)\.", page.locator(".alert-success").inner_text()
    )

    # Reloaded, every value is kept.
    page.reload()
    assert page.locator("#hours-summary").inner_text() == SUMMARY
    assert page.get_by_label("During working hours").is_checked()
    assert page.locator("#id_timezone").input_value() == "Europe/Stockholm"
    assert [
        (
            field(page, f"period-{i}-start").input_value(),
            field(page, f"period-{i}-end").input_value(),
        )
        for i in range(2)
    ] == [("09:00", "12:00"), ("13:00", "17:00")]
    assert page.locator("#holidays-button").inner_text().strip() == "Holidays (1)"
    assert page.get_by_label("Support › Waiting on customer").is_checked()
    assert page.get_by_role("switch", name="Response time and close time goals").is_checked()
    assert page.get_by_label("Based on a ticket property").is_checked()
    assert page.locator("#id_property").input_value() == "priority"
    for value, goals in GOALS.items():
        prefix = f"goals-priority-{PRIORITY_ROWS[value]}"
        assert field(page, f"{prefix}-enabled").is_checked()
        for kind, (number, unit), (soon, soon_unit) in zip(
            KINDS, goals, DUE_SOON[value], strict=True
        ):
            assert field(page, f"{prefix}-{kind}_minutes_number").input_value() == number
            assert field(page, f"{prefix}-{kind}_minutes_unit").input_value() == unit
            assert field(page, f"{prefix}-{kind}_due_soon_minutes_number").input_value() == soon
            assert field(page, f"{prefix}-{kind}_due_soon_minutes_unit").input_value() == soon_unit
    assert not field(page, "goals-priority-3-enabled").is_checked()
    assert page.locator("#goals-priority-3-row .no-sla").is_visible()

    # And in the database, through the same reads as the API.
    document = sla_settings_document()
    assert document["applies"] == "working_hours"
    assert document["timezone"] == "Europe/Stockholm"
    assert document["working_hours"]["mon"] == [["09:00", "12:00"], ["13:00", "17:00"]]
    assert document["working_hours"]["fri"] == [["09:00", "17:00"]]
    assert document["working_hours"]["sat"] == []
    assert document["holidays"] == [
        {"date": "2026-12-24", "name": "Christmas Eve", "recurring": True}
    ]
    assert document["pause_statuses"] == ["support/waiting-on-customer"]
    assert (document["goals_enabled"], document["scope"], document["property"]) == (
        True,
        "property",
        "priority",
    )
    goals = {row["value"]: row for row in document["goals"]}
    assert goals["urgent"] == {
        "value": "urgent",
        "enabled": True,
        "first_response_minutes": 15,
        "first_response_due_soon_minutes": 5,
        "next_response_minutes": 60,
        "next_response_due_soon_minutes": 10,
        "close_minutes": 240,
        "close_due_soon_minutes": 60,
    }
    assert goals["medium"]["close_minutes"] == 3 * 1440
    assert goals["medium"]["close_due_soon_minutes"] == 8 * 60
    assert "low" not in goals  # off and without goals: the same as no row, not stored
    entry = SlaSettingsChange.objects.get()
    assert (entry.via, entry.apply_to, entry.actor_username) == ("page", "new", "boss")

    page.mouse.wheel(0, 5000)  # the save bar at its place at the end of the page
    page.wait_for_timeout(200)
    page.screenshot(path=str(artifacts / "settings_sla.png"), full_page=True)


def test_a_refused_save_marks_the_field_and_keeps_what_was_typed(
    page, live_server, super_admin, artifacts: Path
) -> None:
    sign_in(page)
    page.get_by_label("During working hours").check()
    page.get_by_role("button", name="Edit working hours").click()
    page.locator("#hours-modal").wait_for(state="visible")
    add_hours(page, "wed", "14:00", "11:00")
    page.locator('#hours-modal [data-action="done"]').click()
    page.locator("#hours-modal").wait_for(state="hidden")
    page.get_by_role("switch", name="Response time and close time goals").check()
    field(page, "goal-all-close_minutes_number").fill("2")
    field(page, "goal-all-close_minutes_unit").select_option("days")
    field(page, "goal-all-close_due_soon_minutes_number").fill("3")
    field(page, "goal-all-close_due_soon_minutes_unit").select_option("days")
    page.locator("#save-button").click()  # no open tickets: no dialog

    alert = page.locator("#form-errors")
    alert.wait_for(state="visible")
    assert "Nothing was saved — fix the marked fields." in alert.inner_text()
    assert (
        "Must be shorter than the time to close goal"
        in page.locator("#goal-all-close").inner_text()
    )
    assert field(page, "goal-all-close_due_soon_minutes_number").input_value() == "3"
    assert field(page, "goal-all-close_due_soon_minutes_number").get_attribute("aria-invalid")
    alert.get_by_role("link", name="Edit working hours").click()
    page.locator("#hours-modal").wait_for(state="visible")
    assert "Ends (11:00) at or before it starts (14:00)." in period_row(page, "wed", 0).inner_text()
    page.screenshot(path=str(artifacts / "settings_sla_refused.png"))
    assert sla_settings_document()["applies"] == "always"  # nothing was saved
    assert not SlaSettingsChange.objects.exists()
