"""Team schedules edited on the settings page itself (SPEC §2.1, issue 23): the working-hours
section lists the default and each team schedule ("uses the default" otherwise); each schedule's
teams, zone, periods and holidays come with the page's POST (``ts-N-…``) and are saved with the
rest of the page through ``sla_settings_save``: several teams in one schedule, a team in two
schedules or a schedule without a team refused next to its field, "Remove" explicit. Public
holidays and .ics files come from ``/settings/sla/holiday-source/`` as rows to add."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from settings_app.models import SlaSettingsChange, Team
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.factories import goal_row, sla_document
from tests.settings_app.pages.helpers import (
    SLA_URL,
    FormData,
    form_data,
    page_html,
    row_html,
    text_of,
)
from tickets.models import SlaRecompute
from tickets.services import ticket_create

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
SOURCE_URL = "/settings/sla/holiday-source/"


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
        slug: Team.objects.create(slug=slug, name=name)
        for slug, name in (
            ("support-us", "Support US"),
            ("sales-us", "Sales US"),
            ("billing", "Billing"),
        )
    }


def with_schedule(
    data: FormData,
    index: int,
    *,
    teams: list[str],
    zone: str = "America/New_York",
    hours: dict[str, list[tuple[str, str]]] | None = None,
    holidays: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> FormData:
    """``data`` with schedule ``index`` set as a dialog would post it (rows replaced)."""
    prefix = f"ts-{index}"
    data = {k: v for k, v in data.items() if not k.startswith(f"{prefix}-")}
    data["ts-TOTAL_FORMS"] = [str(max(index + 1, int(data.get("ts-TOTAL_FORMS", ["0"])[0])))]
    data[f"{prefix}-teams"] = list(teams)
    data[f"{prefix}-timezone"] = [zone]
    rows = [
        (day, start, end)
        for day, periods in (hours or {d: [("08:00", "18:00")] for d in WEEKDAYS}).items()
        for start, end in periods
    ]
    data[f"{prefix}-period-TOTAL_FORMS"] = [str(len(rows))]
    data[f"{prefix}-period-INITIAL_FORMS"] = ["0"]
    for i, (day, start, end) in enumerate(rows):
        data[f"{prefix}-period-{i}-day"] = [day]
        data[f"{prefix}-period-{i}-start"] = [start]
        data[f"{prefix}-period-{i}-end"] = [end]
    data[f"{prefix}-holiday-TOTAL_FORMS"] = [str(len(holidays))]
    data[f"{prefix}-holiday-INITIAL_FORMS"] = ["0"]
    for i, (date, name) in enumerate(holidays):
        data[f"{prefix}-holiday-{i}-date"] = [date]
        data[f"{prefix}-holiday-{i}-name"] = [name]
    return data


def post(client: Client, data: FormData, **extra: Any) -> Any:
    return client.post(SLA_URL, {**data, **{k: [v] for k, v in extra.items()}})


def test_the_section_lists_the_default_each_schedule_and_the_teams_on_the_default(
    admin_client_, teams
) -> None:
    document = sla_settings_document()
    document["team_schedules"] = [
        {
            "teams": ["support-us", "sales-us"],
            "timezone": "America/New_York",
            "working_hours": {day: [["08:00", "18:00"]] for day in WEEKDAYS},
            "holidays": [{"date": "2026-11-26", "name": "Thanksgiving", "recurring": False}],
        }
    ]
    sla_settings_save(document=document, actor=None, via="command")
    html = page_html(admin_client_)
    row = text_of(html, "ts-0-row")
    assert "Sales US, Support US" in row
    assert "America/New_York" in row and "Mon–Fri 08:00–18:00" in row and "1 holiday" in row
    assert "uses the default" in text_of(html, "team-hours-billing")
    assert "d-none" not in row_html(html, "team-hours-billing").split(">", 1)[0]
    for slug in ("support-us", "sales-us"):
        assert "d-none" in row_html(html, f"team-hours-{slug}").split(">", 1)[0]
    # Its dialog holds the teams, zone, periods, holidays and the one-step holiday sources.
    data = form_data(html)
    assert data["ts-TOTAL_FORMS"] == ["1"]
    assert sorted(data["ts-0-teams"]) == ["sales-us", "support-us"]
    assert data["ts-0-timezone"] == ["America/New_York"]
    assert data["ts-0-period-0-start"] == ["08:00"]
    assert data["ts-0-holiday-0-name"] == ["Thanksgiving"]
    assert 'id="ts-0-src-country"' in html and 'id="ts-0-src-ics"' in html
    # A new schedule is cloned from a template that starts from the default hours.
    assert 'id="ts-__ts__-modal"' in html and "ts-__ts__-period-0-start" in html


def test_two_teams_get_one_new_york_schedule_saved_with_the_page_for_open_tickets(
    admin_client_, teams, django_capture_on_commit_callbacks
) -> None:
    ticket_create(
        subject="s",
        body="b",
        requester_email="a@example.com",
        team=teams["sales-us"],
        now=timezone.now(),
    )
    data = with_schedule(
        form_data(page_html(admin_client_)),
        0,
        teams=["support-us", "sales-us"],
        hours={"mon": [("22:00", "24:00")], "tue": [("00:00", "06:00"), ("08:00", "12:00")]},
        holidays=[("2026-11-26", "Thanksgiving Day")],
    )
    # The check answers the apply dialog: what changes and the open ticket it may apply to.
    response = admin_client_.post("/settings/sla/check/", data)
    body = response.content.decode()
    assert 'data-outcome="changed"' in body and 'data-open-tickets="1"' in body
    assert "America/New_York" in body
    with django_capture_on_commit_callbacks():
        response = post(admin_client_, data, intent="save", apply_to="new_and_open")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert "?recompute=" in response["Location"]
    saved = sla_settings_document()
    assert saved["team_schedules"] == [
        {
            "teams": ["sales-us", "support-us"],  # in the page's order, by name
            "timezone": "America/New_York",
            "working_hours": {
                "mon": [["22:00", "24:00"]],
                "tue": [["00:00", "06:00"], ["08:00", "12:00"]],
                "wed": [],
                "thu": [],
                "fri": [],
                "sat": [],
                "sun": [],
            },
            "holidays": [{"date": "2026-11-26", "name": "Thanksgiving Day", "recurring": False}],
        }
    ]
    assert saved["timezone"] == "Europe/Stockholm"  # the default is as it was
    change = SlaSettingsChange.objects.first()
    assert change.via == "page" and change.apply_to == "new_and_open"
    assert SlaRecompute.objects.count() == 1
    # Saving the page again unchanged keeps the schedule (and changes nothing).
    before = SlaSettingsChange.objects.count()
    response = post(admin_client_, form_data(page_html(admin_client_)), intent="save")
    assert response.status_code == 302
    assert SlaSettingsChange.objects.count() == before
    assert len(sla_settings_document()["team_schedules"]) == 1


def test_a_team_in_two_schedules_is_refused_next_to_the_teams(admin_client_, teams) -> None:
    data = with_schedule(form_data(page_html(admin_client_)), 0, teams=["support-us"])
    data = with_schedule(data, 1, teams=["billing", "support-us"], zone="Europe/London")
    before = SlaSettingsChange.objects.count()
    response = post(admin_client_, data, intent="save")
    assert response.status_code == 200
    html = response.content.decode()
    message = text_of(html, "ts-1-modal")
    assert "Support US already counts in the hours of Support US" in message
    assert "one schedule only" in message
    assert "Working hours of Billing, Support US: fix the marked fields" in text_of(
        html, "form-errors"
    )
    assert "already counts" not in text_of(html, "ts-0-modal")
    assert SlaSettingsChange.objects.count() == before
    assert sla_settings_document()["team_schedules"] == []
    # What was typed is still there.
    again = form_data(html)
    assert again["ts-1-timezone"] == ["Europe/London"]
    assert sorted(again["ts-1-teams"]) == ["billing", "support-us"]


def test_a_schedule_without_a_team_is_refused_and_remove_is_explicit(admin_client_, teams) -> None:
    data = with_schedule(form_data(page_html(admin_client_)), 0, teams=[])
    response = post(admin_client_, data, intent="save")
    assert response.status_code == 200
    assert "Choose at least one team" in text_of(response.content.decode(), "ts-0-modal")
    assert sla_settings_document()["team_schedules"] == []

    data = with_schedule(form_data(page_html(admin_client_)), 0, teams=["billing"])
    assert post(admin_client_, data, intent="save").status_code == 302
    assert sla_settings_document()["team_schedules"][0]["teams"] == ["billing"]
    # "Remove" marks the schedule; its team uses the default again.
    data = form_data(page_html(admin_client_))
    data["ts-0-DELETE"] = ["on"]
    assert post(admin_client_, data, intent="save").status_code == 302
    assert sla_settings_document()["team_schedules"] == []
    assert "schedule" in SlaSettingsChange.objects.first().changes[0]["field"]


def test_the_services_errors_land_in_the_schedules_dialog(admin_client_, teams) -> None:
    data = with_schedule(
        form_data(page_html(admin_client_)),
        0,
        teams=["billing"],
        zone="Mars/Olympus",
        hours={"wed": [("12:00", "10:00")]},
        holidays=[("2026-12-25", "Christmas"), ("2026-12-25", "Again")],
    )
    response = post(admin_client_, data, intent="save")
    assert response.status_code == 200
    html = response.content.decode()
    dialog = text_of(html, "ts-0-modal")
    assert "Mars/Olympus" in dialog  # the zone refused, named
    assert "at or before" in text_of(html, "ts-0-period-0-row")
    assert "already listed" in text_of(html, "ts-0-holiday-1-row")
    assert "Some of these hours need fixing" in text_of(html, "ts-0-row")
    assert sla_settings_document()["team_schedules"] == []


def test_a_post_without_team_schedules_keeps_the_stored_ones(admin_client_, teams) -> None:
    data = with_schedule(form_data(page_html(admin_client_)), 0, teams=["billing"])
    assert post(admin_client_, data, intent="save").status_code == 302
    data = {k: v for k, v in form_data(page_html(admin_client_)).items() if not k.startswith("ts-")}
    data["timezone"] = ["Europe/Oslo"]
    assert post(admin_client_, data, intent="save").status_code == 302
    document = sla_settings_document()
    assert document["timezone"] == "Europe/Oslo"
    assert document["team_schedules"][0]["teams"] == ["billing"]


def test_holiday_sources_answer_rows_to_add(admin_client_, agent_client, teams) -> None:
    response = admin_client_.post(
        SOURCE_URL,
        {"country": "US", "subdivision": "ny", "first_year": "2026", "last_year": "2027"},
    )
    assert response.status_code == 200
    found = response.json()["holidays"]
    assert {"date": "2026-11-26", "name": "Thanksgiving Day"} in found
    assert {"date": "2027-11-25", "name": "Thanksgiving Day"} in found
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20261228\r\nDTEND;VALUE=DATE:20261230\r\n"
        b"SUMMARY:Year-end closing\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    response = admin_client_.post(
        SOURCE_URL,
        {"source": "ics", "ics_file": SimpleUploadedFile("c.ics", ics, "text/calendar")},
    )
    assert response.json() == {
        "holidays": [
            {"date": "2026-12-28", "name": "Year-end closing"},
            {"date": "2026-12-29", "name": "Year-end closing"},
        ]
    }
    refusals = [
        {"country": "US", "subdivision": "ZZ", "first_year": "2026", "last_year": "2026"},
        {"country": "", "first_year": "2026", "last_year": "2026"},
        {"country": "US", "first_year": "2020", "last_year": "2040"},
        {"source": "ics"},
        {"source": "ics", "ics_file": SimpleUploadedFile("x.ics", b"hello", "text/calendar")},
    ]
    for data in refusals:
        response = admin_client_.post(SOURCE_URL, data)
        assert response.status_code == 400, data
        assert response.json()["error"], data
    assert agent_client.post(SOURCE_URL, {"country": "US"}).status_code == 403
    assert admin_client_.get(SOURCE_URL).status_code == 405


def test_a_holiday_source_refuses_in_the_readers_language(admin_client_, teams) -> None:
    data = {"country": "US", "subdivision": "ZZ", "first_year": "2026", "last_year": "2026"}
    english = admin_client_.post(SOURCE_URL, data).json()["error"]
    swedish = admin_client_.post(SOURCE_URL, data, HTTP_ACCEPT_LANGUAGE="sv").json()["error"]
    assert "not a subdivision" in english
    assert "är ingen delregion i US (välj bland" in swedish


@pytest.mark.parametrize(
    ("old", "section"),
    [
        ("/settings/sla/team-hours/support-us/", "team-schedules"),
        ("/settings/sla/team-hours/no-such-team/", "team-schedules"),
        ("/settings/sla/default-hours/", "when-card"),
    ],
)
def test_the_old_pages_of_a_schedule_lead_to_the_settings_page_for_good(
    admin_client_, teams, old: str, section: str
) -> None:
    """Team and default hours were edited on pages of their own before the settings page's
    dialogs; a bookmark of one lands on the settings page's section."""
    response = admin_client_.get(old)
    assert (response.status_code, response["Location"]) == (301, f"/settings/sla/#{section}")
    landed = admin_client_.get(response["Location"])
    assert landed.status_code == 200
    assert f'id="{section}"' in landed.content.decode()


def test_a_schedules_hours_summary_comes_from_its_own_rows(admin_client_, teams) -> None:
    response = admin_client_.get(
        "/settings/sla/hours-summary/",
        {
            "prefix": "ts-3-period",
            "ts-3-period-TOTAL_FORMS": "1",
            "ts-3-period-INITIAL_FORMS": "0",
            "ts-3-period-0-day": "sat",
            "ts-3-period-0-start": "9:00",
            "ts-3-period-0-end": "12:00",
        },
    )
    body = response.content.decode()
    assert "Sat 09:00–12:00" in body and "day-note" not in body
    # Any other prefix reads the default's rows.
    response = admin_client_.get("/settings/sla/hours-summary/", {"prefix": "x-period"})
    assert response.status_code == 200
