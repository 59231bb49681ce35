"""SPEC §2 "Bad input" on the settings page: a clear message next to the field, nothing
saved, never an error page.

POSTs are built the way a browser builds them: the page is fetched, its form's fields are read
from the HTML (checked boxes, selected options, no disabled fields, no row templates), and the
test changes only what a person would change (``tests.settings_app.pages.helpers``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settings_app.models import Team
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.settings_app.pages.helpers import (
    SLA_URL,
    FormData,
    audit_count,
    form_data,
    page_html,
    row_html,
    text_of,
)


def _set(**values: str) -> Callable[[FormData], None]:
    def change(data: FormData) -> None:
        for name, value in values.items():
            data[name.replace("__", "-")] = [value]

    return change


def _add_pause(key: str) -> Callable[[FormData], None]:
    def change(data: FormData) -> None:
        data["pause_statuses"] = [*data.get("pause_statuses", []), key]

    return change


def _remove_all_periods(data: FormData) -> None:
    for name in list(data):
        if name.startswith("period-") and name[7].isdigit():
            del data[name]


def _duplicate_holiday(data: FormData) -> None:
    data["holiday-1-date"] = data["holiday-0-date"]


def _urgent(field: str, number: str, unit: str = "minutes") -> Callable[[FormData], None]:
    return _set(
        **{
            f"goals-priority-0-{field}_number": number,
            f"goals-priority-0-{field}_unit": unit,
        }
    )


REFUSED = [
    # (id, change, element that holds the message, message)
    ("inverted period", _set(period__0__end="08:00"), "period-0-row", "at or before it starts"),
    (
        "overlapping periods",
        _set(period__1__start="11:00"),
        "period-1-row",
        "Overlaps 09:00–12:00 on Monday",
    ),
    ("24:00 as a start", _set(period__2__start="24:00"), "period-2-row", "is not a time"),
    ("hour out of range", _set(period__2__end="25:00"), "period-2-row", "is not a time"),
    ("not a time", _set(period__2__start="nine"), "period-2-row", "is not a time"),
    ("end missing", _set(period__3__end=""), "period-3-row", "Enter an end time"),
    ("crafted day", _set(period__3__day="funday"), "form-errors", "Unknown day"),
    ("no periods left", _remove_all_periods, "hours-errors", "Add at least one working period"),
    (
        "unknown time zone",
        _set(timezone="Mars/Olympus_Mons"),
        "timezone-errors",
        "is not a known time zone",
    ),
    (
        "due soon not shorter than its goal",
        _urgent("first_response_due_soon_minutes", "15"),
        "goals-priority-0-first_response",
        "Must be shorter than the time to first reply goal",
    ),
    (
        "due soon longer than its goal",
        _urgent("close_due_soon_minutes", "1", "days"),
        "goals-priority-0-close",
        "Must be shorter than the time to close goal",
    ),
    (
        "due soon without a goal",
        _set(goals__priority__3__close_due_soon_minutes_number="5"),
        "goals-priority-3-close",
        "Set a time to close goal first",
    ),
    ("negative", _urgent("close_minutes", "-5"), "goals-priority-0-close", "Must be from 1 to"),
    ("zero", _urgent("close_minutes", "0", "hours"), "goals-priority-0-close", "Must be from 1"),
    (
        "more than a year",
        _urgent("close_minutes", "366", "days"),
        "goals-priority-0-close",
        "525,600 minutes",
    ),
    ("a word", _urgent("close_minutes", "soon"), "goals-priority-0-close", "Enter a whole number"),
    ("a fraction", _urgent("close_minutes", "1.5", "hours"), "goals-priority-0-close", "90 min"),
    (
        "no unit",
        _set(goals__priority__0__close_minutes_unit=""),
        "goals-priority-0-close",
        "Choose minutes, hours or days",
    ),
    (
        "unknown unit",
        _set(goals__priority__0__close_minutes_unit="weeks"),
        "goals-priority-0-close",
        "Choose minutes, hours or days",
    ),
    (
        "unknown priority value (crafted)",
        _set(goals__priority__3__value="critical"),
        "goals-priority-3-row",
        "'critical' is not a priority",
    ),
    (
        "unknown property (crafted)",
        _set(property="colour"),
        "property-errors",
        "Choose one of priority, team, source, pipeline",
    ),
    ("not a stage", _add_pause("support/nowhere"), "pause-card", "is not a stage"),
    ("a closed stage", _add_pause("support/closed"), "pause-card", "is a closed stage"),
    ("holiday date", _set(holiday__0__date="2026-02-30"), "holiday-0-row", "YYYY-MM-DD"),
    ("holiday twice", _duplicate_holiday, "holiday-1-row", "is already listed"),
    (
        "holiday without a date",
        _set(holiday__1__date=""),
        "holiday-1-row",
        "Enter the holiday's date",
    ),
    (
        "apply to (crafted)",
        _set(apply_to="everyone"),
        "form-errors",
        "Choose new tickets only, or new and open tickets",
    ),
]


@pytest.mark.parametrize(
    ("change", "element_id", "message"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_bad_input_is_refused_next_to_its_field(
    admin_client_: Client, configured: dict, change, element_id: str, message: str
) -> None:
    data = form_data(page_html(admin_client_))
    change(data)
    before = audit_count()

    response = admin_client_.post(SLA_URL, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was saved — fix the marked fields." in text_of(html, "form-errors")
    assert message in text_of(html, element_id)
    assert sla_settings_document() == configured
    assert audit_count() == before
    # What the person typed is shown again, not the saved values.
    assert form_data(html)["version"] == [str(configured["version"])]
    shown = form_data(html)
    for name, values in data.items():
        # Selects can only show their own options; the token is rotated per response.
        skip = name.endswith(("_unit", "property", "timezone", "-day", "pause_statuses"))
        skip = skip or name.startswith("csrf")
        if name in shown and not skip:
            assert shown[name] == values, name


def test_a_refused_row_is_marked_in_the_by_property_table(admin_client_, configured) -> None:
    data = form_data(page_html(admin_client_))
    _urgent("first_response_due_soon_minutes", "20")(data)
    html = admin_client_.post(SLA_URL, data).content.decode()
    assert "table-danger" in row_html(html, "goals-priority-0-row").split(">", 1)[0]
    assert "Time to first reply, due soon: Must be shorter" in text_of(html, "goals-priority-0-row")
    assert 'aria-invalid="true"' in html


def test_a_team_value_that_does_not_exist_is_refused(admin_client_: Client, configured) -> None:
    Team.objects.create(name="Billing", slug="billing")
    data = form_data(page_html(admin_client_))
    data.update({"scope": ["property"], "property": ["team"], "goals-team-0-value": ["ghosts"]})
    response = admin_client_.post(SLA_URL, data)
    assert "'ghosts' is not a team" in text_of(response.content.decode(), "goals-team-0-row")
    assert sla_settings_document() == configured


def test_a_stale_page_gets_the_version_conflict_message(admin_client_, configured) -> None:
    data = form_data(page_html(admin_client_))  # opened at version N
    sla_settings_save(document={**configured, "timezone": "Asia/Tokyo"}, actor=None, via="api")
    saved = sla_settings_document()
    data["timezone"] = ["Europe/Oslo"]
    before = audit_count()

    response = admin_client_.post(SLA_URL, data)

    assert response.status_code == 200
    message = text_of(response.content.decode(), "conflict-message")
    assert "changed since you opened this page" in message
    assert f"version {configured['version']}" in message
    assert f"version {saved['version']} now" in message
    # Not a field error: the alert says what happened instead of "fix the marked fields".
    alert = text_of(response.content.decode(), "form-errors")
    assert "changed by someone else" in alert
    assert "fix the marked fields" not in alert
    assert sla_settings_document() == saved  # the other admin's change stands
    assert audit_count() == before


def test_csrf_is_enforced(super_admin, configured: dict) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(super_admin)
    data = form_data(page_html(client))
    del data["csrfmiddlewaretoken"]
    assert client.post(SLA_URL, data).status_code == 403
    assert sla_settings_document() == configured


GARBAGE = [
    {"version": ["x"]},
    {"version": ["1"], "applies": ["sometimes"], "scope": ["sideways"]},
    {"period-TOTAL_FORMS": ["abc"], "period-INITIAL_FORMS": ["0"]},
    {"period-TOTAL_FORMS": ["100000000"], "period-INITIAL_FORMS": ["0"]},
    {"goals-priority-TOTAL_FORMS": ["x"], "scope": ["property"], "property": ["priority"]},
    {"goals-priority-TOTAL_FORMS": ["99999"], "scope": ["property"], "property": ["priority"]},
    {"goal-all-close_minutes_number": ["9" * 5000], "scope": ["all"]},
    {"holiday-0-date": ["0000-00-00"], "holiday-TOTAL_FORMS": ["1"]},
]


@pytest.mark.parametrize("changes", GARBAGE)
def test_garbage_posts_are_refused_without_an_error_page(
    admin_client_: Client, configured: dict, changes: FormData
) -> None:
    data = form_data(page_html(admin_client_))
    data.update(changes)
    response = admin_client_.post(SLA_URL, data)
    assert response.status_code == 200
    assert sla_settings_document() == configured


def test_an_empty_post_is_refused(admin_client_: Client, configured: dict) -> None:
    response = admin_client_.post(SLA_URL, {})
    assert response.status_code == 200
    assert "reload it" in text_of(response.content.decode(), "form-errors")
    assert sla_settings_document() == configured


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.dictionaries(
        keys=st.sampled_from(
            [
                "version",
                "applies",
                "timezone",
                "scope",
                "property",
                "apply_to",
                "pause_statuses",
                "period-TOTAL_FORMS",
                "period-0-start",
                "period-0-end",
                "period-0-day",
                "holiday-0-date",
                "holiday-TOTAL_FORMS",
                "goals-priority-TOTAL_FORMS",
                "goals-priority-0-value",
                "goals-priority-0-enabled",
                "goals-priority-0-close_minutes_number",
                "goals-priority-0-close_minutes_unit",
                "goals-priority-0-close_due_soon_minutes_number",
                "goal-all-close_minutes_number",
            ]
        ),
        values=st.lists(st.text(max_size=12), min_size=0, max_size=3),
        max_size=6,
    )
)
def test_no_post_ever_fails_or_saves_half(admin_client_: Client, configured, changes) -> None:
    data = form_data(page_html(admin_client_))
    data.update(changes)
    before = sla_settings_document()
    response = admin_client_.post(SLA_URL, data)
    assert response.status_code in (200, 302)
    after = sla_settings_document()
    if response.status_code == 200 or after["version"] == before["version"]:
        assert after == before  # refused, or nothing changed
    else:
        assert after["version"] == before["version"] + 1
