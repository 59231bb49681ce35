"""The settings page's team schedules (SPEC §2.1, WIREFRAMES "Working hours with team
schedules"): the list of teams with their own hours or "uses the default", a team's own hours
saved through the one save path (new, or new and open tickets), public holidays of a country
and an .ics file added as editable rows, errors next to their rows, back to the default."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from settings_app.models import SlaSettingsChange, Team
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.factories import goal_row, sla_document
from tests.settings_app.pages.helpers import form_data, page_html, row_html, text_of
from tickets.models import SlaRecompute
from tickets.services import ticket_create

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def url(slug: str) -> str:
    return f"/settings/sla/team-hours/{slug}/"


@pytest.fixture
def teams(db) -> dict[str, Team]:
    sla_settings_save(
        document=sla_document(
            applies="working_hours",
            timezone="Europe/Stockholm",
            working_hours={day: [["09:00", "17:00"]] for day in WEEKDAYS},
            holidays=[{"date": "2026-12-24", "name": "Julafton", "recurring": True}],
            goals=[goal_row(first_response=(60, 15), close=(480, 60))],
        ),
        actor=None,
        via="command",
    )
    return {
        "support-us": Team.objects.create(slug="support-us", name="Support US"),
        "billing": Team.objects.create(slug="billing", name="Billing"),
    }


def post(client: Client, slug: str, data: dict[str, list[str]], **extra: Any) -> Any:
    flat: dict[str, Any] = {k: v if len(v) > 1 else v[0] for k, v in data.items()}
    return client.post(url(slug), {**flat, **extra})


def with_hours(data: dict[str, list[str]], hours: dict[str, list[tuple[str, str]]]) -> dict:
    """``data`` with its period rows replaced by ``hours``."""
    data = {k: v for k, v in data.items() if not k.startswith("period-")}
    rows = [(day, start, end) for day, periods in hours.items() for start, end in periods]
    data["period-TOTAL_FORMS"] = [str(len(rows))]
    data["period-INITIAL_FORMS"] = ["0"]
    for index, (day, start, end) in enumerate(rows):
        data[f"period-{index}-day"] = [day]
        data[f"period-{index}-start"] = [start]
        data[f"period-{index}-end"] = [end]
    return data


def test_the_page_lists_each_team_with_its_own_hours_or_the_default(admin_client_, teams) -> None:
    html = page_html(admin_client_)
    assert "uses the default" in row_html(html, "team-hours-billing")
    assert "Own hours" in row_html(html, "team-hours-support-us")
    document = sla_settings_document()
    document["team_schedules"] = [
        {
            "teams": ["support-us"],
            "timezone": "America/New_York",
            "working_hours": {day: [["08:00", "18:00"]] for day in WEEKDAYS},
            "holidays": [{"date": "2026-11-26", "name": "Thanksgiving", "recurring": False}],
        }
    ]
    sla_settings_save(document=document, actor=None, via="command")
    html = page_html(admin_client_)
    row = text_of(html, "ts-0-row")
    assert "Support US" in row and "America/New_York" in row
    assert "Mon–Fri 08:00–18:00" in row and "1 holiday" in row
    # The team with its own hours no longer reads "uses the default" (its row is hidden).
    assert "d-none" in row_html(html, "team-hours-support-us").split(">", 1)[0]
    assert "d-none" not in row_html(html, "team-hours-billing").split(">", 1)[0]
    assert "uses the default" in text_of(html, "team-hours-billing")


def test_own_hours_start_from_the_default_and_save_as_the_teams_schedule(
    admin_client_, teams
) -> None:
    html = page_html(admin_client_, url("support-us"))
    data = form_data(html, "team-hours-form")
    assert data["timezone"] == ["Europe/Stockholm"]  # the default's, as a start
    assert data["period-0-start"] == ["09:00"]
    data = with_hours(data, {day: [("08:00", "18:00")] for day in WEEKDAYS})
    data["timezone"] = ["America/New_York"]
    response = post(admin_client_, "support-us", data, intent="save")
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = sla_settings_document()["team_schedules"]
    assert saved == [
        {
            "teams": ["support-us"],
            "timezone": "America/New_York",
            "working_hours": {
                day: ([["08:00", "18:00"]] if day in WEEKDAYS else [])
                for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
            "holidays": [{"date": "2026-12-24", "name": "Julafton", "recurring": True}],
        }
    ]
    assert SlaSettingsChange.objects.first().via == "page"
    # The default schedule is unchanged.
    assert sla_settings_document()["timezone"] == "Europe/Stockholm"


def test_public_holidays_of_a_country_are_added_as_rows_and_saved_for_open_tickets(
    admin_client_, teams, django_capture_on_commit_callbacks
) -> None:
    from django.utils import timezone

    ticket_create(
        subject="s",
        body="b",
        requester_email="a@example.com",
        team=teams["support-us"],
        now=timezone.now(),
    )
    data = form_data(page_html(admin_client_, url("support-us")), "team-hours-form")
    data.update(country=["US"], subdivision=["NY"], first_year=["2026"], last_year=["2027"])
    response = post(admin_client_, "support-us", data, intent="add_public_holidays")
    assert response.status_code == 200
    html = response.content.decode()
    assert "holidays added" in text_of(html, "source-message")
    added = form_data(html, "team-hours-form")
    dates = [v[0] for k, v in added.items() if k.endswith("-date")]
    names = [v[0] for k, v in added.items() if k.endswith("-name")]
    assert "2026-11-26" in dates and "2027-11-25" in dates  # Thanksgiving, both years
    assert "Thanksgiving Day" in names
    assert "2026-12-24" in dates  # the typed row is kept
    assert sla_settings_document()["team_schedules"] == []  # nothing saved yet
    added["apply_to"] = ["new_and_open"]
    with django_capture_on_commit_callbacks():
        response = post(admin_client_, "support-us", added, intent="save")
    assert response.status_code == 302
    assert "?recompute=" in response["Location"]
    holidays = sla_settings_document()["team_schedules"][0]["holidays"]
    assert {"date": "2026-11-26", "name": "Thanksgiving Day", "recurring": False} in holidays
    assert SlaRecompute.objects.count() == 1


def test_an_ics_file_adds_its_days(admin_client_, teams) -> None:
    data = form_data(page_html(admin_client_, url("billing")), "team-hours-form")
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20261228\r\nDTEND;VALUE=DATE:20261231\r\n"
        b"SUMMARY:Year-end closing\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    flat = {k: v if len(v) > 1 else v[0] for k, v in data.items()}
    flat["ics_file"] = SimpleUploadedFile("closed.ics", ics, content_type="text/calendar")
    response = admin_client_.post(url("billing"), {**flat, "intent": "import_ics"})
    assert response.status_code == 200
    added = form_data(response.content.decode(), "team-hours-form")
    dates = sorted(v[0] for k, v in added.items() if k.endswith("-date") and v[0])
    assert dates == ["2026-12-24", "2026-12-28", "2026-12-29", "2026-12-30"]
    # A file that is no calendar gets a message and changes nothing.
    flat["ics_file"] = SimpleUploadedFile("x.ics", b"hello", content_type="text/calendar")
    response = admin_client_.post(url("billing"), {**flat, "intent": "import_ics"})
    assert response.status_code == 400
    assert "Not an iCalendar" in text_of(response.content.decode(), "form-errors")


def test_bad_hours_are_marked_on_their_row_and_nothing_is_saved(admin_client_, teams) -> None:
    data = form_data(page_html(admin_client_, url("support-us")), "team-hours-form")
    data = with_hours(data, {"mon": [("10:00", "09:00")]})
    before = SlaSettingsChange.objects.count()
    response = post(admin_client_, "support-us", data, intent="save")
    assert response.status_code == 400
    html = response.content.decode()
    assert "at or before" in text_of(html, "period-0-row")
    assert SlaSettingsChange.objects.count() == before
    # An unknown country says so.
    data = form_data(page_html(admin_client_, url("support-us")), "team-hours-form")
    data.update(country=["US"], subdivision=["ZZ"])
    response = post(admin_client_, "support-us", data, intent="add_public_holidays")
    assert "not a subdivision" in text_of(response.content.decode(), "form-errors")
    # In Swedish for a Swedish reader.
    flat = {k: v if len(v) > 1 else v[0] for k, v in data.items()}
    response = admin_client_.post(
        url("support-us"),
        {**flat, "intent": "add_public_holidays"},
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    errors = text_of(response.content.decode(), "form-errors")
    assert "är ingen delregion i US (välj bland" in errors


def test_a_team_goes_back_to_the_default_hours(admin_client_, teams) -> None:
    data = form_data(page_html(admin_client_, url("support-us")), "team-hours-form")
    assert post(admin_client_, "support-us", data, intent="save").status_code == 302
    assert len(sla_settings_document()["team_schedules"]) == 1
    data = form_data(page_html(admin_client_, url("support-us")), "team-hours-form")
    assert post(admin_client_, "support-us", data, intent="use_default").status_code == 302
    assert sla_settings_document()["team_schedules"] == []


def test_agents_cannot_open_the_team_hours_page(agent_client, teams) -> None:
    assert agent_client.get(url("support-us")).status_code == 403
    assert agent_client.post(url("support-us"), {"intent": "use_default"}).status_code == 403


def test_public_holidays_are_added_to_the_default_schedule_too(admin_client_, teams) -> None:
    # The settings page adds them in its holidays dialog; this page stays for browsers without
    # JavaScript and for links kept from before.
    assert "default-src-country" in page_html(admin_client_)
    data = form_data(page_html(admin_client_, "/settings/sla/default-hours/"), "team-hours-form")
    assert data["timezone"] == ["Europe/Stockholm"]
    data.update(country=["SE"], first_year=["2027"], last_year=["2027"])
    response = admin_client_.post(
        "/settings/sla/default-hours/",
        {
            **{k: v if len(v) > 1 else v[0] for k, v in data.items()},
            "intent": "add_public_holidays",
        },
    )
    assert response.status_code == 200
    added = form_data(response.content.decode(), "team-hours-form")
    response = admin_client_.post(
        "/settings/sla/default-hours/",
        {**{k: v if len(v) > 1 else v[0] for k, v in added.items()}, "intent": "save"},
    )
    assert response.status_code == 302
    document = sla_settings_document()
    dates = {h["date"] for h in document["holidays"]}
    assert "2027-06-06" in dates  # Sweden's National Day
    assert "2026-12-24" in dates  # the one already listed
    assert document["team_schedules"] == []
    # Errors land on the default's rows.
    bad = with_hours(
        form_data(page_html(admin_client_, "/settings/sla/default-hours/"), "team-hours-form"),
        {"tue": [("12:00", "11:00")]},
    )
    response = admin_client_.post(
        "/settings/sla/default-hours/",
        {**{k: v if len(v) > 1 else v[0] for k, v in bad.items()}, "intent": "save"},
    )
    assert response.status_code == 400
    assert "at or before" in text_of(response.content.decode(), "period-0-row")
