"""SPEC §2 on the settings page: the saved settings as the page shows them, with a fixed
number of queries.

POSTs are built the way a browser builds them: the page is fetched, its form's fields are read
from the HTML (checked boxes, selected options, no disabled fields, no row templates), and the
test changes only what a person would change (``tests.settings_app.pages.helpers``).
"""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from settings_app.models import Team
from tests.settings_app.pages.helpers import form_data, page_html, row_html, text_of


def test_the_page_shows_the_saved_settings(admin_client_: Client, configured: dict) -> None:
    html = page_html(admin_client_)
    data = form_data(html)
    assert data["version"] == [str(configured["version"])]
    assert data["applies"] == ["working_hours"]
    assert data["timezone"] == ["Europe/Stockholm"]
    assert data["pause_statuses"] == ["support/waiting-on-customer"]
    assert data["goals_enabled"] == ["on"]
    assert data["scope"] == ["property"]
    assert data["property"] == ["priority"]
    assert "apply_to" not in data  # asked only after Save has checked the change
    # Monday's two periods, then one for each of Tuesday to Friday.
    periods = [
        (data[f"period-{i}-day"][0], data[f"period-{i}-start"][0], data[f"period-{i}-end"][0])
        for i in range(int(data["period-TOTAL_FORMS"][0]))
    ]
    assert periods == [
        ("mon", "09:00", "12:00"),
        ("mon", "13:00", "17:00"),
        *[(day, "09:00", "17:00") for day in ("tue", "wed", "thu", "fri")],
    ]
    assert data["holiday-0-date"] == ["2026-12-24"]
    assert data["holiday-0-recurring"] == ["on"]
    assert "holiday-1-recurring" not in data
    assert text_of(html, "holiday-count") == "2"
    assert text_of(html, "hours-summary") == (
        "Mon 09:00–12:00, 13:00–17:00 · Tue–Fri 09:00–17:00 · Sat, Sun off"
    )
    assert "with 09:00–17:00 hours, that is 3 working days" in text_of(html, "day-note")
    # Priorities from urgent to low; durations in the largest unit that divides them.
    values = [data[f"goals-priority-{i}-value"][0] for i in range(5)]
    assert values == ["urgent", "high", "medium", "low", ""]  # and "No priority", off
    assert "goals-priority-4-enabled" not in data
    assert "No priority" in text_of(html, "goals-priority-4-row")
    assert data["goals-priority-0-first_response_minutes_number"] == ["15"]
    assert data["goals-priority-0-first_response_minutes_unit"] == ["minutes"]
    assert data["goals-priority-0-close_minutes_number"] == ["4"]
    assert data["goals-priority-0-close_minutes_unit"] == ["hours"]
    assert data["goals-priority-2-close_minutes_number"] == ["3"]
    assert data["goals-priority-2-close_minutes_unit"] == ["days"]
    assert "goals-priority-3-enabled" not in data  # low is off
    assert "15 min 1 h 4 h 5 min / 10 min / 1 h" in text_of(html, "goals-priority-0-row")
    urgent, low = row_html(html, "goals-priority-0-row"), row_html(html, "goals-priority-3-row")
    assert 'class="no-sla text-body-secondary fst-italic d-none"' in urgent
    assert 'class="no-sla text-body-secondary fst-italic"' in low  # "— no SLA —" shows
    assert 'class="summary d-none"' in low
    assert "Support › Waiting on customer" in text_of(html, "pause-card")
    assert "Support › Closed" not in text_of(html, "pause-card")  # closed stages cannot pause


def test_every_time_zone_is_offered(admin_client_: Client, db) -> None:
    html = page_html(admin_client_)
    assert '<option value="Europe/Stockholm"' in html
    assert '<option value="America/Argentina/Buenos_Aires"' in html


def test_teams_and_pipelines_are_listed_from_the_database(admin_client_: Client, db) -> None:
    Team.objects.create(name="Billing", slug="billing")
    Team.objects.create(name="IT", slug="it")
    data = form_data(page_html(admin_client_))
    assert [data["goals-team-0-value"][0], data["goals-team-1-value"][0]] == ["billing", "it"]
    assert data["goals-pipeline-0-value"] == ["support"]
    assert [data[f"goals-source-{i}-value"][0] for i in range(5)] == [
        "email",
        "chat",
        "form",
        "phone",
        "api",
    ]


def test_the_page_runs_the_same_queries_for_few_or_many_teams(admin_client_: Client, db) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page_html(admin_client_)
        return len(captured)

    Team.objects.create(name="Team 0", slug="team-0")
    few = queries()
    Team.objects.bulk_create(Team(name=f"Team {i}", slug=f"team-{i}") for i in range(1, 30))
    assert queries() == few
