"""SPEC §2 saved through the settings page: every value kept, one audit entry per save.

POSTs are built the way a browser builds them: the page is fetched, its form's fields are read
from the HTML (checked boxes, selected options, no disabled fields, no row templates), and the
test changes only what a person would change (``tests.settings_app.pages.helpers``).
"""

from __future__ import annotations

from django.test import Client

from settings_app.models import SlaSettingsChange
from settings_app.selectors import sla_settings_document
from tests.settings_app.pages.helpers import SLA_URL, audit_count, form_data, goal, page_html


def test_posting_the_page_unchanged_keeps_every_value(admin_client_: Client, configured) -> None:
    """The page rebuilds the same document, so the save changes nothing: no version, no audit
    entry (SPEC 2.5), and it says so."""
    entries = audit_count()
    response = admin_client_.post(SLA_URL, form_data(page_html(admin_client_)), follow=True)
    assert response.redirect_chain == [(SLA_URL, 302)]
    assert "No changes: the settings are as they were" in response.content.decode()
    assert sla_settings_document() == configured
    assert audit_count() == entries


def test_a_valid_save_changes_the_settings_and_leaves_one_audit_entry(
    admin_client_: Client, super_admin, configured: dict
) -> None:
    data = form_data(page_html(admin_client_))
    data["timezone"] = ["Europe/Oslo"]
    data["period-1-start"] = ["13:30"]  # Monday afternoon
    data["goals-priority-0-close_minutes_number"] = ["5"]
    data["goals-priority-0-close_minutes_unit"] = ["hours"]
    data["goals-priority-3-enabled"] = ["on"]  # low on, with a close goal of 3 days
    data["goals-priority-3-close_minutes_number"] = ["3"]
    data["goals-priority-3-close_minutes_unit"] = ["days"]
    data["pause_statuses"] = ["support/waiting-on-customer", "support/waiting-on-us"]
    before = audit_count()

    response = admin_client_.post(SLA_URL, data, follow=True)

    assert response.redirect_chain == [(SLA_URL, 302)]
    version = configured["version"] + 1
    assert f"SLA settings saved (version {version})." in response.content.decode()
    after = sla_settings_document()
    assert after["version"] == version
    assert after["timezone"] == "Europe/Oslo"
    assert after["working_hours"]["mon"] == [["09:00", "12:00"], ["13:30", "17:00"]]
    assert after["goals"][0] == goal("urgent", 15, 5, 60, 10, 300, 60)
    assert after["goals"][3] == goal("low", None, None, None, None, 4320, None)
    assert after["pause_statuses"] == ["support/waiting-on-us", "support/waiting-on-customer"]
    assert audit_count() == before + 1
    entry = SlaSettingsChange.objects.first()
    assert (entry.actor, entry.actor_username, entry.via, entry.version, entry.apply_to) == (
        super_admin,
        "boss",
        "page",
        version,
        "new",
    )
    changed = {change["field"]: (change["before"], change["after"]) for change in entry.changes}
    assert changed["timezone"] == ("Europe/Stockholm", "Europe/Oslo")
    assert changed["goals[priority:urgent].close_minutes"] == (240, 300)
    assert changed["goals[priority:low].enabled"] == (False, True)
    assert changed["working_hours.mon"] == ("09:00–12:00, 13:00–17:00", "09:00–12:00, 13:30–17:00")


def test_goals_for_all_tickets_and_24_7(admin_client_: Client, configured: dict) -> None:
    data = form_data(page_html(admin_client_))
    data.update(
        {
            "applies": ["always"],
            "scope": ["all"],
            "goal-all-first_response_minutes_number": ["1"],
            "goal-all-first_response_minutes_unit": ["hours"],
            "goal-all-first_response_due_soon_minutes_number": ["15"],
            "goal-all-first_response_due_soon_minutes_unit": ["minutes"],
            "goal-all-close_minutes_number": ["2"],
            "goal-all-close_minutes_unit": ["days"],
        }
    )
    assert admin_client_.post(SLA_URL, data).status_code == 302
    after = sla_settings_document()
    assert (after["applies"], after["scope"], after["property"]) == ("always", "all", None)
    assert after["goals"] == [goal(None, 60, 15, None, None, 2880, None)]
    # Reloaded, the all-tickets rows show what was saved, in the largest exact unit.
    data = form_data(page_html(admin_client_))
    assert data["goal-all-close_minutes_number"] == ["2"]
    assert data["goal-all-close_minutes_unit"] == ["days"]
    assert data["goal-all-first_response_due_soon_minutes_number"] == ["15"]


def test_periods_may_end_at_24_00_for_an_overnight_shift(admin_client_: Client, configured) -> None:
    data = form_data(page_html(admin_client_))
    total = int(data["period-TOTAL_FORMS"][0])
    data.update(
        {
            f"period-{total}-day": ["fri"],
            f"period-{total}-start": ["22:00"],
            f"period-{total}-end": ["24:00"],
            f"period-{total + 1}-day": ["sat"],
            f"period-{total + 1}-start": ["0:00"],  # a single-digit hour is accepted on the page
            f"period-{total + 1}-end": ["06:00"],
            "period-TOTAL_FORMS": [str(total + 2)],
        }
    )
    assert admin_client_.post(SLA_URL, data).status_code == 302
    hours = sla_settings_document()["working_hours"]
    assert hours["fri"] == [["09:00", "17:00"], ["22:00", "24:00"]]
    assert hours["sat"] == [["00:00", "06:00"]]


def test_removed_rows_leave_gaps_that_are_ignored(admin_client_: Client, configured) -> None:
    data = form_data(page_html(admin_client_))
    for name in ("period-0-day", "period-0-start", "period-0-end", "holiday-1-date"):
        del data[name]  # what the trash button does: the row's inputs are gone
    del data["holiday-1-name"]
    assert admin_client_.post(SLA_URL, data).status_code == 302
    after = sla_settings_document()
    assert after["working_hours"]["mon"] == [["13:00", "17:00"]]
    assert [h["date"] for h in after["holidays"]] == ["2026-12-24"]


def test_property_rows_of_other_properties_are_not_needed(admin_client_: Client, configured):
    """The page's script leaves the unused properties' rows out of the POST."""
    data = form_data(page_html(admin_client_))
    for name in list(data):
        if name.startswith(("goals-team-", "goals-source-", "goals-pipeline-", "goal-all-")):
            del data[name]
    assert admin_client_.post(SLA_URL, data).status_code == 302
    assert sla_settings_document()["goals"] == configured["goals"]
