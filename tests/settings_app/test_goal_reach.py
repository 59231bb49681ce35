"""Bounded arithmetic (SPEC §2): a goal that would take more than five calendar years to count is
refused at save, by the API, the settings page and the admin, with a message naming the goal and
the schedule; what is accepted computes its due moments (the speed is in bench/goal_reach.py)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from settings_app.business_time import HOLIDAY_YEARS_AHEAD, WorkingSchedule
from settings_app.goal_reach import (
    GOAL_REACH_YEARS,
    GoalToCheck,
    counted_within_reach,
    goals_beyond_reach,
    years_later,
)
from settings_app.selectors import sla_settings_document
from settings_app.services import (
    SettingsValidationError,
    sla_settings_save,
    sla_settings_validate,
)
from tests.factories import goal_row, sla_document
from tests.settings_app.pages.helpers import SLA_URL, form_data, page_html, text_of
from tests.settings_app.test_admin import CHANGE_URL as ADMIN_URL
from tests.settings_app.test_admin import change_form as admin_form
from tickets.api_auth.models import ApiToken
from tickets.models import SlaClock

NOW = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)  # a Monday, 09:00 in Stockholm
YEAR_OF_MINUTES = 525_600


def hours(mon: list[list[str]], **days: list[list[str]]) -> dict[str, list[list[str]]]:
    return {"mon": mon, **days}


# The case: one minute a week and a year's goal (10,000 years away; it hung ticket
# creation for a minute and ended in OverflowError).
MINUTE_A_WEEK = sla_document(
    applies="working_hours",
    timezone="Europe/Stockholm",
    working_hours=hours([["09:00", "09:01"]]),
    goals=[goal_row(first_response=(60, None), close=(YEAR_OF_MINUTES, None))],
)


def _put(client: Client, document: dict[str, Any]) -> Any:
    return client.put("/api/sla/settings/", json.dumps(document), content_type="application/json")


@pytest.fixture
def api(super_admin) -> Client:
    token = ApiToken.objects.create(user=super_admin, key=ApiToken.generate_key())
    return Client(headers={"Authorization": f"Token {token.key}"})


@time_machine.travel(NOW, tick=False)
def test_the_api_refuses_a_goal_of_a_year_on_one_minute_a_week(api: Client) -> None:
    before = sla_settings_document()

    response = _put(api, MINUTE_A_WEEK)

    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert list(errors) == ["goals.0.close_minutes"]  # first response (60 min) is within reach
    message = errors["goals.0.close_minutes"][0]
    assert "Time to close (525,600 minutes)" in message
    assert "more than 5 calendar years" in message
    assert "the working hours (Europe/Stockholm, 1 minute a week)" in message
    assert "5 years of it hold only 261 minutes" in message
    assert sla_settings_document() == before  # nothing saved


@time_machine.travel(NOW, tick=False)
def test_the_refusal_names_the_property_value(api: Client) -> None:
    document = sla_document(
        MINUTE_A_WEEK,
        scope="property",
        property="priority",
        goals=[
            goal_row("high", first_response=(60, None)),
            goal_row("low", enabled=False, next_response=(100_000, None)),
        ],
    )
    errors = _put(api, document).json()["errors"]
    # Switched off or not, a row's goals are checked: switching it on is not a settings save
    # of its own that could check it later.
    assert list(errors) == ["goals.1.next_response_minutes"]
    assert errors["goals.1.next_response_minutes"][0].startswith(
        "Time to next reply for Priority Low (100,000 minutes)"
    )


@time_machine.travel(NOW, tick=False)
def test_the_limit_is_exactly_five_calendar_years_of_counted_time(db) -> None:
    # One hour a week, Mondays 09:00–10:00 UTC: from Monday 2 March 2026 08:00 to 2 March 2031
    # 08:00 lie 261 Mondays (the last one, 3 March 2031, is after the end).
    document = sla_document(
        applies="working_hours",
        timezone="UTC",
        working_hours=hours([["09:00", "10:00"]]),
        goals=[goal_row(close=(261 * 60, None))],
    )
    parsed, errors = sla_settings_validate(document)
    assert errors == {} and parsed is not None
    too_long = sla_document(document, goals=[goal_row(close=(261 * 60 + 1, None))])
    with pytest.raises(SettingsValidationError) as refused:
        sla_settings_save(document=too_long, actor=None, via="command")
    assert list(refused.value.errors) == ["goals.0.close_minutes"]
    assert "hold only 15,660 minutes" in refused.value.errors["goals.0.close_minutes"][0]


@time_machine.travel(NOW, tick=False)
def test_recurring_holidays_count_against_the_limit_in_every_year(db) -> None:
    # 5 March falls on a Thursday in 2026 and on a Monday in 2029: a recurring holiday there
    # takes one of the 261 Mondays away, four years ahead.
    document = sla_document(
        applies="working_hours",
        timezone="UTC",
        working_hours=hours([["09:00", "10:00"]]),
        holidays=[{"date": "2026-03-05", "name": "Founders' day", "recurring": True}],
        goals=[goal_row(close=(261 * 60, None))],
    )
    _parsed, errors = sla_settings_validate(document)
    assert "hold only 15,600 minutes" in errors["goals.0.close_minutes"][0]
    one_off = sla_document(
        document, holidays=[{"date": "2026-03-05", "name": "Founders' day", "recurring": False}]
    )
    assert sla_settings_validate(one_off)[1] == {}


def test_recurring_holidays_are_expanded_beyond_the_longest_goal() -> None:
    assert HOLIDAY_YEARS_AHEAD > GOAL_REACH_YEARS


@time_machine.travel(NOW, tick=False)
def test_24_7_and_dense_schedules_take_every_goal(db) -> None:
    for document in (
        sla_document(goals=[goal_row(close=(YEAR_OF_MINUTES, None))]),  # 24/7
        sla_document(  # a year's goal on a 40-hour week: about 4.2 years
            applies="working_hours",
            timezone="Europe/Stockholm",
            working_hours={
                day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
            },
            goals=[goal_row(first_response=(YEAR_OF_MINUTES, None))],
        ),
    ):
        assert sla_settings_validate(document)[1] == {}


@time_machine.travel(NOW, tick=False)
def test_the_longest_goal_accepted_gives_tickets_a_due_moment_within_five_years(api) -> None:
    document = sla_document(
        applies="working_hours",
        timezone="UTC",
        working_hours=hours([["09:00", "10:00"]]),
        goals=[goal_row(close=(261 * 60, 60))],
    )
    assert _put(api, document).status_code == 200
    created = api.post(
        "/api/tickets/",
        json.dumps({"subject": "Far", "body": "away", "requester_email": "a@example.com"}),
        content_type="application/json",
    )
    assert created.status_code == 201
    clock = SlaClock.objects.get(ticket_id=created.json()["id"], kind="close")
    # Today's 09:00–10:00 is the first of the 261 hours; the last is Monday 24 February 2031.
    assert clock.due_at == datetime.datetime(2031, 2, 24, 10, 0, tzinfo=datetime.UTC)
    assert clock.due_soon_at == datetime.datetime(2031, 2, 17, 10, 0, tzinfo=datetime.UTC)


@time_machine.travel(NOW, tick=False)
def test_the_page_shows_the_refusal_next_to_the_goal(admin_client_: Client) -> None:
    sla_settings_save(
        document=sla_document(MINUTE_A_WEEK, goals=[goal_row(close=(60, None))]),
        actor=None,
        via="command",
    )
    before = sla_settings_document()
    data = form_data(page_html(admin_client_))
    data["goal-all-close_minutes_number"] = ["365"]
    data["goal-all-close_minutes_unit"] = ["days"]

    response = admin_client_.post(SLA_URL, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was saved — fix the marked fields." in text_of(html, "form-errors")
    shown = text_of(html, "goal-all-close")
    assert "Time to close (525,600 minutes) would take more than 5 calendar years" in shown
    assert sla_settings_document() == before


@time_machine.travel(NOW, tick=False)
def test_the_admin_shows_the_refusal(admin_client_: Client) -> None:
    sla_settings_save(
        document=sla_document(MINUTE_A_WEEK, goals=[goal_row(close=(60, None))]),
        actor=None,
        via="command",
    )
    before = sla_settings_document()
    data = admin_form(admin_client_)
    data["goal-all-close_minutes_number"] = [str(YEAR_OF_MINUTES)]
    data["goal-all-close_minutes_unit"] = ["minutes"]

    response = admin_client_.post(ADMIN_URL, data)

    assert response.status_code == 200
    shown = text_of(response.content.decode(), "goal-all-close")
    assert "Time to close (525,600 minutes) would take more than 5" in shown
    assert sla_settings_document() == before


# --- the rule on its own ------------------------------------------------------------------------


def test_years_later_keeps_the_wall_clock_and_moves_29_february() -> None:
    zone = WorkingSchedule("Europe/Stockholm", {0: [("09:00", "10:00")]}).zone
    leap = datetime.datetime(2028, 2, 29, 12, 0, tzinfo=zone)
    assert years_later(leap, years=5, zone=zone) == datetime.datetime(
        2033, 2, 28, 12, 0, tzinfo=zone
    )
    summer = datetime.datetime(2026, 7, 1, 10, 0, tzinfo=datetime.UTC)  # 12:00 in Stockholm
    later = years_later(summer, years=5, zone=zone)
    assert (later.year, later.month, later.day, later.hour) == (2031, 7, 1, 12)


def test_goals_beyond_reach_keeps_each_path_and_passes_24_7() -> None:
    sparse = WorkingSchedule("UTC", {0: [("09:00", "10:00")]})
    goals = [GoalToCheck("a", "A", 60), GoalToCheck("b", "B", 261 * 60 + 1)]
    errors = goals_beyond_reach(schedule=sparse, schedule_name="team X", goals=goals, now=NOW)
    assert list(errors) == ["b"] and "B (15,661 minutes)" in errors["b"][0]
    assert "team X" in errors["b"][0]
    always = WorkingSchedule("UTC", always_open=True)
    assert goals_beyond_reach(schedule=always, schedule_name="x", goals=goals, now=NOW) == {}
    assert counted_within_reach(sparse, now=NOW) == datetime.timedelta(hours=261)


# --- kept rows, and a stored configuration that is out of reach ---------------------------------


@time_machine.travel(NOW, tick=False)
def test_kept_rows_sent_for_other_scopes_are_held_to_the_bound(api: Client) -> None:
    before = sla_settings_document()
    document = sla_document(
        MINUTE_A_WEEK,
        goals=[goal_row(first_response=(60, None))],
        goals_by_scope={
            "priority": [goal_row("low", enabled=False, close=(YEAR_OF_MINUTES, None))],
            "team": [],
        },
    )

    response = _put(api, document)

    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert list(errors) == ["goals_by_scope.priority.0.close_minutes"]
    assert errors["goals_by_scope.priority.0.close_minutes"][0].startswith(
        "Time to close for Priority Low (525,600 minutes) would take more than 5 calendar years"
    )
    assert sla_settings_document() == before


def _store_out_of_reach_settings() -> None:
    """MINUTE_A_WEEK as if saved before the five-year bound: saved valid (24/7, its one minute
    a week kept), then switched to working hours behind the service's back."""
    from django.db.models import F

    from settings_app.models import SlaSettings
    from settings_app.selectors import sla_config_cache_clear

    sla_settings_save(document=sla_document(MINUTE_A_WEEK, applies="always"), actor=None, via="t")
    SlaSettings.objects.filter(pk=1).update(applies="working_hours", version=F("version") + 1)
    sla_config_cache_clear()


@time_machine.travel(NOW, tick=False)
def test_a_stored_goal_out_of_reach_fails_safe_at_ticket_creation(
    api: Client, admin_client_: Client, caplog: pytest.LogCaptureFixture
) -> None:
    _store_out_of_reach_settings()

    created = api.post(
        "/api/tickets/",
        json.dumps({"subject": "Far", "body": "away", "requester_email": "a@example.com"}),
        content_type="application/json",
    )

    assert created.status_code == 201, created.content
    sla = created.json()["sla"]
    assert sla["close"] is None  # the year's goal applies as no goal
    # The hour's first reply is in reach: 60 Mondays' minutes, a little over a year away.
    assert sla["first_response"]["status"] == "active"
    assert sla["first_response"]["due_at"].startswith("2027-04-")
    assert any(
        "SLA goals of All tickets (close) would take more than 5 calendar years" in r.getMessage()
        and r.levelname == "WARNING"
        for r in caplog.records
    )
    page = admin_client_.get(f"/tickets/{created.json()['id']}/").content.decode()
    assert "Goal out of reach: it would take more than 5 calendar years to count" in page


@time_machine.travel(NOW, tick=False)
def test_a_stored_goal_out_of_reach_fails_safe_on_the_request_form(client: Client, db) -> None:
    from tickets.models import Ticket

    _store_out_of_reach_settings()

    response = client.post(
        "/request/",
        {"subject": "Far", "body": "away", "requester_email": "b@example.com"},
    )

    assert response.status_code in (200, 302), response.content[:300]
    ticket = Ticket.objects.get(requester_email="b@example.com")
    assert sorted(ticket.clocks.values_list("kind", flat=True)) == ["first_response"]
