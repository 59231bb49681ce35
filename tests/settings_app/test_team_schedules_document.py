"""Team schedules in the settings document (SPEC §2.1 "Team schedules", §7 ``team_schedules``):
validation with field paths, kept when left out, teams held by record, audit entries per
schedule, refused deletion of a team that has one."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client

from settings_app.models import SlaSettingsChange, Team, TeamSchedule
from settings_app.services import ReferenceInUse, reference_delete, sla_settings_save

URL = "/api/sla/settings/"
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

NEW_YORK = {
    "teams": ["support-us"],
    "timezone": "America/New_York",
    "working_hours": {"mon": [["08:00", "18:00"]], "tue": [["08:00", "18:00"]]},
    "holidays": [{"date": "2026-07-03", "name": "Independence Day (observed)", "recurring": False}],
}
BASE: dict[str, Any] = {
    "applies": "working_hours",
    "timezone": "Europe/Stockholm",
    "working_hours": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]},
    "holidays": [],
    "goals_enabled": True,
    "scope": "all",
    "property": None,
    "goals": [{"value": None, "enabled": True, "close_minutes": 480}],
    "team_schedules": [NEW_YORK],
}


def put(client: Client, body: Any) -> Any:
    return client.put(URL, json.dumps(body), content_type="application/json")


@pytest.fixture
def teams(db) -> dict[str, Team]:
    return {
        slug: Team.objects.create(slug=slug, name=name)
        for slug, name in (
            ("support-us", "Support US"),
            ("support-se", "Support Sweden"),
            ("billing", "Billing"),
        )
    }


def test_get_shows_each_team_schedule_with_all_seven_days(admin_client_, teams) -> None:
    response = put(admin_client_, BASE)
    assert response.status_code == 200, response.content
    body = admin_client_.get(URL).json()
    assert body["team_schedules"] == [
        {
            "teams": ["support-us"],
            "timezone": "America/New_York",
            "working_hours": {
                day: ([["08:00", "18:00"]] if day in ("mon", "tue") else []) for day in WEEK
            },
            "holidays": NEW_YORK["holidays"],
        }
    ]
    # The default schedule is untouched by the team's.
    assert body["timezone"] == "Europe/Stockholm"
    assert body["working_hours"]["mon"] == [["09:00", "17:00"]]


def test_left_out_team_schedules_are_kept_and_an_empty_list_clears_them(
    admin_client_, teams
) -> None:
    assert put(admin_client_, BASE).status_code == 200
    without = {k: v for k, v in BASE.items() if k != "team_schedules"}
    without["goals"] = [{"value": None, "enabled": True, "close_minutes": 600}]
    assert put(admin_client_, without).status_code == 200
    assert admin_client_.get(URL).json()["team_schedules"][0]["teams"] == ["support-us"]
    assert put(admin_client_, {**without, "team_schedules": []}).status_code == 200
    assert admin_client_.get(URL).json()["team_schedules"] == []
    assert not TeamSchedule.objects.exists()


@pytest.mark.parametrize(
    ("schedules", "path", "words"),
    [
        (
            [{**NEW_YORK, "teams": ["support-us", "nobody"]}],
            "team_schedules.0.teams.1",
            "is not a team",
        ),
        (
            [NEW_YORK, {**NEW_YORK, "teams": ["billing", "support-us"]}],
            "team_schedules.1.teams.1",
            "already has a schedule",
        ),
        ([{**NEW_YORK, "timezone": "Mars/Olympus"}], "team_schedules.0.timezone", "not a known"),
        ([{**NEW_YORK, "timezone": "posix/Europe/Stockholm"}], "team_schedules.0.timezone", ""),
        ([{**NEW_YORK, "timezone": "localtime"}], "team_schedules.0.timezone", "not accepted"),
        (
            [{**NEW_YORK, "working_hours": {"mon": [["10:00", "09:00"]]}}],
            "team_schedules.0.working_hours.mon.0",
            "at or before",
        ),
        (
            [{**NEW_YORK, "working_hours": {"wed": [["08:00", "12:00"], ["11:00", "13:00"]]}}],
            "team_schedules.0.working_hours.wed.1",
            "Overlaps",
        ),
        ([{**NEW_YORK, "working_hours": {}}], "team_schedules.0.working_hours", "at least one"),
        (
            [{**NEW_YORK, "holidays": [{"date": "2026-13-01"}]}],
            "team_schedules.0.holidays.0.date",
            "not a date",
        ),
        ([{**NEW_YORK, "teams": []}], "team_schedules.0.teams", "Required"),
        ([{**NEW_YORK, "colour": "red"}], "team_schedules.0.colour", "Unknown field"),
        ("support-us", "team_schedules", "Must be a list"),
    ],
)
def test_bad_team_schedules_are_refused_with_their_path_and_nothing_is_saved(
    admin_client_, teams, schedules, path, words
) -> None:
    assert put(admin_client_, {**BASE, "team_schedules": []}).status_code == 200
    version = admin_client_.get(URL).json()["version"]
    response = put(admin_client_, {**BASE, "team_schedules": schedules})
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert path in errors, errors
    assert words in " ".join(errors[path])
    body = admin_client_.get(URL).json()
    assert body["version"] == version and body["team_schedules"] == []


def test_a_team_schedule_may_be_empty_under_24_7(admin_client_, teams) -> None:
    schedule = {**NEW_YORK, "working_hours": {}}
    body = {**BASE, "applies": "always", "team_schedules": [schedule]}
    assert put(admin_client_, body).status_code == 200


def test_a_renamed_team_keeps_its_schedule(admin_client_, teams) -> None:
    assert put(admin_client_, BASE).status_code == 200
    team = teams["support-us"]
    team.slug, team.name = "support-americas", "Support Americas"
    team.save()
    assert admin_client_.get(URL).json()["team_schedules"][0]["teams"] == ["support-americas"]


def test_a_team_with_a_schedule_cannot_be_deleted(admin_client_, teams) -> None:
    assert put(admin_client_, BASE).status_code == 200
    with pytest.raises(ReferenceInUse) as refused:
        reference_delete(obj=teams["support-us"])
    assert "working hours" in str(refused.value)
    assert Team.objects.filter(slug="support-us").exists()
    reference_delete(obj=teams["billing"])  # one without a schedule goes


def test_audit_entries_name_each_schedule_and_its_changed_fields(admin_client_, teams) -> None:
    assert put(admin_client_, {**BASE, "team_schedules": []}).status_code == 200
    stockholm = {
        "teams": ["support-se", "billing"],
        "timezone": "Europe/Stockholm",
        "working_hours": {"mon": [["07:00", "15:00"]]},
        "holidays": [],
    }
    assert put(admin_client_, {**BASE, "team_schedules": [NEW_YORK, stockholm]}).status_code == 200
    changes = {c["field"]: c for c in SlaSettingsChange.objects.first().changes}
    assert changes["team_schedules[support-us].timezone"]["after"] == "America/New_York"
    assert changes["team_schedules[support-us].working_hours.mon"]["after"] == "08:00–18:00"
    assert changes["team_schedules[support-se+billing].working_hours.mon"] == {
        "field": "team_schedules[support-se+billing].working_hours.mon",
        "before": "off",
        "after": "07:00–15:00",
    }
    assert "team_schedules[support-us].working_hours.wed" not in changes  # off before and after

    moved = copy.deepcopy(NEW_YORK)
    moved["working_hours"]["tue"] = [["09:00", "18:00"]]
    assert put(admin_client_, {**BASE, "team_schedules": [moved, stockholm]}).status_code == 200
    changes = SlaSettingsChange.objects.first().changes
    assert [c["field"] for c in changes] == ["team_schedules[support-us].working_hours.tue"]


def test_saving_the_same_team_schedules_again_changes_nothing(admin_client_, teams) -> None:
    assert put(admin_client_, BASE).status_code == 200
    entries = SlaSettingsChange.objects.count()
    document = admin_client_.get(URL).json()
    assert put(admin_client_, document).status_code == 200
    assert SlaSettingsChange.objects.count() == entries


def test_the_service_saves_team_schedules_for_every_interface(teams) -> None:
    result = sla_settings_save(document=BASE, actor=None, via="admin")
    assert result.changed
    assert result.document["team_schedules"][0]["timezone"] == "America/New_York"


def test_a_goal_beyond_five_years_in_a_team_schedule_is_refused_naming_it(
    admin_client_, teams
) -> None:
    sparse = {**NEW_YORK, "working_hours": {"mon": [["09:00", "10:00"]]}, "holidays": []}
    body = {**BASE, "goals": [{"value": None, "enabled": True, "close_minutes": 200_000}]}
    response = put(admin_client_, {**body, "team_schedules": [sparse]})
    assert response.status_code == 400, response.content
    message = " ".join(response.json()["errors"]["goals.0.close_minutes"])
    assert "five" in message or "5" in message
    assert "support-us" in message and "America/New_York" in message
    # The default schedule alone holds the goal: without the team schedule it is accepted.
    assert put(admin_client_, {**body, "team_schedules": []}).status_code == 200
    # A kept (left out) sparse schedule is checked too.
    assert put(admin_client_, {**BASE, "team_schedules": [sparse]}).status_code == 200
    response = put(admin_client_, {k: v for k, v in body.items() if k != "team_schedules"})
    assert response.status_code == 400
    assert "goals.0.close_minutes" in response.json()["errors"]


def test_with_goals_per_team_only_the_teams_rows_are_checked_in_its_schedule(
    admin_client_, teams
) -> None:
    sparse = {**NEW_YORK, "working_hours": {"mon": [["09:00", "10:00"]]}, "holidays": []}
    body = {
        **BASE,
        "scope": "property",
        "property": "team",
        "goals": [
            {"value": "billing", "enabled": True, "close_minutes": 200_000},
            {"value": "support-us", "enabled": True, "close_minutes": 60},
        ],
        "team_schedules": [sparse],
    }
    assert put(admin_client_, body).status_code == 200
    body["goals"][1]["close_minutes"] = 200_000
    response = put(admin_client_, body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["goals.1.close_minutes"]
