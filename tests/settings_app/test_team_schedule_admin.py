"""Team schedules in the Django admin (SPEC §2.1, §2.7): added, changed and deleted through the
one settings service (via "admin", new tickets only), its errors on the fields and inline rows,
nothing saved while anything is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from settings_app.models import SlaSettingsChange, Team, TeamSchedule
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.factories import goal_row, sla_document
from tests.settings_app.pages.helpers import form_data
from tests.settings_app.test_admin import errors_shown

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


def _add_period(data: dict, weekday: int, start: str, end: str) -> None:
    prefix = next(k for k in data if k.endswith("-TOTAL_FORMS") and "period" in k)[:-12]
    total = int(data[f"{prefix}-TOTAL_FORMS"][0])
    data[f"{prefix}-{total}-weekday"] = [str(weekday)]
    data[f"{prefix}-{total}-start"] = [start]
    data[f"{prefix}-{total}-end"] = [end]
    data[f"{prefix}-TOTAL_FORMS"] = [str(total + 1)]


def test_a_team_schedule_is_added_and_changed_through_the_service(admin_client_, teams) -> None:
    data = _form(admin_client_, ADD_URL)
    data["teams"] = [str(teams["support-us"].pk)]
    data["timezone"] = ["America/New_York"]
    for weekday in range(5):
        _add_period(data, weekday, "08:00", "18:00")
    response = admin_client_.post(ADD_URL, data)
    assert response.status_code == 302, errors_shown(response.content.decode())
    saved = sla_settings_document()["team_schedules"]
    assert saved[0]["teams"] == ["support-us"]
    assert saved[0]["timezone"] == "America/New_York"
    assert saved[0]["working_hours"]["mon"] == [["08:00", "18:00"]]
    change = SlaSettingsChange.objects.first()
    assert change.via == "admin" and change.apply_to == "new"

    schedule = TeamSchedule.objects.get()
    url = f"/admin/settings_app/teamschedule/{schedule.pk}/change/"
    data = _form(admin_client_, url)
    data["teams"] = [str(teams["support-us"].pk), str(teams["billing"].pk)]
    response = admin_client_.post(url, data)
    assert response.status_code == 302, errors_shown(response.content.decode())
    assert sorted(sla_settings_document()["team_schedules"][0]["teams"]) == [
        "billing",
        "support-us",
    ]


def test_a_bad_team_schedule_shows_its_errors_and_saves_nothing(admin_client_, teams) -> None:
    data = _form(admin_client_, ADD_URL)
    data["teams"] = [str(teams["billing"].pk)]
    data["timezone"] = ["Europe/Stockholm"]
    _add_period(data, 0, "09:00", "12:00")
    _add_period(data, 0, "11:00", "13:00")
    before = SlaSettingsChange.objects.count()
    response = admin_client_.post(ADD_URL, data)
    assert response.status_code == 200
    assert "Overlaps 09:00–12:00 on Monday" in errors_shown(response.content.decode())
    assert SlaSettingsChange.objects.count() == before
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


def test_agents_see_no_team_schedules_in_the_admin(client, agent, teams) -> None:
    agent.is_staff = True
    agent.save()
    client.force_login(agent)
    assert client.get("/admin/settings_app/teamschedule/").status_code in (302, 403)
