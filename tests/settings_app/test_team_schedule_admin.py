"""Team schedules in the Django admin (SPEC §2.1, §2.7): added, changed and deleted through the
one settings service (via "admin", new tickets only) with the settings page's schedule forms, its
errors next to the fields and rows they name, nothing saved while anything is wrong or stale."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from settings_app.models import SlaSettingsChange, Team, TeamSchedule
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.factories import goal_row, sla_document
from tests.settings_app.pages.helpers import form_data, text_of

ADD_URL = "/admin/settings_app/teamschedule/add/"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


@pytest.fixture
def teams(db) -> dict[str, Team]:
    sla_settings_save(
        document=sla_document(
            applies="working_hours",
            timezone="Europe/Stockholm",
            working_hours={day: [["09:00", "17:00"]] for day in WEEKDAYS},
            goals=[goal_row(first_response=(60, 15))],
        ),
        actor=None,
        via="command",
    )
    return {
        slug: Team.objects.create(slug=slug, name=name)
        for slug, name in (("support-us", "Support US"), ("billing", "Billing"))
    }


def _form(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200
    data = form_data(response.content.decode(), "teamschedule_form")
    data["_save"] = ["Save"]
    return data


def _add_period(data: dict, day: str, start: str, end: str) -> None:
    """Fill the day's blank row (the form shows one on each day), or add a row."""
    rows = [k[: -len("-day")] for k, v in data.items() if k.endswith("-day") and v == [day]]
    blank = [row for row in rows if not data[f"{row}-start"][0] and not data[f"{row}-end"][0]]
    if blank:
        row = blank[0]
    else:
        total = int(data["ts-0-period-TOTAL_FORMS"][0])
        row = f"ts-0-period-{total}"
        data["ts-0-period-TOTAL_FORMS"] = [str(total + 1)]
        data[f"{row}-day"] = [day]
    data[f"{row}-start"], data[f"{row}-end"] = [start], [end]


def _clear_periods(data: dict) -> None:
    for key in data:
        if key.startswith("ts-0-period-") and key.endswith(("-start", "-end")):
            data[key] = [""]


def test_a_team_schedule_is_added_and_changed_through_the_service(admin_client_, teams) -> None:
    data = _form(admin_client_, ADD_URL)
    assert data["ts-0-timezone"] == ["Europe/Stockholm"]  # the default schedule's, to start
    data["ts-0-teams"] = ["support-us"]
    data["ts-0-timezone"] = ["America/New_York"]
    _clear_periods(data)
    for day in WEEKDAYS:
        _add_period(data, day, "08:00", "18:00")
    response = admin_client_.post(ADD_URL, data)
    assert response.status_code == 302, text_of(response.content.decode(), "form-errors")
    saved = sla_settings_document()["team_schedules"]
    assert saved[0]["teams"] == ["support-us"]
    assert saved[0]["timezone"] == "America/New_York"
    assert saved[0]["working_hours"]["mon"] == [["08:00", "18:00"]]
    change = SlaSettingsChange.objects.first()
    assert change.via == "admin" and change.apply_to == "new"

    schedule = TeamSchedule.objects.get()
    url = f"/admin/settings_app/teamschedule/{schedule.pk}/change/"
    data = _form(admin_client_, url)
    assert data["ts-0-teams"] == ["support-us"]
    data["ts-0-teams"] = ["support-us", "billing"]
    response = admin_client_.post(url, data)
    assert response.status_code == 302, text_of(response.content.decode(), "form-errors")
    assert sorted(sla_settings_document()["team_schedules"][0]["teams"]) == [
        "billing",
        "support-us",
    ]


def test_a_bad_team_schedule_shows_its_errors_and_saves_nothing(admin_client_, teams) -> None:
    data = _form(admin_client_, ADD_URL)
    data["ts-0-teams"] = ["billing"]
    data["ts-0-timezone"] = ["Europe/Stockholm"]
    _clear_periods(data)
    _add_period(data, "mon", "09:00", "12:00")
    _add_period(data, "mon", "11:00", "13:00")
    before = SlaSettingsChange.objects.count()
    response = admin_client_.post(ADD_URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    second = next(
        k[: -len("-start")] for k, v in data.items() if k.endswith("-start") and v == ["11:00"]
    )
    assert "Overlaps 09:00–12:00 on Monday" in text_of(html, f"{second}-row")
    assert "Nothing was saved" in text_of(html, "form-errors")
    assert form_data(html, "teamschedule_form")[f"{second}-start"] == ["11:00"]
    assert SlaSettingsChange.objects.count() == before
    assert not TeamSchedule.objects.exists()


def test_a_schedule_needs_a_team_and_a_team_counts_in_one_only(admin_client_, teams) -> None:
    document = sla_settings_document()
    document["team_schedules"] = [
        {
            "teams": ["billing"],
            "timezone": "Europe/London",
            "working_hours": {"mon": [["09:00", "17:00"]]},
            "holidays": [],
        }
    ]
    sla_settings_save(document=document, actor=None, via="command")
    data = _form(admin_client_, ADD_URL)
    data["ts-0-teams"] = []
    html = admin_client_.post(ADD_URL, data).content.decode()
    assert "Choose at least one team" in text_of(html, "schedule-fields")
    data["ts-0-teams"] = ["billing"]
    html = admin_client_.post(ADD_URL, data).content.decode()
    assert "Billing" in text_of(html, "schedule-fields")
    assert "one schedule" in text_of(html, "schedule-fields")
    assert TeamSchedule.objects.count() == 1


def test_a_stale_schedule_form_is_refused(admin_client_, teams) -> None:
    data = _form(admin_client_, ADD_URL)
    data["ts-0-teams"] = ["billing"]
    sla_settings_save(document={"timezone": "Europe/Oslo"}, actor=None, via="api")
    response = admin_client_.post(ADD_URL, data)
    assert response.status_code == 200
    assert "changed since you opened this page" in text_of(response.content.decode(), "form-errors")
    # Saving the shown form again is refused again: only a reload shows the current settings.
    again = form_data(response.content.decode(), "teamschedule_form")
    again["_save"] = ["Save"]
    response = admin_client_.post(ADD_URL, again)
    assert "changed since you opened this page" in text_of(response.content.decode(), "form-errors")
    assert not TeamSchedule.objects.exists()


def test_deleting_a_team_schedule_goes_through_the_service(admin_client_, teams) -> None:
    document = sla_settings_document()
    document["team_schedules"] = [
        {
            "teams": ["billing"],
            "timezone": "Europe/London",
            "working_hours": {"mon": [["09:00", "17:00"]]},
            "holidays": [],
        }
    ]
    sla_settings_save(document=document, actor=None, via="command")
    schedule = TeamSchedule.objects.get()
    url = f"/admin/settings_app/teamschedule/{schedule.pk}/delete/"
    response = admin_client_.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert sla_settings_document()["team_schedules"] == []
    assert SlaSettingsChange.objects.first().via == "admin"


def test_support_staff_cannot_add_or_change_team_schedules(client, agent, teams) -> None:
    agent.user_permissions.set(Permission.objects.all())
    client.force_login(agent)
    assert client.get("/admin/settings_app/teamschedule/").status_code == 403
    assert client.get(ADD_URL).status_code == 403
    assert client.post(ADD_URL, {"ts-0-teams": ["billing"]}).status_code == 403
    assert not TeamSchedule.objects.exists()
