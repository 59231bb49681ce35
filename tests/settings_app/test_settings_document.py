"""Unit tests of ``document_parse``: the edges of the settings document, no database."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settings_app.document import document_parse, minutes_to_clock

REFERENCE = {
    "team_slugs": ["billing", "it"],
    "pipeline_slugs": ["support"],
    "open_stage_keys": ["support/new", "support/waiting-on-customer"],
    "closed_stage_keys": ["support/closed"],
}


def parse(**document: Any):
    base = {"applies": "working_hours", "working_hours": {"mon": [["09:00", "17:00"]]}}
    return document_parse({**base, **document}, **REFERENCE)


def parse_ok(**document: Any):
    parsed, errors = parse(**document)
    assert errors == {}
    assert parsed is not None
    return parsed


def errors_of(**document: Any) -> dict[str, list[str]]:
    parsed, errors = parse(**document)
    assert parsed is None
    return errors


def goal(**minutes: int | None) -> dict:
    return {"value": None, "enabled": True, **minutes}


# --- Working hours -------------------------------------------------------------------------------


def test_24_00_is_a_valid_end() -> None:
    parsed = parse_ok(working_hours={"fri": [["22:00", "24:00"]]})
    assert parsed.periods == {4: [(22 * 60, 1440)]}


def test_24_00_is_not_a_valid_start() -> None:
    errors = errors_of(working_hours={"mon": [["24:00", "24:00"]]})
    assert list(errors) == ["working_hours.mon.0"]
    assert "is not a time from 00:00 to 23:59" in errors["working_hours.mon.0"][0]


@pytest.mark.parametrize("text", ["9:00", "09:0", "0900", "09.00", " 09:00", "09:60", "-1:00", ""])
def test_a_start_must_be_hh_mm(text: str) -> None:
    assert "working_hours.mon.0" in errors_of(working_hours={"mon": [[text, "17:00"]]})


@pytest.mark.parametrize("text", ["24:01", "25:00", "00:00", "17"])
def test_an_end_must_be_from_00_01_to_24_00(text: str) -> None:
    assert "working_hours.mon.0" in errors_of(working_hours={"mon": [["00:00", text]]})


def test_a_whole_day_is_00_00_to_24_00() -> None:
    parsed = parse_ok(working_hours={"sun": [["00:00", "24:00"]]})
    assert parsed.periods == {6: [(0, 1440)]}


def test_an_overnight_shift_is_two_periods() -> None:
    parsed = parse_ok(working_hours={"mon": [["22:00", "24:00"]], "tue": [["00:00", "06:00"]]})
    assert parsed.periods == {0: [(1320, 1440)], 1: [(0, 360)]}


def test_periods_may_touch_and_come_in_any_order() -> None:
    parsed = parse_ok(working_hours={"mon": [["12:00", "17:00"], ["09:00", "12:00"]]})
    assert parsed.periods == {0: [(540, 720), (720, 1020)]}


def test_an_overlap_names_the_later_period_as_it_was_given() -> None:
    errors = errors_of(working_hours={"mon": [["11:00", "13:00"], ["09:00", "12:00"]]})
    assert list(errors) == ["working_hours.mon.0"]
    assert errors["working_hours.mon.0"] == ["Overlaps 09:00–12:00 on Monday."]


def test_unknown_day_keys_are_named() -> None:
    errors = errors_of(working_hours={"Mon": [["09:00", "17:00"]]})
    assert "working_hours.Mon" in errors


def test_working_hours_need_a_period_unless_24_7() -> None:
    assert list(errors_of(working_hours={})) == ["working_hours"]
    parsed = parse_ok(applies="always", working_hours={})
    assert parsed.periods == {}


# --- Holidays ------------------------------------------------------------------------------------


def test_29_february_recurring_is_a_valid_holiday() -> None:
    parsed = parse_ok(holidays=[{"date": "2028-02-29", "name": "Leap day", "recurring": True}])
    holiday = parsed.holidays[0]
    assert (holiday.date, holiday.name, holiday.recurring) == (
        datetime.date(2028, 2, 29),
        "Leap day",
        True,
    )


@pytest.mark.parametrize("text", ["2027-02-29", "2026-1-05", "20260105", "2026-12-24T00:00"])
def test_a_holiday_date_must_be_a_real_yyyy_mm_dd(text: str) -> None:
    assert "holidays.0.date" in errors_of(holidays=[{"date": text}])


def test_holiday_name_and_recurring_are_optional() -> None:
    parsed = parse_ok(holidays=[{"date": "2026-06-19"}])
    assert (parsed.holidays[0].name, parsed.holidays[0].recurring) == ("", False)


# --- Goals ---------------------------------------------------------------------------------------


def test_due_soon_without_its_goal_is_refused() -> None:
    errors = errors_of(goals=[goal(first_response_due_soon_minutes=10)])
    assert errors == {
        "goals.0.first_response_due_soon_minutes": ["Set a time to first reply goal first."]
    }


@pytest.mark.parametrize(("goal_minutes", "soon", "ok"), [(60, 59, True), (60, 60, False)])
def test_due_soon_must_be_shorter_than_its_goal(goal_minutes: int, soon: int, ok: bool) -> None:
    parsed, errors = parse(goals=[goal(close_minutes=goal_minutes, close_due_soon_minutes=soon)])
    assert (parsed is not None) is ok
    assert ("goals.0.close_due_soon_minutes" in errors) is not ok


@pytest.mark.parametrize(
    ("minutes", "ok"),
    [(1, True), (525_600, True), (0, False), (525_601, False), (-5, False), (True, False)],
)
def test_goal_minutes_range_from_1_to_a_year(minutes: Any, ok: bool) -> None:
    parsed, errors = parse(goals=[goal(next_response_minutes=minutes)])
    assert (parsed is not None) is ok
    assert ("goals.0.next_response_minutes" in errors) is not ok


def test_every_goal_may_be_null() -> None:
    parsed = parse_ok(goals_enabled=True, goals=[goal()])
    assert set(parsed.goals[0].minutes.values()) == {None}


def test_goals_by_team_take_team_slugs() -> None:
    parsed = parse_ok(
        scope="property",
        property="team",
        goals=[{"value": "billing", "close_minutes": 60}, {"value": "it", "enabled": False}],
    )
    assert [(g.value, g.enabled) for g in parsed.goals] == [("billing", True), ("it", False)]
    assert parsed.property == "team"
    assert "goals.0.value" in errors_of(
        scope="property", property="team", goals=[{"value": "support"}]
    )


def test_scope_and_property_go_together() -> None:
    assert "property" in errors_of(scope="all", property="priority")
    assert "property" in errors_of(scope="property")
    assert parse_ok(scope="all", property=None).property == ""


def test_pause_statuses_must_be_open_stages() -> None:
    assert parse_ok(pause_statuses=["support/new"]).pause_statuses == ["support/new"]
    errors = errors_of(pause_statuses=["support/new", "support/closed", "billing/new"])
    assert set(errors) == {"pause_statuses.1", "pause_statuses.2"}


def test_not_an_object() -> None:
    assert document_parse([], **REFERENCE) == (None, {"": ["The body must be a JSON object."]})


# --- Property: well-formed schedules parse exactly when no two periods overlap -----------------

QUARTERS = st.integers(min_value=0, max_value=96)


@st.composite
def day_periods(draw: st.DrawFn) -> list[tuple[int, int]]:
    pairs = draw(st.lists(st.tuples(QUARTERS, QUARTERS), min_size=1, max_size=5))
    return [(min(a, b) * 15, max(a, b) * 15) for a, b in pairs if a != b and min(a, b) < 96]


@given(day_periods())
def test_a_day_parses_exactly_when_its_periods_do_not_overlap(periods) -> None:
    overlapping = any(
        s1 < e2 and s2 < e1 for i, (s1, e1) in enumerate(periods) for (s2, e2) in periods[i + 1 :]
    )
    texts = [[minutes_to_clock(s), minutes_to_clock(e)] for s, e in periods]
    parsed, errors = document_parse(
        {"applies": "always", "working_hours": {"wed": texts}}, **REFERENCE
    )
    if overlapping:
        assert parsed is None
        assert all(path.startswith("working_hours.wed.") for path in errors)
    else:
        assert errors == {}
        assert parsed.periods.get(2, []) == sorted(periods)
