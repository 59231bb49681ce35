"""Each schedule of the settings snapshot against the brute-force reference (SPEC §2.1 "Team
schedules", §6): the default schedule and every team schedule, as ``sla_config_get`` builds
them from the saved document (zone, several periods a day, overnight and ``24:00``, one-off and
recurring holidays), count exactly what the counting rule says, slot by slot, across each zone's
own daylight-saving changes."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from settings_app.models import Team
from settings_app.selectors import sla_config_get
from settings_app.services import sla_settings_save
from tests.factories import goal_row, sla_document
from tests.settings_app.test_business_time_properties import Reference, transitions

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SCHEDULES = {
    "default": {
        "timezone": "Europe/London",
        "working_hours": {"mon": [["09:00", "17:00"]], "wed": [["09:00", "12:30"]]},
        "holidays": [{"date": "2026-12-25", "name": "Christmas", "recurring": True}],
    },
    "support-se": {
        "timezone": "Europe/Stockholm",
        # An overnight shift (Fri 22:00–24:00, Sat 00:00–06:00) and a split day.
        "working_hours": {
            "tue": [["08:00", "11:55"], ["13:05", "16:00"]],
            "fri": [["22:00", "24:00"]],
            "sat": [["00:00", "06:00"]],
        },
        "holidays": [
            {"date": "2026-12-24", "name": "Julafton", "recurring": True},
            {"date": "2027-03-30", "name": "", "recurring": False},
        ],
    },
    "support-us": {
        "timezone": "America/New_York",
        "working_hours": {day: [["01:00", "03:00"], ["09:00", "17:00"]] for day in DAYS[:5]},
        "holidays": [{"date": "2026-11-26", "name": "Thanksgiving", "recurring": False}],
    },
    "support-au": {
        "timezone": "Australia/Lord_Howe",  # half-hour daylight-saving shift
        "working_hours": {"sun": [["00:00", "24:00"]], "thu": [["01:30", "02:30"]]},
        "holidays": [{"date": "2026-01-01", "name": "New Year", "recurring": True}],
    },
}


def _reference(schedule: dict) -> Reference:
    week: list[tuple[tuple[int, int], ...]] = []
    for day in DAYS:
        periods = []
        for start, end in schedule["working_hours"].get(day, []):
            h1, m1 = map(int, start.split(":"))
            h2, m2 = map(int, end.split(":"))
            periods.append(((h1 * 60 + m1) // 5, (h2 * 60 + m2) // 5))
        week.append(tuple(periods))
    holidays: set[date] = set()
    for holiday in schedule["holidays"]:
        day = date.fromisoformat(holiday["date"])
        if holiday["recurring"]:
            holidays |= {day.replace(year=year) for year in range(2020, 2040)}
        else:
            holidays.add(day)
    return Reference(schedule["timezone"], tuple(week), frozenset(holidays))


@pytest.fixture
def config(db):
    teams = {
        slug: Team.objects.create(slug=slug, name=slug) for slug in SCHEDULES if slug != "default"
    }
    Team.objects.create(slug="no-schedule", name="No schedule")
    document = sla_document(
        applies="working_hours",
        **SCHEDULES["default"],
        goals=[goal_row(first_response=(60, None))],
        team_schedules=[{"teams": [slug], **SCHEDULES[slug]} for slug in teams],
    )
    sla_settings_save(document=document, actor=None, via="command")
    return sla_config_get(today=date(2026, 12, 1)), {
        **teams,
        "no-schedule": Team.objects.get(slug="no-schedule"),
    }


@pytest.mark.parametrize(
    "slug", ["default", "no-schedule", "support-se", "support-us", "support-au"]
)
def test_every_schedule_of_the_snapshot_matches_the_reference(config, slug) -> None:
    snapshot, teams = config
    team_id = None if slug == "default" else teams[slug].pk
    schedule = snapshot.schedule_for_team(team_id)
    source = SCHEDULES["default" if slug == "no-schedule" else slug]
    reference = _reference(source)
    assert schedule.zone.key == source["timezone"]
    rng = random.Random(slug)
    # Starts near each of the zone's offset changes, and anywhere in 2026–2027.
    near = [t for t in transitions(source["timezone"]) if t.year in (2026, 2027)]
    for index in range(150):
        if index % 3 == 0 and near:
            start = rng.choice(near) + timedelta(minutes=rng.randint(-4000, 4000))
        else:
            start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 700_000))
        start += timedelta(seconds=rng.choice([0, 0, rng.randint(1, 59)]))
        duration = timedelta(minutes=rng.choice([0, 1, 5, 59, 60, 241, 480, 1440, 2400]))
        due = schedule.add_working_time(start, duration)
        assert due == reference.add(start, duration), (slug, start, duration)
        end = start + timedelta(minutes=rng.randint(0, 9000))
        assert schedule.working_time_between(start, end) == reference.between(start, end)


def test_teams_of_one_schedule_share_one_cached_working_schedule(db) -> None:
    for slug in ("a", "b", "c"):
        Team.objects.create(slug=slug, name=slug)
    document = sla_document(
        applies="working_hours",
        **SCHEDULES["default"],
        goals=[goal_row(first_response=(60, None))],
        team_schedules=[{"teams": ["a", "b"], **SCHEDULES["support-us"]}],
    )
    sla_settings_save(document=document, actor=None, via="command")
    snapshot = sla_config_get()
    a, b, c = (Team.objects.get(slug=slug).pk for slug in ("a", "b", "c"))
    assert snapshot.schedule_for_team(a) is snapshot.schedule_for_team(b)
    assert snapshot.schedule_for_team(c) is snapshot.schedule
    assert len(snapshot.schedules()) == 2
    assert sla_config_get() is snapshot  # cached until the settings change
