"""SPEC §2.7 on the settings pages: the audit log, and the last change shown beside Save.

POSTs are built the way a browser builds them: the page is fetched, its form's fields are read
from the HTML (checked boxes, selected options, no disabled fields, no row templates), and the
test changes only what a person would change (``tests.settings_app.pages.helpers``).
"""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from settings_app.models import SlaSettingsChange
from settings_app.services import sla_settings_save
from tests.conftest import PASSWORD
from tests.settings_app.pages.helpers import SLA_URL, goal, page_html, text_of


def test_the_audit_log_lists_changes_newest_first(admin_client_: Client, super_admin, db) -> None:
    sla_settings_save(document={"timezone": "Europe/Stockholm"}, actor=None, via="command")
    sla_settings_save(
        document={
            "timezone": "Europe/Oslo",
            "goals_enabled": True,
            "goals": [goal(None, 60, 15)],
        },
        actor=super_admin,
        via="api",
        apply_to="new",
    )
    html = page_html(admin_client_, "/settings/sla/audit/")
    rows = re.findall(r'<tr class="audit-row" id="change-(\d+)"', html)
    newest, oldest = SlaSettingsChange.objects.order_by("-id")[:2]
    assert rows == [str(newest.pk), str(oldest.pk)]
    newest_text = text_of(html, f"change-{newest.pk}")
    assert "boss" in newest_text
    assert "API" in newest_text
    assert "v3" in newest_text
    assert "New tickets only" in newest_text
    assert "Time zone: Europe/Stockholm → Europe/Oslo" in newest_text.replace("  ", " ")
    assert "Response time and close time goals: off → on" in newest_text
    assert "All tickets: time to first reply — → 1 hour" in newest_text
    oldest_text = text_of(html, f"change-{oldest.pk}")
    assert "system" in oldest_text
    assert "Command" in oldest_text
    assert "Time zone: UTC → Europe/Stockholm" in oldest_text
    assert re.search(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d", oldest_text)


def test_the_audit_log_pages_by_25_with_bounded_queries(admin_client_: Client, db) -> None:
    saves = iter(range(100))

    def save(count: int) -> None:
        for _ in range(count):
            zone = "Europe/Stockholm" if next(saves) % 2 else "Europe/Oslo"  # each a change
            sla_settings_save(document={"timezone": zone}, actor=None, via="command")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            page_html(admin_client_, url)
        return len(captured)

    save(3)
    few = queries("/settings/sla/audit/")
    save(27)
    assert queries("/settings/sla/audit/") == few
    first = page_html(admin_client_, "/settings/sla/audit/")
    second = page_html(admin_client_, "/settings/sla/audit/?page=2")
    assert first.count('class="audit-row"') == 25
    assert second.count('class="audit-row"') == 5
    assert "Page 2 of 2" in second
    assert page_html(admin_client_, "/settings/sla/audit/?page=nonsense").count("audit-row") == 25


def test_sign_in_then_open_the_settings(client: Client, super_admin) -> None:
    response = client.post(
        "/accounts/login/",
        {"username": "boss", "password": PASSWORD, "next": SLA_URL},
    )
    assert response["Location"] == SLA_URL
    assert client.get(SLA_URL).status_code == 200


def test_last_change_is_shown_next_to_save(admin_client_: Client, configured: dict) -> None:
    html = page_html(admin_client_)
    info = text_of(html, "version-info")
    assert info.startswith(f"Version {configured['version']} · saved")
    assert info.endswith("by system")
