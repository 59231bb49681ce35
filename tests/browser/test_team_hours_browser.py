"""A super admin gives a team its own New York working hours in a real browser (SPEC §2.1 "Team
schedules"): own hours from the settings page, the zone, Mon–Fri 08:00–18:00, US public holidays
added in one step, saved for new and open tickets; an agent then sees that team's ticket due in
New York working hours."""

from __future__ import annotations

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from settings_app.business_time import WorkingSchedule
from settings_app.models import Team
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.conftest import PASSWORD
from tests.factories import goal_row, sla_document
from tickets.display import local_moment
from tickets.models import AgentProfile, SlaClock, SlaRecompute
from tickets.recompute import sla_recompute_run
from tickets.services import ticket_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NEW_YORK = ZoneInfo("America/New_York")


def sign_in(page, username: str, then: str) -> None:
    page.goto(f"/accounts/login/?next={then}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{then}")


def test_a_team_gets_new_york_hours_with_us_holidays_and_its_ticket_counts_in_them(
    page, browser, live_server, super_admin, agent, artifacts: Path
) -> None:
    sla_settings_save(
        document=sla_document(
            applies="working_hours",
            timezone="Europe/Stockholm",
            working_hours={day: [["09:00", "17:00"]] for day in WEEKDAYS},
            goals=[goal_row(first_response=(120, 30), close=(2400, 120))],
        ),
        actor=None,
        via="command",
    )
    team = Team.objects.create(slug="support-us", name="Support US")
    Team.objects.create(slug="billing", name="Billing")
    ticket = ticket_create(
        subject="Invoice missing",
        body="Where is it?",
        requester_email="c@example.com",
        team=team,
        now=timezone.now(),
    )

    sign_in(page, "boss", "/settings/sla/")
    row = page.locator("#team-hours-support-us")
    assert "uses the default" in row.inner_text()
    row.get_by_role("link", name="Own hours").click()
    page.wait_for_url("**/settings/sla/team-hours/support-us/")
    page.select_option("#id_timezone", "America/New_York")
    for day in WEEKDAYS:
        period = page.locator(f'.periods[data-day="{day}"] .period-row').first
        period.locator('input[name$="-start"]').fill("08:00")
        period.locator('input[name$="-end"]').fill("18:00")
    # Saturday morning too, added with "Add hours".
    page.locator('.add-period[data-day="sat"]').click()
    saturday = page.locator('.periods[data-day="sat"] .period-row').first
    saturday.locator('input[name$="-start"]').fill("09:00")
    saturday.locator('input[name$="-end"]').fill("12:00")
    year = timezone.now().year
    page.select_option("#id_country", "US")
    page.fill("#id_first_year", str(year))
    page.fill("#id_last_year", str(year + 1))
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_selector("#source-message")
    assert "holidays added" in page.inner_text("#source-message")
    # The typed hours survived adding the holidays.
    assert page.locator('.periods[data-day="mon"] input[name$="-start"]').input_value() == "08:00"
    assert page.locator('input[value="Thanksgiving Day"]').count() == 2
    page.get_by_label("To new tickets and the 1 open ticket", exact=False).check()
    page.screenshot(path=str(artifacts / "team-hours.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/settings/sla/?recompute=*")
    assert "Working hours of Support US saved" in page.inner_text("body")
    row_text = page.locator("#team-hours-support-us").inner_text()
    assert "America/New_York" in row_text and "Mon–Fri 08:00–18:00" in row_text
    page.screenshot(path=str(artifacts / "team-hours-list.png"), full_page=True)

    saved = sla_settings_document()["team_schedules"]
    assert saved[0]["teams"] == ["support-us"]
    assert saved[0]["timezone"] == "America/New_York"
    assert {"date": f"{year}-07-04", "name": "Independence Day", "recurring": False} in saved[0][
        "holidays"
    ]
    recompute = SlaRecompute.objects.latest("id")
    sla_recompute_run(recompute_id=recompute.pk, now=timezone.now())

    # What New York's calendar gives from the ticket's start (the holidays as saved).
    schedule = WorkingSchedule(
        timezone="America/New_York",
        periods={i: [("08:00", "18:00")] for i in range(5)} | {5: [("09:00", "12:00")]},
        holidays=[datetime.date.fromisoformat(h["date"]) for h in saved[0]["holidays"]],
    )
    expected = schedule.add_working_time(ticket.created_at, datetime.timedelta(minutes=120))
    clock = SlaClock.objects.get(ticket=ticket, kind="first_response")
    assert clock.due_at == expected

    AgentProfile.objects.update_or_create(user=agent, defaults={"timezone": "America/New_York"})
    agent_context = browser.new_context(base_url=live_server.url, locale="en-GB")
    agent_page = agent_context.new_page()
    sign_in(agent_page, "agent", f"/tickets/{ticket.pk}/")
    panel = agent_page.locator('#sla-panel [data-clock="first_response"]').inner_text()
    with timezone.override(NEW_YORK):
        shown = local_moment(expected)
    assert f"Due {shown}" in panel, panel
    local = expected.astimezone(NEW_YORK)
    # Inside New York's working hours (or the exact end of a period), never on a holiday.
    assert local.date().isoformat() not in {h["date"] for h in saved[0]["holidays"]}
    assert (
        datetime.time(8) < local.time() <= datetime.time(18)
        if local.weekday() < 5
        else datetime.time(9) < local.time() <= datetime.time(12)
    )
    agent_page.screenshot(path=str(artifacts / "team-hours-ticket.png"), full_page=True)
    agent_context.close()
