"""A super admin gives teams their own New York working hours in a real browser (SPEC §2.1 "Team
schedules", issue 23), in the settings page's own dialog: "Own hours" for one team, a second team
ticked into the same schedule, the zone, Mon–Fri 08:00–18:00 and Saturday morning, US public
holidays added in one step, saved with the page for new and open tickets; an agent then sees that
team's ticket due in New York working hours. The dialog is looked at at 1280 px and 390 px, in
English and Swedish."""

from __future__ import annotations

import datetime
import re
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
    Team.objects.create(slug="sales-us", name="Sales US")
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
    row.get_by_role("button", name="Own hours").click()
    dialog = page.locator("#ts-0-modal")
    dialog.locator(".schedule-editor").wait_for(state="visible")
    page.locator("#ts-0-modal.show:not(.showing)").wait_for()
    assert dialog.get_by_label("Support US").is_checked()
    dialog.get_by_label("Sales US").check()  # two teams, one schedule
    dialog.locator("select.schedule-zone").select_option("America/New_York")
    for day in WEEKDAYS:
        period = dialog.locator(f'.periods[data-day="{day}"] .period-row').first
        period.locator('input[name$="-start"]').fill("08:00")
        period.locator('input[name$="-end"]').fill("18:00")
    # Saturday morning too, added with "Add hours".
    dialog.locator('.add-period[data-day="sat"]').click()
    saturday = dialog.locator('.periods[data-day="sat"] .period-row').first
    saturday.locator('input[name$="-start"]').fill("09:00")
    saturday.locator('input[name$="-end"]').fill("12:00")
    # US public holidays for two years in one step.
    year = timezone.now().year
    dialog.locator("#ts-0-src-country").select_option("US")
    dialog.locator("#ts-0-src-first-year").fill(str(year))
    dialog.locator("#ts-0-src-last-year").fill(str(year + 1))
    dialog.locator("#ts-0-src-add").click()
    page.wait_for_function(
        "() => document.querySelector('#ts-0-src-status')?.textContent.includes('holidays added')"
    )
    names = dialog.locator('.holiday-rows input[name$="-name"]')
    assert [names.nth(i).input_value() for i in range(names.count())].count("Thanksgiving Day") == 2
    # The typed hours survived adding the holidays.
    assert dialog.locator('.periods[data-day="mon"] input[name$="-start"]').input_value() == "08:00"
    page.screenshot(path=str(artifacts / "team-hours-dialog-1280.png"))
    dialog.get_by_role("button", name="Done").click()
    dialog.wait_for(state="hidden")

    listed = page.locator("#ts-0-row")
    page.wait_for_function(
        "() => document.querySelector('#ts-0-row .schedule-summary')?.textContent"
        ".includes('Mon–Fri 08:00–18:00')"
    )
    row_text = listed.inner_text()
    assert "Sales US, Support US" in row_text and "America/New_York" in row_text
    assert not page.locator("#team-hours-support-us").is_visible()
    assert not page.locator("#team-hours-sales-us").is_visible()
    assert page.locator("#team-hours-billing").is_visible()
    assert page.locator("#unsaved-marker").is_visible()

    # Save: checked first, then the apply dialog with the open ticket and its dry run.
    page.locator("#save-button").click()
    page.locator("#apply-modal.show:not(.showing)").wait_for()
    page.locator("#dry-run:not([data-pending])").wait_for()
    # The dry run counts the team's open ticket, whose due moments move to New York's hours.
    dry_run = page.locator("#dry-run").inner_text()
    assert "What that would do now:" in dry_run and re.search(r"\b1 due (later|earlier)", dry_run)
    page.get_by_label("To new tickets and the 1 open ticket", exact=False).check()
    page.locator("#apply-save").click()
    page.wait_for_url("**/settings/sla/?recompute=*")
    assert "SLA settings saved" in page.inner_text("body")
    row_text = page.locator("#ts-0-row").inner_text()
    assert "America/New_York" in row_text and "Mon–Fri 08:00–18:00" in row_text
    page.screenshot(path=str(artifacts / "team-hours-list.png"), full_page=True)

    saved = sla_settings_document()["team_schedules"]
    assert len(saved) == 1
    assert saved[0]["teams"] == ["sales-us", "support-us"]
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


def _team_schedule_saved() -> None:
    sla_settings_save(
        document=sla_document(
            applies="working_hours",
            timezone="Europe/Stockholm",
            working_hours={day: [["09:00", "17:00"]] for day in WEEKDAYS},
            goals=[goal_row(first_response=(120, 30))],
        ),
        actor=None,
        via="command",
    )
    Team.objects.create(slug="support-us", name="Support US")
    Team.objects.create(slug="billing", name="Billing")
    document = sla_settings_document()
    document["team_schedules"] = [
        {
            "teams": ["support-us"],
            "timezone": "America/New_York",
            "working_hours": {day: [["08:00", "18:00"]] for day in WEEKDAYS},
            "holidays": [{"date": "2026-11-26", "name": "Thanksgiving Day", "recurring": False}],
        }
    ]
    sla_settings_save(document=document, actor=None, via="command")


ENGLISH = ("Working hours of", "Add public holidays", "Import .ics", "Teams")
SWEDISH = ("Arbetstider för", "Lägg till allmänna helgdagar", "Importera .ics", "Team")


@pytest.mark.parametrize(
    ("locale", "width", "words"),
    [
        ("en-GB", 1280, ENGLISH),
        ("en-GB", 390, ENGLISH),
        ("sv-SE", 1280, SWEDISH),
        ("sv-SE", 390, SWEDISH),
    ],
)
def test_the_schedule_dialog_fits_narrow_and_wide_screens_in_both_languages(
    browser, live_server, super_admin, artifacts: Path, locale: str, width: int, words: tuple
) -> None:
    _team_schedule_saved()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 844}, locale=locale
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/accounts/login/?next=/settings/sla/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/settings/sla/")
    page.locator("#ts-0-row .edit-schedule").click()
    page.locator("#ts-0-modal.show:not(.showing)").wait_for()
    page.wait_for_timeout(300)
    text = page.locator("#ts-0-modal").inner_text()
    for word in words:
        assert word in text, (word, text[:500])
    # Nothing runs off the side: the dialog's content is no wider than the screen.
    overflow = page.evaluate(
        "() => { const m = document.querySelector('#ts-0-modal .modal-content');"
        " return [m.scrollWidth, m.clientWidth, document.documentElement.scrollWidth]; }"
    )
    assert overflow[0] <= overflow[1] + 1 and overflow[2] <= width, overflow
    page.screenshot(path=str(artifacts / f"team-hours-dialog-{locale}-{width}.png"))
    context.close()
    assert errors == [], errors


def test_the_default_holidays_dialog_imports_an_ics_file_as_rows(
    page, live_server, super_admin, tmp_path: Path
) -> None:
    """The default schedule's Holidays dialog has the same one-step sources: an .ics file's days
    become ordinary rows (a date already listed is kept as typed), saved with the page."""
    _team_schedule_saved()
    ics = tmp_path / "closed.ics"
    ics.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20271228\r\nDTEND;VALUE=DATE:20271230\r\n"
        b"SUMMARY:Year-end closing\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    sign_in(page, "boss", "/settings/sla/")
    assert page.locator("#holiday-count").inner_text() == "0"
    page.locator("#holidays-button").click()
    page.locator("#holidays-modal.show:not(.showing)").wait_for()
    page.locator("#default-src-ics").set_input_files(str(ics))
    page.locator("#default-src-import").click()
    page.wait_for_function(
        "() => document.querySelector('#default-src-status')?.textContent.includes('2 holidays')"
    )
    dates = page.locator('#holiday-rows input[name$="-date"]')
    assert [dates.nth(i).input_value() for i in range(dates.count())] == [
        "2027-12-28",
        "2027-12-29",
    ]
    # A file that is no calendar says so, and adds nothing.
    bad = tmp_path / "bad.ics"
    bad.write_bytes(b"hello")
    page.locator("#default-src-ics").set_input_files(str(bad))
    page.locator("#default-src-import").click()
    page.wait_for_function(
        "() => document.querySelector('#default-src-status')?.textContent.includes('iCalendar')"
    )
    assert dates.count() == 2
    page.locator('#holidays-modal [data-action="done"]').click()
    page.locator("#holidays-modal").wait_for(state="hidden")
    assert page.locator("#holiday-count").inner_text() == "2"
    page.locator("#save-button").click()
    page.wait_for_url("**/settings/sla/")
    page.locator(".alert-success").wait_for()
    document = sla_settings_document()
    assert [h["date"] for h in document["holidays"]] == ["2027-12-28", "2027-12-29"]
    assert document["team_schedules"][0]["timezone"] == "America/New_York"  # kept
